// The inner loops over gradient rows, in C so that one portable binary can carry an AVX2 path
// (per-function target attributes) next to a portable one, picked once at run time.
//
// Both paths compute exactly the same bits. The arithmetic is fixed by these rules, and each
// path follows them operation for operation:
//
//   - A row of d elements is read in blocks of 32. Element j goes to lane j mod 32. The last,
//     partial block is padded with zeros (row and reference), so every lane sees
//     ceil(d / 32) additions.
//   - Each element is widened to Float32 exactly (F16 and BF16 have exact Float32 values).
//   - lane_dot += x * g and lane_norm += x * x, as a Float32 multiply rounded to Float32 and
//     then a Float32 add: no fused multiply-add (FMA would round once instead of twice, and
//     machines without FMA could not match it cheaply). Contraction is switched off below so
//     the compiler cannot fuse them either.
//   - The 32 lanes are widened to Float64 and added in one fixed tree:
//       s[i] = (L[i] + L[i+8]) + (L[i+16] + L[i+24])   for i in 0..7
//       t[i] = s[i] + s[i+4]                             for i in 0..3
//       total = (t[0] + t[2]) + (t[1] + t[3])
//
// So a row's result depends only on the row and the reference, never on the machine, the
// thread or the worker that computed it, and a cluster of mixed CPUs scoring a pool on disk
// still writes byte-identical curricula. (Live signals are computed through OpenBLAS first,
// whose kernels differ per CPU: see COpenBLAS/include/openblas_lazy.h.)

#include "CSieveKernels.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#define GS_X86 1
#include <immintrin.h>
#else
#define GS_X86 0
#endif

#pragma clang fp contract(off)
#pragma STDC FP_CONTRACT OFF

#define GS_LANES 32
#define GS_PREFETCH_BYTES 1024

// MARK: Element decoding (portable)

static inline uint16_t load_u16(const unsigned char *p) {
    uint16_t v;
    memcpy(&v, p, 2);
    return v;  // the data contract is little-endian, as is every machine this runs on
}

