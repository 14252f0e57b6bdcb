#define _GNU_SOURCE
#include "openblas_lazy.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

typedef void (*sgemm_fn)(int order, int transA, int transB, int m, int n, int k, float alpha,
                         const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);
typedef void (*set_threads_fn)(int);

static pthread_once_t once = PTHREAD_ONCE_INIT;
static sgemm_fn sgemm;
static char failure[512];

static void load(void) {
    // Before the library's constructor runs: it starts no thread of its own beyond the caller's.
    setenv("OPENBLAS_NUM_THREADS", "1", 1);
    const char *names[] = {"libopenblas.so.0", "libopenblas.so"};
    void *handle = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !handle; i++) {
        handle = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    }
    if (!handle) {
        const char *error = dlerror();
        snprintf(failure, sizeof failure, "%s", error ? error : "unknown error");
        return;
    }
    set_threads_fn set_threads = (set_threads_fn)dlsym(handle, "openblas_set_num_threads");
    if (set_threads) set_threads(1);
    sgemm = (sgemm_fn)dlsym(handle, "cblas_sgemm");
    if (!sgemm) snprintf(failure, sizeof failure, "libopenblas.so.0 has no cblas_sgemm");
}

int gs_blas_load(void) {
    pthread_once(&once, load);
    return sgemm != NULL;
}

void gs_sgemm(int transA, int transB, int m, int n, int k, float alpha, const float *a, int lda,
              const float *b, int ldb, float beta, float *c, int ldc) {
    if (!gs_blas_load()) {
        fprintf(stderr, "gradsieve: the built-in policy needs OpenBLAS (libopenblas.so.0; on Debian: "
                        "apt-get install libopenblas0), which could not be loaded: %s\n", failure);
        exit(1);
    }
    sgemm(GS_BLAS_ROW_MAJOR, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
