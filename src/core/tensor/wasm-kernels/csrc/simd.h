// SIMD helpers the kernels share.
#ifndef PARETUNE_SIMD_H
#define PARETUNE_SIMD_H

#include <wasm_simd128.h>

// Stores the transpose of the 4x4 block of 4-byte lanes whose rows are r0..r3 as four vectors at dst, dst + step,
// dst + 2 * step and dst + 3 * step (step in elements).
static inline void pt_store_transposed_4x4(v128_t r0, v128_t r1, v128_t r2, v128_t r3, void* dst, int step) {
  unsigned* d = dst;
  const v128_t t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5);
  const v128_t t1 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5);
  const v128_t t2 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7);
  const v128_t t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
  wasm_v128_store(d, wasm_i64x2_shuffle(t0, t1, 0, 2));
  wasm_v128_store(d + step, wasm_i64x2_shuffle(t0, t1, 1, 3));
  wasm_v128_store(d + 2 * step, wasm_i64x2_shuffle(t2, t3, 0, 2));
  wasm_v128_store(d + 3 * step, wasm_i64x2_shuffle(t2, t3, 1, 3));
}

// The sum of a vector's four float lanes, pairwise.
static inline float pt_sum_lanes(v128_t v) {
  return (wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1)) +
         (wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3));
}

#endif
