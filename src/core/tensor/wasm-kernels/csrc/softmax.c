// The gradient of a softmax over the last axis, one pass over each row, with wasm SIMD128.
//
//   dx = y (dy - sum(dy y)) for the softmax output y of one row
//
// tfjs computes it with four kernels (multiply, sum, subtract, multiply), each a pass over the attention's
// [batch * heads, tokens, tokens] probabilities.

#include <wasm_simd128.h>

#include "kernels.h"
#include "simd.h"

void pt_softmax_grad(const float* y, const float* dy, float* dx, int rows, int d) {
  for (int r = 0; r < rows; r++, y += d, dy += d, dx += d) {
    v128_t acc = wasm_f32x4_splat(0);
    int j = 0;
    for (; j + 4 <= d; j += 4) acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_v128_load(dy + j), wasm_v128_load(y + j)));
    float dot = pt_sum_lanes(acc);
    for (; j < d; j++) dot += dy[j] * y[j];
    const v128_t dot4 = wasm_f32x4_splat(dot);
    for (j = 0; j + 4 <= d; j += 4) {
      wasm_v128_store(dx + j, wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(dy + j), dot4), wasm_v128_load(y + j)));
    }
    for (; j < d; j++) dx[j] = (dy[j] - dot) * y[j];
  }
}