static inline float float_from_bits(uint32_t bits) {
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static inline uint32_t bits_from_float(float f) {
    uint32_t bits;
    memcpy(&bits, &f, 4);
    return bits;
}

/// IEEE half to float, exactly (what F16C's vcvtph2ps gives, quieting NaNs as it does).
static inline float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exponent = (h >> 10) & 0x1fu;
    uint32_t mantissa = h & 0x3ffu;
    if (exponent == 0) {
        // Zero or subnormal: mantissa x 2^-24, exact in Float32.
        float magnitude = (float)mantissa * 0x1p-24f;
        return float_from_bits(sign | bits_from_float(magnitude));
    }
    if (exponent == 31) {
        uint32_t quiet = mantissa ? 0x00400000u : 0;
        return float_from_bits(sign | 0x7f800000u | quiet | (mantissa << 13));
    }
    return float_from_bits(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

static inline float element(const unsigned char *row, size_t j, int type) {
    switch (type) {
    case GS_ELEMENT_F16: return half_to_float(load_u16(row + 2 * j));
    case GS_ELEMENT_BF16: return float_from_bits((uint32_t)load_u16(row + 2 * j) << 16);
    default: {
        float f;
        memcpy(&f, row + 4 * j, 4);
        return f;
    }
    }
}

static inline size_t element_width(int type) { return type == GS_ELEMENT_F32 ? 4 : 2; }

/// True when the element's bits are a NaN or an infinity.
static inline int element_is_special(const unsigned char *row, size_t j, int type) {
    switch (type) {
    case GS_ELEMENT_F16: return (load_u16(row + 2 * j) & 0x7c00u) == 0x7c00u;
    case GS_ELEMENT_BF16: return (load_u16(row + 2 * j) & 0x7f80u) == 0x7f80u;
    default: {
        uint32_t bits;
        memcpy(&bits, row + 4 * j, 4);
        return (bits & 0x7f800000u) == 0x7f800000u;
    }
    }
}

/// The fixed Float64 tree over 32 Float32 lanes (see the top of the file).
static inline double reduce_lanes(const float lanes[GS_LANES]) {
    double s[8], t[4];
    for (int i = 0; i < 8; i++) {
        s[i] = ((double)lanes[i] + (double)lanes[i + 8]) + ((double)lanes[i + 16] + (double)lanes[i + 24]);
    }
    for (int i = 0; i < 4; i++) t[i] = s[i] + s[i + 4];
    return (t[0] + t[2]) + (t[1] + t[3]);
}

// MARK: Portable path

/// One row against one reference; the norm only when `norm` is not NULL.
static void portable_row(const unsigned char *row, int type, const float *ref, size_t d,
                         double *dot, double *norm) {
    float dl[GS_LANES] = {0}, nl[GS_LANES] = {0};
    size_t blocks = (d + GS_LANES - 1) / GS_LANES;
    for (size_t b = 0; b < blocks; b++) {
        size_t base = b * GS_LANES;
        for (int l = 0; l < GS_LANES; l++) {
            size_t j = base + (size_t)l;
            float x = j < d ? element(row, j, type) : 0.0f;
            float g = j < d ? ref[j] : 0.0f;
            float p = x * g;
            float q = x * x;
            dl[l] = dl[l] + p;
            nl[l] = nl[l] + q;
        }
    }
    *dot = reduce_lanes(dl);
    if (norm) *norm = reduce_lanes(nl);
}

static void portable_rows(const unsigned char *rows, size_t count, size_t stride, int type,
                          const float *refs, size_t k, size_t d, double *dots, double *norms) {
    for (size_t r = 0; r < count; r++) {
        const unsigned char *row = rows + r * stride;
        if (k == 0) {
            double unused;
            portable_row(row, type, refs, d, &unused, &norms[r]);
            continue;
        }
        for (size_t i = 0; i < k; i++) {
            portable_row(row, type, refs + i * d, d, &dots[r * k + i], i == 0 ? &norms[r] : NULL);
        }
    }
}

static ptrdiff_t portable_add_rows(const unsigned char *rows, size_t count, size_t d, int type, double *sum) {
    size_t stride = d * element_width(type);
    for (size_t r = 0; r < count; r++) {
        const unsigned char *row = rows + r * stride;
        for (size_t j = 0; j < d; j++) {
            if (element_is_special(row, j, type)) return (ptrdiff_t)r;
        }
        for (size_t j = 0; j < d; j++) sum[j] += (double)element(row, j, type);
    }
    return -1;
}

static uint64_t portable_stream_read(const unsigned char *bytes, size_t count) {
    uint64_t lanes[4] = {0, 0, 0, 0};
    size_t i = 0;
    for (; i + 32 <= count; i += 32) {
        for (int l = 0; l < 4; l++) {
            uint64_t word;
            memcpy(&word, bytes + i + 8 * l, 8);
            lanes[l] += word;
        }
    }
    uint64_t total = lanes[0] + lanes[1] + lanes[2] + lanes[3];
    for (; i + 8 <= count; i += 8) {
        uint64_t word;
        memcpy(&word, bytes + i, 8);
        total += word;
    }
    for (; i < count; i++) total += bytes[i];
    return total;
}

static void portable_group_dots(const float *vectors, size_t rows, size_t d, const float *tiles,
                                float *out, size_t out_stride) {
    for (size_t r = 0; r < rows; r++) {
        const float *x = vectors + r * d;
        float acc[32] = {0};
        for (size_t j = 0; j < d; j++) {
            for (int t = 0; t < 4; t++) {
                const float *tile = tiles + (size_t)t * d * 8 + j * 8;
                for (int i = 0; i < 8; i++) {
                    float p = x[j] * tile[i];
                    acc[t * 8 + i] = acc[t * 8 + i] + p;
                }
            }
        }
        memcpy(out + r * out_stride, acc, sizeof acc);
    }
}

// MARK: AVX2 path

#if GS_X86
#define GS_AVX2 __attribute__((target("avx2,f16c")))
#define GS_AVX2_INLINE __attribute__((target("avx2,f16c"), always_inline)) static inline

/// Eight elements at `p` widened to Float32 (unaligned loads).
GS_AVX2_INLINE __m256 avx2_load8(const unsigned char *p, int type) {
    switch (type) {
    case GS_ELEMENT_F16:
        return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
    case GS_ELEMENT_BF16:
        return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p)), 16));
    default:
        return _mm256_loadu_ps((const float *)p);
    }
}

