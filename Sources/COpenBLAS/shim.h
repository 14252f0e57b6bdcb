#ifndef GRADSIEVE_COPENBLAS_SHIM_H
#define GRADSIEVE_COPENBLAS_SHIM_H
// pkg-config openblas adds -I/usr/include/x86_64-linux-gnu/openblas-pthread/, where Debian keeps
// OpenBLAS's own cblas.h (with openblas_set_num_threads). Without pkg-config the compiler finds
// /usr/include/x86_64-linux-gnu/cblas.h, the alternatives link to the same header.
#include <cblas.h>
#endif
