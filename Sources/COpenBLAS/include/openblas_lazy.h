#ifndef GRADSIEVE_OPENBLAS_LAZY_H
#define GRADSIEVE_OPENBLAS_LAZY_H
// OpenBLAS, loaded when the built-in policy first multiplies matrices, not when gradsieve starts.
//
// Linked the usual way, libopenblas starts its worker threads in a constructor as the process
// loads, and each spins on sched_yield for about 0.1 s waiting for work. Every gradsieve
// process paid that (select, worker, coordinator; three processes in `select --workers 2`),
// though only the policy (demo, live signals) multiplies matrices. So SievePolicy calls these
// wrappers, and the first call sets OPENBLAS_NUM_THREADS=1 and dlopen()s libopenblas.so.0. If
// it cannot be loaded, the process says so on stderr (naming the library and the Debian
// package) and exits with status 1.
//
// One BLAS thread: the policy's matrices are tiny (a few hundred rows at most), so OpenBLAS's
// threads would only add overhead; parallelism comes from scoring different problems on
// different threads. It also fixes every product's summation order on one machine, so a result
// never depends on how busy it was. It does not make results the same across machines: OpenBLAS
// picks its kernels for the CPU it runs on (their blocking and FMA use differ), so live runs
// (signals computed from the policy) are reproducible on one CPU model, not bit-identical across
// a cluster of mixed CPUs. Pools on disk are (CSieveKernels).

#include <stddef.h>

enum { GS_BLAS_ROW_MAJOR = 101 };
enum { GS_BLAS_NO_TRANS = 111, GS_BLAS_TRANS = 112 };

/// cblas_sgemm(CblasRowMajor, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc).
void gs_sgemm(int transA, int transB, int m, int n, int k, float alpha, const float *a, int lda,
              const float *b, int ldb, float beta, float *c, int ldc);

/// Loads OpenBLAS now (the first gs_sgemm would); returns 1 if it is loaded, 0 if it cannot be.
int gs_blas_load(void);

#endif