/// The same tree as `reduce_lanes`, on four vectors holding lanes 0-7, 8-15, 16-23, 24-31.
GS_AVX2_INLINE double avx2_reduce(__m256 a0, __m256 a1, __m256 a2, __m256 a3) {
    __m256d lo = _mm256_add_pd(_mm256_add_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(a0)),
                                             _mm256_cvtps_pd(_mm256_castps256_ps128(a1))),
                               _mm256_add_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(a2)),
                                             _mm256_cvtps_pd(_mm256_castps256_ps128(a3))));
    __m256d hi = _mm256_add_pd(_mm256_add_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(a0, 1)),
                                             _mm256_cvtps_pd(_mm256_extractf128_ps(a1, 1))),
                               _mm256_add_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(a2, 1)),
                                             _mm256_cvtps_pd(_mm256_extractf128_ps(a3, 1))));
    __m256d t = _mm256_add_pd(lo, hi);                                                // t0..t3
    __m128d h = _mm_add_pd(_mm256_castpd256_pd128(t), _mm256_extractf128_pd(t, 1));  // t0+t2, t1+t3
    return _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
}

/// One row against one reference: dot and (when `norm` is not NULL) squared norm.
GS_AVX2_INLINE void avx2_row(const unsigned char *row, int type, const float *ref, size_t d,
                             double *dot, double *norm) {
    const size_t width = type == GS_ELEMENT_F32 ? 4 : 2;
    __m256 d0 = _mm256_setzero_ps(), d1 = d0, d2 = d0, d3 = d0;
    __m256 n0 = d0, n1 = d0, n2 = d0, n3 = d0;
    size_t full = d / GS_LANES * GS_LANES;
    size_t j = 0;
    for (; j < full; j += GS_LANES) {
        const unsigned char *p = row + j * width;
        // A few hundred instructions ahead of the loads: the hardware prefetcher alone keeps
        // too few lines in flight for this much work per line (measured: F16 0.75 -> 0.83 of
        // the STREAM read on one core). Prefetches past the last row are harmless.
        _mm_prefetch((const char *)p + GS_PREFETCH_BYTES, _MM_HINT_T0);
        if (width == 4) _mm_prefetch((const char *)p + GS_PREFETCH_BYTES + 64, _MM_HINT_T0);
        __m256 x0 = avx2_load8(p, type);
        __m256 x1 = avx2_load8(p + 8 * width, type);
        __m256 x2 = avx2_load8(p + 16 * width, type);
        __m256 x3 = avx2_load8(p + 24 * width, type);
        d0 = _mm256_add_ps(d0, _mm256_mul_ps(x0, _mm256_loadu_ps(ref + j)));
        d1 = _mm256_add_ps(d1, _mm256_mul_ps(x1, _mm256_loadu_ps(ref + j + 8)));
        d2 = _mm256_add_ps(d2, _mm256_mul_ps(x2, _mm256_loadu_ps(ref + j + 16)));
        d3 = _mm256_add_ps(d3, _mm256_mul_ps(x3, _mm256_loadu_ps(ref + j + 24)));
        n0 = _mm256_add_ps(n0, _mm256_mul_ps(x0, x0));
        n1 = _mm256_add_ps(n1, _mm256_mul_ps(x1, x1));
        n2 = _mm256_add_ps(n2, _mm256_mul_ps(x2, x2));
        n3 = _mm256_add_ps(n3, _mm256_mul_ps(x3, x3));
    }
    if (j < d) {
        // The zero-padded last block, exactly as the portable path pads it.
        float xs[GS_LANES] = {0}, gs[GS_LANES] = {0};
        for (size_t i = 0; j + i < d; i++) {
            xs[i] = element(row, j + i, type);
            gs[i] = ref[j + i];
        }
        __m256 x0 = _mm256_loadu_ps(xs), x1 = _mm256_loadu_ps(xs + 8);
        __m256 x2 = _mm256_loadu_ps(xs + 16), x3 = _mm256_loadu_ps(xs + 24);
        d0 = _mm256_add_ps(d0, _mm256_mul_ps(x0, _mm256_loadu_ps(gs)));
        d1 = _mm256_add_ps(d1, _mm256_mul_ps(x1, _mm256_loadu_ps(gs + 8)));
        d2 = _mm256_add_ps(d2, _mm256_mul_ps(x2, _mm256_loadu_ps(gs + 16)));
        d3 = _mm256_add_ps(d3, _mm256_mul_ps(x3, _mm256_loadu_ps(gs + 24)));
        n0 = _mm256_add_ps(n0, _mm256_mul_ps(x0, x0));
        n1 = _mm256_add_ps(n1, _mm256_mul_ps(x1, x1));
        n2 = _mm256_add_ps(n2, _mm256_mul_ps(x2, x2));
        n3 = _mm256_add_ps(n3, _mm256_mul_ps(x3, x3));
    }
    *dot = avx2_reduce(d0, d1, d2, d3);
    if (norm) *norm = avx2_reduce(n0, n1, n2, n3);
}

