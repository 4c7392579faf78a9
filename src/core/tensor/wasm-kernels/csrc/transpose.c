// Transpose of a tensor of 4-byte elements, rank 1 to PT_MAX_RANK, with wasm SIMD128.
//
// The caller has removed size-1 dimensions and merged dimensions that stay adjacent, so the permutation moves
// every dimension it names. Two cases remain: the innermost dimension stays innermost (rows are copied whole), or
// it moves (each 2-D slice between the input's innermost and the output's innermost dimension is transposed in
// 4x4 blocks).

#include <wasm_simd128.h>

#include "kernels.h"
#include "simd.h"

// Copies n elements.
static void copy_run(const unsigned* src, unsigned* dst, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(dst + i, wasm_v128_load(src + i));
  for (; i < n; i++) dst[i] = src[i];
}

// Transposes the 4x4 block at src (rows l, columns q; row step src_step) into dst (rows q; row step dst_step).
static void transpose_4x4(const unsigned* src, int src_step, unsigned* dst, int dst_step) {
  const v128_t r0 = wasm_v128_load(src);
  const v128_t r1 = wasm_v128_load(src + src_step);
  const v128_t r2 = wasm_v128_load(src + 2 * src_step);
  const v128_t r3 = wasm_v128_load(src + 3 * src_step);
  pt_store_transposed_4x4(r0, r1, r2, r3, dst, dst_step);
}

// Columns of the output handled per strip, so that the input rows of a strip stay in L1 while q advances.
enum { STRIP = 32 };

// dst(q, l) = src(q, l) for q < rows, l < cols, where src(q, l) is at src[q + l * src_step] and dst(q, l) at
// dst[q * dst_step + l].
static void transpose_slice(const unsigned* src, unsigned* dst, int rows, int cols, int src_step, int dst_step) {
  for (int l0 = 0; l0 < cols; l0 += STRIP) {
    const int l1 = cols - l0 < STRIP ? cols : l0 + STRIP;
    int q = 0;
    for (; q + 4 <= rows; q += 4) {
      int l = l0;
      for (; l + 4 <= l1; l += 4) transpose_4x4(src + q + l * src_step, src_step, dst + q * dst_step + l, dst_step);
      for (; l < l1; l++) {
        for (int i = 0; i < 4; i++) dst[(q + i) * dst_step + l] = src[q + i + l * src_step];
      }
    }
    for (; q < rows; q++) {
      for (int l = l0; l < l1; l++) dst[q * dst_step + l] = src[q + l * src_step];
    }
  }
}

void pt_transpose(const unsigned* in, unsigned* out, int rank, const int* shape, const int* perm) {
  int in_stride[PT_MAX_RANK], src_step[PT_MAX_RANK], out_shape[PT_MAX_RANK], out_stride[PT_MAX_RANK];
  in_stride[rank - 1] = 1;
  for (int d = rank - 2; d >= 0; d--) in_stride[d] = in_stride[d + 1] * shape[d + 1];
  for (int d = 0; d < rank; d++) {
    out_shape[d] = shape[perm[d]];
    src_step[d] = in_stride[perm[d]];
  }
  out_stride[rank - 1] = 1;
  for (int d = rank - 2; d >= 0; d--) out_stride[d] = out_stride[d + 1] * out_shape[d + 1];

  const int last = rank - 1;
  // The output dimension that is the input's innermost; equal to `last` when whole rows can be copied.
  int inner = 0;
  while (perm[inner] != last) inner++;

  // Odometer over the output dimensions other than `last` and `inner`.
  int index[PT_MAX_RANK] = {0};
  const unsigned* src = in;
  unsigned* dst = out;
  for (;;) {
    if (inner == last) {
      copy_run(src, dst, out_shape[last]);
    } else {
      transpose_slice(src, dst, out_shape[inner], out_shape[last], src_step[last], out_stride[inner]);
    }
    int d = last - 1;
    for (; d >= 0; d--) {
      if (d == inner) continue;
      index[d]++;
      src += src_step[d];
      dst += out_stride[d];
      if (index[d] < out_shape[d]) break;
      src -= src_step[d] * out_shape[d];
      dst -= out_stride[d] * out_shape[d];
      index[d] = 0;
    }
    if (d < 0) return;
  }
}
