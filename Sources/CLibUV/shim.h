#ifndef GRADSIEVE_CLIBUV_SHIM_H
#define GRADSIEVE_CLIBUV_SHIM_H
#include <uv.h>
#endif