/// Rows of one element type; `type` is a constant in each caller, so the loads specialize.
GS_AVX2_INLINE void avx2_rows_typed(const unsigned char *rows, size_t count, size_t stride, int type,
                                    const float *refs, size_t k, size_t d, double *dots, double *norms) {
    for (size_t r = 0; r < count; r++) {
        const unsigned char *row = rows + r * stride;
        if (k == 0) {
            double unused;
            avx2_row(row, type, refs, d, &unused, &norms[r]);
            continue;
        }
        // The first reference reads the row from memory and takes the norm; the others find
        // the row in L1/L2, so memory sees one pass whatever k is.
        for (size_t i = 0; i < k; i++) {
            avx2_row(row, type, refs + i * d, d, &dots[r * k + i], i == 0 ? &norms[r] : NULL);
        }
    }
}

GS_AVX2 static void avx2_rows_f32(const unsigned char *rows, size_t count, size_t stride, const float *refs,
                                  size_t k, size_t d, double *dots, double *norms) {
    avx2_rows_typed(rows, count, stride, GS_ELEMENT_F32, refs, k, d, dots, norms);
}

GS_AVX2 static void avx2_rows_f16(const unsigned char *rows, size_t count, size_t stride, const float *refs,
                                  size_t k, size_t d, double *dots, double *norms) {
    avx2_rows_typed(rows, count, stride, GS_ELEMENT_F16, refs, k, d, dots, norms);
}

GS_AVX2 static void avx2_rows_bf16(const unsigned char *rows, size_t count, size_t stride, const float *refs,
                                   size_t k, size_t d, double *dots, double *norms) {
    avx2_rows_typed(rows, count, stride, GS_ELEMENT_BF16, refs, k, d, dots, norms);
}

