import COpenBLAS

/// Process-wide OpenBLAS settings.
///
/// The policy's matrices are tiny (at most a few hundred rows), so OpenBLAS's own threads only
/// add overhead; parallelism comes from scoring different problems on different threads. One
/// BLAS thread also makes every product's summation order fixed on one machine, so a result
/// never depends on how busy it was. It does not make results the same across machines:
/// OpenBLAS picks its kernels for the CPU it runs on (and their blocking and FMA use differ),
/// so live runs (signals computed from the policy) are reproducible on one CPU model, not
/// bit-identical across a cluster of mixed CPUs. Pools on disk are (`CSieveKernels`). Set once, before the first product, through a lazily initialized
/// global (Swift runs that initializer exactly once, thread-safely).
enum BLAS {
    private static let singleThreaded: Bool = {
        openblas_set_num_threads(1)
        return true
    }()

    @inline(__always)
    static func configureOnce() {
        _ = singleThreaded
    }
}
