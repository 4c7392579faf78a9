// LayerNorm over the last axis and its gradients, one pass over each row, with wasm SIMD128.
//
// tfjs composes the forward pass of about ten element-wise kernels and reductions (moments, subtract, rsqrt,
// scale, shift), and the gradient with respect to x of about twenty; each is a pass over memory and a kernel call.
// Statistics are those of tf.moments: the mean, then the mean of squared deviations from it (two passes over the
// row, no cancellation of E[x^2] - E[x]^2).
//
//   y = xhat w + b, xhat = (x - mean) / sqrt(var + eps)
//   dx = (g - mean(g) - xhat mean(g xhat)) / sqrt(var + eps), g = dy w
//   dw = sum over rows of dy xhat (db, the sum of dy over rows, is sumRows in ../../sum-rows.ts)

#include <wasm_simd128.h>

#include "kernels.h"
#include "simd.h"

// The statistics of one row: its mean and 1 / sqrt(var + eps), as scalars and splat vectors.
struct row_norm {
  float mean, inv_std;
  v128_t mean4, inv_std4;
};

static struct row_norm row_norm_of(const float* x, int d, float eps) {
  v128_t acc = wasm_f32x4_splat(0);
  int j = 0;
  for (; j + 4 <= d; j += 4) acc = wasm_f32x4_add(acc, wasm_v128_load(x + j));
  float sum = pt_sum_lanes(acc);
  for (; j < d; j++) sum += x[j];
  const float mean = sum / (float)d;
  const v128_t mean4 = wasm_f32x4_splat(mean);
  acc = wasm_f32x4_splat(0);
  j = 0;
  for (; j + 4 <= d; j += 4) {
    const v128_t dev = wasm_f32x4_sub(wasm_v128_load(x + j), mean4);
    acc = wasm_f32x4_add(acc, wasm_f32x4_mul(dev, dev));
  }
  float squares = pt_sum_lanes(acc);
  for (; j < d; j++) squares += (x[j] - mean) * (x[j] - mean);
  const float inv_std = 1.0f / __builtin_sqrtf(squares / (float)d + eps);
  return (struct row_norm){mean, inv_std, mean4, wasm_f32x4_splat(inv_std)};
}

// xhat of the four elements at x, and of one.
static inline v128_t xhat4(const struct row_norm* n, const float* x) {
  return wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(x), n->mean4), n->inv_std4);
}
static inline float xhat1(const struct row_norm* n, float x) { return (x - n->mean) * n->inv_std; }

void pt_layer_norm(const float* x, const float* w, const float* b, float* y, int rows, int d, float eps) {
  for (int r = 0; r < rows; r++, x += d, y += d) {
    const struct row_norm n = row_norm_of(x, d, eps);
    int j = 0;
    for (; j + 4 <= d; j += 4) {
      const v128_t scaled = wasm_f32x4_mul(xhat4(&n, x + j), wasm_v128_load(w + j));
      wasm_v128_store(y + j, wasm_f32x4_add(scaled, wasm_v128_load(b + j)));
    }
    for (; j < d; j++) y[j] = xhat1(&n, x[j]) * w[j] + b[j];
  }
}

void pt_layer_norm_grad_x(const float* x, const float* w, const float* dy, float* dx, int rows, int d, float eps) {
  for (int r = 0; r < rows; r++, x += d, dy += d, dx += d) {
    const struct row_norm n = row_norm_of(x, d, eps);
    v128_t g_acc = wasm_f32x4_splat(0), gx_acc = wasm_f32x4_splat(0);
    int j = 0;
    for (; j + 4 <= d; j += 4) {
      const v128_t g = wasm_f32x4_mul(wasm_v128_load(dy + j), wasm_v128_load(w + j));
      g_acc = wasm_f32x4_add(g_acc, g);
      gx_acc = wasm_f32x4_add(gx_acc, wasm_f32x4_mul(g, xhat4(&n, x + j)));
    }
    float g_sum = pt_sum_lanes(g_acc), gx_sum = pt_sum_lanes(gx_acc);
    for (int t = j; t < d; t++) {
      g_sum += dy[t] * w[t];
      gx_sum += dy[t] * w[t] * xhat1(&n, x[t]);
    }
    const float g_mean = g_sum / (float)d, gx_mean = gx_sum / (float)d;
    const v128_t g_mean4 = wasm_f32x4_splat(g_mean), gx_mean4 = wasm_f32x4_splat(gx_mean);
    for (j = 0; j + 4 <= d; j += 4) {
      const v128_t g = wasm_f32x4_mul(wasm_v128_load(dy + j), wasm_v128_load(w + j));
      const v128_t centred = wasm_f32x4_sub(wasm_f32x4_sub(g, g_mean4), wasm_f32x4_mul(xhat4(&n, x + j), gx_mean4));
      wasm_v128_store(dx + j, wasm_f32x4_mul(centred, n.inv_std4));
    }
    for (; j < d; j++) dx[j] = (dy[j] * w[j] - g_mean - xhat1(&n, x[j]) * gx_mean) * n.inv_std;
  }
}

void pt_layer_norm_grad_w(const float* x, const float* dy, float* dw, int rows, int d, float eps) {
  for (int j = 0; j < d; j++) dw[j] = 0;
  for (int r = 0; r < rows; r++, x += d, dy += d) {
    const struct row_norm n = row_norm_of(x, d, eps);
    int j = 0;
    for (; j + 4 <= d; j += 4) {
      const v128_t term = wasm_f32x4_mul(wasm_v128_load(dy + j), xhat4(&n, x + j));
      wasm_v128_store(dw + j, wasm_f32x4_add(wasm_v128_load(dw + j), term));
    }
    for (; j < d; j++) dw[j] += dy[j] * xhat1(&n, x[j]);
  }
}