/// True when any of the eight elements at `p` is a NaN or an infinity (exponent all ones).
GS_AVX2_INLINE int avx2_special8(const unsigned char *p, int type) {
    __m256i bits;
    if (type == GS_ELEMENT_F32) {
        bits = _mm256_loadu_si256((const __m256i *)p);
        __m256i mask = _mm256_set1_epi32(0x7f800000);
        return _mm256_movemask_epi8(_mm256_cmpeq_epi32(_mm256_and_si256(bits, mask), mask)) != 0;
    }
    __m128i half = _mm_loadu_si128((const __m128i *)p);
    __m128i mask = _mm_set1_epi16(type == GS_ELEMENT_F16 ? 0x7c00 : 0x7f80);
    return _mm_movemask_epi8(_mm_cmpeq_epi16(_mm_and_si128(half, mask), mask)) != 0;
}

GS_AVX2_INLINE ptrdiff_t avx2_add_rows_typed(const unsigned char *rows, size_t count, size_t d, int type, double *sum) {
    const size_t width = type == GS_ELEMENT_F32 ? 4 : 2;
    const size_t stride = d * width;
    const size_t full = d / 8 * 8;
    for (size_t r = 0; r < count; r++) {
        const unsigned char *row = rows + r * stride;
        int special = 0;
        for (size_t j = 0; j < full; j += 8) special |= avx2_special8(row + j * width, type);
        for (size_t j = full; j < d; j++) special |= element_is_special(row, j, type);
        if (special) return (ptrdiff_t)r;
        size_t j = 0;
        for (; j < full; j += 8) {
            __m256 x = avx2_load8(row + j * width, type);
            __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(x));
            __m256d hi = _mm256_cvtps_pd(_mm256_extractf128_ps(x, 1));
            _mm256_storeu_pd(sum + j, _mm256_add_pd(_mm256_loadu_pd(sum + j), lo));
            _mm256_storeu_pd(sum + j + 4, _mm256_add_pd(_mm256_loadu_pd(sum + j + 4), hi));
        }
        for (; j < d; j++) sum[j] += (double)element(row, j, type);
    }
    return -1;
}

GS_AVX2 static ptrdiff_t avx2_add_rows(const unsigned char *rows, size_t count, size_t d, int type, double *sum) {
    switch (type) {
    case GS_ELEMENT_F16: return avx2_add_rows_typed(rows, count, d, GS_ELEMENT_F16, sum);
    case GS_ELEMENT_BF16: return avx2_add_rows_typed(rows, count, d, GS_ELEMENT_BF16, sum);
    default: return avx2_add_rows_typed(rows, count, d, GS_ELEMENT_F32, sum);
    }
}

GS_AVX2 static uint64_t avx2_stream_read(const unsigned char *bytes, size_t count) {
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
    size_t i = 0;
    for (; i + 128 <= count; i += 128) {
        a0 = _mm256_add_epi64(a0, _mm256_loadu_si256((const __m256i *)(bytes + i)));
        a1 = _mm256_add_epi64(a1, _mm256_loadu_si256((const __m256i *)(bytes + i + 32)));
        a2 = _mm256_add_epi64(a2, _mm256_loadu_si256((const __m256i *)(bytes + i + 64)));
        a3 = _mm256_add_epi64(a3, _mm256_loadu_si256((const __m256i *)(bytes + i + 96)));
    }
    uint64_t lanes[16];
    _mm256_storeu_si256((__m256i *)lanes, a0);
    _mm256_storeu_si256((__m256i *)(lanes + 4), a1);
    _mm256_storeu_si256((__m256i *)(lanes + 8), a2);
    _mm256_storeu_si256((__m256i *)(lanes + 12), a3);
    uint64_t total = 0;
    for (int w = 0; w < 4; w++) total += lanes[w] + lanes[4 + w] + lanes[8 + w] + lanes[12 + w];
    for (; i + 8 <= count; i += 8) {
        uint64_t word;
        memcpy(&word, bytes + i, 8);
        total += word;
    }
    for (; i < count; i++) total += bytes[i];
    return total;
}

