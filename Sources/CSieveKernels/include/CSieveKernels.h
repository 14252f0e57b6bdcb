#ifndef CSIEVEKERNELS_H
#define CSIEVEKERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Element types of a gradient row (the data contract's F32, F16 and BF16).
enum {
    GS_ELEMENT_F32 = 0,
    GS_ELEMENT_F16 = 1,
    GS_ELEMENT_BF16 = 2,
};

/// Kernel paths. Both give the same bits for the same inputs (see kernels.c).
enum {
    GS_PATH_PORTABLE = 0,
    GS_PATH_AVX2 = 1,
};

/// The path this process uses: AVX2 + F16C when the CPU and OS support them, else portable.
/// GRADSIEVE_KERNELS=portable in the environment forces the portable path. Chosen once.
int gs_kernel_path(void);

/// Forces a path for the rest of the process (tests and benchmarks); returns the path now in
/// use, which stays the portable one if AVX2 was asked for on a CPU without it.
int gs_set_kernel_path(int path);

/// For each of `count` rows (row r at `rows + r * row_stride` bytes, `d` elements of `type`,
/// any alignment): the dot products with `k` reference vectors (`refs`, k x d Float32,
/// row-major) into `dots[r * k + i]` and the squared norm into `norms[r]`, in one pass over the
/// row. Lanes accumulate in Float32, each row's lanes add up in Float64. A NaN or infinity in a
/// row makes its results non-finite.
void gs_dot_norm_rows(const void *rows, size_t count, size_t row_stride, int type,
                      const float *refs, size_t k, size_t d,
                      double *dots, double *norms);

/// Adds `count` consecutive rows into `sum` (Float64, `d` values), row by row. A row holding a
/// NaN or infinity adds nothing and stops the call; returns its index, or -1 when every row
/// was added. Each sum[j] gets the same additions in the same order on every path.
ptrdiff_t gs_add_rows(const void *rows, size_t count, size_t d, int type, double *sum);

/// STREAM-style read: a wrapping sum of the `count` bytes taken as 64-bit words, with the least
/// work per byte the machine allows (integer adds, no floating point); the benchmark's
/// yardstick for read bandwidth. Both paths return the same value.
uint64_t gs_stream_read(const void *bytes, size_t count);

/// Facility location's dot products against one group of 32 vectors stored as 4 tiles of 8,
/// element-interleaved (`tiles[t * d * 8 + j * 8 + i]` = element j of vector 8t + i): for each
/// of `rows` vectors x (row r at `vectors + r * d`), out[r * out_stride + 8t + i] =
/// sum over j in order of x_j * tile_t[j][i], a Float32 multiply then a Float32 add (no FMA),
/// the same bits on every path.
void gs_group_dots(const float *vectors, size_t rows, size_t d, const float *tiles,
                   float *out, size_t out_stride);

/// gs_group_dots against `groups` consecutive groups (group g at `tiles + g * 32 * d`): for
/// each of `rows` vectors, out[r * out_stride + 32 g + c]. Every output is bit for bit what
/// gs_group_dots gives (the sum over j in order, multiply then add, from zero), on every path;
/// the AVX2 path blocks over rows, columns and elements to run at the machine's multiply rate.
void gs_tile_dots(const float *vectors, size_t rows, size_t d, const float *tiles, size_t groups,
                  float *out, size_t out_stride);

/// dst[j * dst_stride + i] = src[i * src_stride + j] for i < src_rows, j < src_cols (a copy of
/// a block of the similarity matrix into its mirror image).
void gs_transpose_block(const float *src, size_t src_stride, size_t src_rows, size_t src_cols,
                        float *dst, size_t dst_stride);

#ifdef __cplusplus
}
#endif

#endif