/// Two vectors x at a time against the group: each tile load serves both, and the sixteen
/// accumulators keep the adders busy.
GS_AVX2 static void avx2_group_dots(const float *vectors, size_t rows, size_t d, const float *tiles,
                                   float *out, size_t out_stride) {
    const size_t tile = d * 8;
    size_t r = 0;
    for (; r + 2 <= rows; r += 2) {
        const float *x = vectors + r * d, *y = x + d;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        for (size_t j = 0; j < d; j++) {
            const float *t = tiles + j * 8;
            __m256 t0 = _mm256_loadu_ps(t), t1 = _mm256_loadu_ps(t + tile);
            __m256 t2 = _mm256_loadu_ps(t + 2 * tile), t3 = _mm256_loadu_ps(t + 3 * tile);
            __m256 xa = _mm256_broadcast_ss(x + j), xb = _mm256_broadcast_ss(y + j);
            a0 = _mm256_add_ps(a0, _mm256_mul_ps(xa, t0));
            a1 = _mm256_add_ps(a1, _mm256_mul_ps(xa, t1));
            a2 = _mm256_add_ps(a2, _mm256_mul_ps(xa, t2));
            a3 = _mm256_add_ps(a3, _mm256_mul_ps(xa, t3));
            b0 = _mm256_add_ps(b0, _mm256_mul_ps(xb, t0));
            b1 = _mm256_add_ps(b1, _mm256_mul_ps(xb, t1));
            b2 = _mm256_add_ps(b2, _mm256_mul_ps(xb, t2));
            b3 = _mm256_add_ps(b3, _mm256_mul_ps(xb, t3));
        }
        float *o = out + r * out_stride, *p = o + out_stride;
        _mm256_storeu_ps(o, a0);
        _mm256_storeu_ps(o + 8, a1);
        _mm256_storeu_ps(o + 16, a2);
        _mm256_storeu_ps(o + 24, a3);
        _mm256_storeu_ps(p, b0);
        _mm256_storeu_ps(p + 8, b1);
        _mm256_storeu_ps(p + 16, b2);
        _mm256_storeu_ps(p + 24, b3);
    }
    for (; r < rows; r++) {
        const float *x = vectors + r * d;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (size_t j = 0; j < d; j++) {
            const float *t = tiles + j * 8;
            __m256 xa = _mm256_broadcast_ss(x + j);
            a0 = _mm256_add_ps(a0, _mm256_mul_ps(xa, _mm256_loadu_ps(t)));
            a1 = _mm256_add_ps(a1, _mm256_mul_ps(xa, _mm256_loadu_ps(t + tile)));
            a2 = _mm256_add_ps(a2, _mm256_mul_ps(xa, _mm256_loadu_ps(t + 2 * tile)));
            a3 = _mm256_add_ps(a3, _mm256_mul_ps(xa, _mm256_loadu_ps(t + 3 * tile)));
        }
        float *o = out + r * out_stride;
        _mm256_storeu_ps(o, a0);
        _mm256_storeu_ps(o + 8, a1);
        _mm256_storeu_ps(o + 16, a2);
        _mm256_storeu_ps(o + 24, a3);
    }
}

/// Register block of `avx2_tile_dots`: R rows (R <= GS_MR, a constant after inlining) against
/// two tiles (16 columns), over elements k0..<k1. The rows come packed (`xp[(j - k0) * R + r]`,
/// so the broadcasts read one stream instead of R streams 4 d bytes apart, which share L1 sets
/// when d is a multiple of 1024). `first`: the sums start from zero; otherwise from the partial
/// sums in `out` (what the previous block of elements left there: a Float32 stored and loaded
/// back is the same Float32, so splitting j changes no bit).
#define GS_MR 6
#define GS_KC 256
GS_AVX2_INLINE void avx2_tile_micro(const float *xp, const int R, const float *tp0, const float *tp1,
                                    size_t k0, size_t k1, float *out, size_t out_stride, int first) {
    __m256 a[GS_MR][2];
    for (int r = 0; r < R; r++) {
        if (first) {
            a[r][0] = _mm256_setzero_ps();
            a[r][1] = _mm256_setzero_ps();
        } else {
            a[r][0] = _mm256_loadu_ps(out + r * out_stride);
            a[r][1] = _mm256_loadu_ps(out + r * out_stride + 8);
        }
    }
    for (size_t j = k0; j < k1; j++, xp += R) {
        __m256 b0 = _mm256_loadu_ps(tp0 + j * 8), b1 = _mm256_loadu_ps(tp1 + j * 8);
        for (int r = 0; r < R; r++) {
            __m256 xr = _mm256_broadcast_ss(xp + r);
            a[r][0] = _mm256_add_ps(a[r][0], _mm256_mul_ps(xr, b0));
            a[r][1] = _mm256_add_ps(a[r][1], _mm256_mul_ps(xr, b1));
        }
    }
    for (int r = 0; r < R; r++) {
        _mm256_storeu_ps(out + r * out_stride, a[r][0]);
        _mm256_storeu_ps(out + r * out_stride + 8, a[r][1]);
    }
}

/// gs_tile_dots on AVX2: blocks of GS_KC elements (so a pair of tiles' block, 16 KiB, stays in
/// L1 while every packed block of 6 rows uses it), 6 rows x 16 columns in 12 registers.
GS_AVX2 static void avx2_tile_dots(const float *vectors, size_t rows, size_t d, const float *tiles, size_t groups,
                                   float *out, size_t out_stride) {
    const size_t tileCount = groups * 4;
    float *packed = malloc(rows * GS_KC * sizeof(float));
    if (!packed) abort();
    for (size_t k0 = 0; k0 < d; k0 += GS_KC) {
        const size_t k1 = k0 + GS_KC < d ? k0 + GS_KC : d, kn = k1 - k0;
        const int first = k0 == 0;
        // Block b of R rows (R = 6, the last one fewer) at packed + b * 6 * kn, element-major.
        for (size_t r0 = 0; r0 < rows; r0 += GS_MR) {
            const size_t R = rows - r0 < GS_MR ? rows - r0 : GS_MR;
            float *p = packed + r0 * kn;
            for (size_t j = 0; j < kn; j++) {
                for (size_t r = 0; r < R; r++) p[j * R + r] = vectors[(r0 + r) * d + k0 + j];
            }
        }
        for (size_t t = 0; t < tileCount; t += 2) {
            const float *tp0 = tiles + t * d * 8, *tp1 = tp0 + d * 8;
            size_t r = 0;
            for (; r + GS_MR <= rows; r += GS_MR) {
                avx2_tile_micro(packed + r * kn, GS_MR, tp0, tp1, k0, k1, out + r * out_stride + t * 8, out_stride, first);
            }
            const float *x = packed + r * kn;
            float *o = out + r * out_stride + t * 8;
            switch (rows - r) {
            case 5: avx2_tile_micro(x, 5, tp0, tp1, k0, k1, o, out_stride, first); break;
            case 4: avx2_tile_micro(x, 4, tp0, tp1, k0, k1, o, out_stride, first); break;
            case 3: avx2_tile_micro(x, 3, tp0, tp1, k0, k1, o, out_stride, first); break;
            case 2: avx2_tile_micro(x, 2, tp0, tp1, k0, k1, o, out_stride, first); break;
            case 1: avx2_tile_micro(x, 1, tp0, tp1, k0, k1, o, out_stride, first); break;
            default: break;
            }
        }
    }
    free(packed);
}

static int cpu_has_avx2(void) {
    __builtin_cpu_init();
    // __builtin_cpu_supports also checks that the OS saves the YMM registers (XCR0).
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c");
}
#else
static int cpu_has_avx2(void) { return 0; }
#endif

// MARK: Dispatch

static int chosen_path = -1;

int gs_kernel_path(void) {
    int path = __atomic_load_n(&chosen_path, __ATOMIC_RELAXED);
    if (path >= 0) return path;
    const char *forced = getenv("GRADSIEVE_KERNELS");
    path = (forced && strcmp(forced, "portable") == 0) ? GS_PATH_PORTABLE
           : (cpu_has_avx2() ? GS_PATH_AVX2 : GS_PATH_PORTABLE);
    __atomic_store_n(&chosen_path, path, __ATOMIC_RELAXED);
    return path;
}

int gs_set_kernel_path(int path) {
    int chosen = (path == GS_PATH_AVX2 && cpu_has_avx2()) ? GS_PATH_AVX2 : GS_PATH_PORTABLE;
    __atomic_store_n(&chosen_path, chosen, __ATOMIC_RELAXED);
    return chosen;
}

void gs_dot_norm_rows(const void *rows, size_t count, size_t row_stride, int type,
                      const float *refs, size_t k, size_t d, double *dots, double *norms) {
    const unsigned char *bytes = (const unsigned char *)rows;
#if GS_X86
    if (gs_kernel_path() == GS_PATH_AVX2) {
        switch (type) {
        case GS_ELEMENT_F16: avx2_rows_f16(bytes, count, row_stride, refs, k, d, dots, norms); return;
        case GS_ELEMENT_BF16: avx2_rows_bf16(bytes, count, row_stride, refs, k, d, dots, norms); return;
        default: avx2_rows_f32(bytes, count, row_stride, refs, k, d, dots, norms); return;
        }
    }
#endif
    portable_rows(bytes, count, row_stride, type, refs, k, d, dots, norms);
}

ptrdiff_t gs_add_rows(const void *rows, size_t count, size_t d, int type, double *sum) {
#if GS_X86
    if (gs_kernel_path() == GS_PATH_AVX2) return avx2_add_rows((const unsigned char *)rows, count, d, type, sum);
#endif
    return portable_add_rows((const unsigned char *)rows, count, d, type, sum);
}

uint64_t gs_stream_read(const void *bytes, size_t count) {
#if GS_X86
    if (gs_kernel_path() == GS_PATH_AVX2) return avx2_stream_read((const unsigned char *)bytes, count);
#endif
    return portable_stream_read((const unsigned char *)bytes, count);
}

void gs_group_dots(const float *vectors, size_t rows, size_t d, const float *tiles, float *out, size_t out_stride) {
#if GS_X86
    if (gs_kernel_path() == GS_PATH_AVX2) {
        avx2_group_dots(vectors, rows, d, tiles, out, out_stride);
        return;
    }
#endif
    portable_group_dots(vectors, rows, d, tiles, out, out_stride);
}

void gs_tile_dots(const float *vectors, size_t rows, size_t d, const float *tiles, size_t groups, float *out,
                  size_t out_stride) {
#if GS_X86
    if (gs_kernel_path() == GS_PATH_AVX2) {
        avx2_tile_dots(vectors, rows, d, tiles, groups, out, out_stride);
        return;
    }
#endif
    for (size_t g = 0; g < groups; g++) {
        portable_group_dots(vectors, rows, d, tiles + g * 32 * d, out + g * 32, out_stride);
    }
}

void gs_transpose_block(const float *src, size_t src_stride, size_t src_rows, size_t src_cols, float *dst,
                        size_t dst_stride) {
    // In 8 x 8 squares so that both sides are read and written a cache line at a time.
    for (size_t i0 = 0; i0 < src_rows; i0 += 8) {
        for (size_t j0 = 0; j0 < src_cols; j0 += 8) {
            const size_t i1 = i0 + 8 < src_rows ? i0 + 8 : src_rows, j1 = j0 + 8 < src_cols ? j0 + 8 : src_cols;
            for (size_t j = j0; j < j1; j++) {
                for (size_t i = i0; i < i1; i++) dst[j * dst_stride + i] = src[i * src_stride + j];
            }
        }
    }
}
