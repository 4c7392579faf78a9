// Batched float32 matrix product with wasm SIMD128, for all four transpose combinations.
//
// Results are bit-identical to the stock tfjs-wasm kernel it replaces: that kernel sums the shared dimension in
// blocks of 48 (a fresh float sum per block, added to the output in block order), with one multiply and one add per
// term and no fused multiply-add. Each vector lane here does exactly those operations in that order.
//

#include <wasm_simd128.h>

#include "kernels.h"
#include "simd.h"

// Layout: A panels of MR rows and B panels of NR columns are packed (zero-padded), B in chunks of at most K_CHUNK
// shared indices by as many columns as keep a chunk within B_CHUNK_FLOATS (256 KiB, within a core's L2 cache), so
// that the 4x8 register tile streams both operands from contiguous, cached memory. Each output tile sums a chunk's
// blocks of K_BLOCK while it stays in the L1 cache.
enum { MR = 4, NR = 8, K_BLOCK = 48, K_CHUNK = 10 * K_BLOCK, B_CHUNK_FLOATS = 64 * 1024 };

static int min_int(int a, int b) { return a < b ? a : b; }

// Bytes of scratch pt_batch_matmul needs (packed B chunk, packed A panel, edge tile).
int pt_batch_matmul_scratch_bytes(void) { return (B_CHUNK_FLOATS + K_CHUNK * MR + MR * NR) * 4; }

// An operand of the product as the kernel sees it: element (row, col) is at data[row * row_step + col * col_step].
typedef struct {
  const float* data;
  int row_step;
  int col_step;
} operand;

// Packs 4 lanes of a panel: packed[p * width + c] = src[c * src_step + p] for c < 4, p < kc (4x4 transposes).
static void pack_strided_4(const float* src, int src_step, int kc, float* packed, int width) {
  int p = 0;
  for (; p + 4 <= kc; p += 4) {
    const float* s = src + p;
    pt_store_transposed_4x4(wasm_v128_load(s), wasm_v128_load(s + src_step), wasm_v128_load(s + 2 * src_step),
                         wasm_v128_load(s + 3 * src_step), packed + p * width, width);
  }
  for (; p < kc; p++) {
    for (int c = 0; c < 4; c++) packed[p * width + c] = src[c * src_step + p];
  }
}

// Packs rows [i0, i0 + MR) and shared indices [k0, k0 + kc) of A: packed[p * MR + r] = A(i0 + r, k0 + p).
static void pack_a(operand a, int m, int i0, int k0, int kc, float* packed) {
  const int rows = m - i0 < MR ? m - i0 : MR;
  if (rows == MR && a.row_step == 1) {
    for (int p = 0; p < kc; p++) {
      wasm_v128_store(packed + p * MR, wasm_v128_load(a.data + i0 + (k0 + p) * a.col_step));
    }
    return;
  }
  if (rows == MR && a.col_step == 1) {
    pack_strided_4(a.data + i0 * a.row_step + k0, a.row_step, kc, packed, MR);
    return;
  }
  for (int p = 0; p < kc; p++) {
    for (int r = 0; r < MR; r++) {
      packed[p * MR + r] = r < rows ? a.data[(i0 + r) * a.row_step + (k0 + p) * a.col_step] : 0.0f;
    }
  }
}

// Packs shared indices [k0, k0 + kc) of all of B into panels of NR columns: panel j holds B(k0 + p, j * NR + c)
// at j * kc * NR + p * NR + c.
static void pack_b(operand b, int n, int k0, int kc, float* packed) {
  for (int j0 = 0; j0 < n; j0 += NR) {
    const int cols = n - j0 < NR ? n - j0 : NR;
    float* panel = packed + j0 * kc;
    if (cols == NR && b.col_step == 1) {
      for (int p = 0; p < kc; p++) {
        const float* row = b.data + (k0 + p) * b.row_step + j0;
        wasm_v128_store(panel + p * NR, wasm_v128_load(row));
        wasm_v128_store(panel + p * NR + 4, wasm_v128_load(row + 4));
      }
      continue;
    }
    if (cols == NR && b.row_step == 1) {
      const float* col = b.data + k0 + j0 * b.col_step;
      pack_strided_4(col, b.col_step, kc, panel, NR);
      pack_strided_4(col + 4 * b.col_step, b.col_step, kc, panel + 4, NR);
      continue;
    }
    for (int p = 0; p < kc; p++) {
      for (int c = 0; c < NR; c++) {
        panel[p * NR + c] = c < cols ? b.data[(k0 + p) * b.row_step + (j0 + c) * b.col_step] : 0.0f;
      }
    }
  }
}

#define MADD(acc, x, y) acc = wasm_f32x4_add(acc, wasm_f32x4_mul(x, y))
#define STORE_ROW(row, lo, hi)                                                                          \
  do {                                                                                                 \
    float* dst = c + (row) * ldc;                                                                      \
    wasm_v128_store(dst, wasm_f32x4_add(accumulate ? wasm_v128_load(dst) : zero, lo));                 \
    wasm_v128_store(dst + 4, wasm_f32x4_add(accumulate ? wasm_v128_load(dst + 4) : zero, hi));         \
  } while (0)

// C[0..MR)[0..NR) = (accumulate ? C : 0) + sum over p < kc of packed A(r, p) * packed B(p, c), summed in p order.
static void tile_4x8(int kc, const float* pa, const float* pb, float* c, int ldc, int accumulate) {
  const v128_t zero = wasm_f32x4_splat(0.0f);
  v128_t c0l = zero, c0h = zero, c1l = zero, c1h = zero, c2l = zero, c2h = zero, c3l = zero, c3h = zero;
  for (int p = 0; p < kc; p++) {
    const v128_t bl = wasm_v128_load(pb);
    const v128_t bh = wasm_v128_load(pb + 4);
    const v128_t a0 = wasm_v128_load32_splat(pa);
    const v128_t a1 = wasm_v128_load32_splat(pa + 1);
    const v128_t a2 = wasm_v128_load32_splat(pa + 2);
    const v128_t a3 = wasm_v128_load32_splat(pa + 3);
    MADD(c0l, a0, bl);
    MADD(c0h, a0, bh);
    MADD(c1l, a1, bl);
    MADD(c1h, a1, bh);
    MADD(c2l, a2, bl);
    MADD(c2h, a2, bh);
    MADD(c3l, a3, bl);
    MADD(c3h, a3, bh);
    pa += MR;
    pb += NR;
  }
  STORE_ROW(0, c0l, c0h);
  STORE_ROW(1, c1l, c1h);
  STORE_ROW(2, c2l, c2h);
  STORE_ROW(3, c3l, c3h);
}

// out[m x n] (+)= A[m x kc] B[kc x n] (ldc: out's row length) over one packed chunk of B; edge tiles go through a
// scratch tile.
static void chunk_product(operand a, int m, int n, int ldc, int k0, int kc, const float* packed_b, float* packed_a,
                          float* edge, float* out) {
  for (int i0 = 0; i0 < m; i0 += MR) {
    pack_a(a, m, i0, k0, kc, packed_a);
    const int rows = min_int(m - i0, MR);
    for (int j0 = 0; j0 < n; j0 += NR) {
      const int cols = min_int(n - j0, NR);
      float* c = out + i0 * ldc + j0;
      for (int p0 = 0; p0 < kc; p0 += K_BLOCK) {
        const int pc = min_int(kc - p0, K_BLOCK);
        const float* pa = packed_a + p0 * MR;
        const float* pb = packed_b + j0 * kc + p0 * NR;
        const int accumulate = k0 + p0 > 0;
        if (rows == MR && cols == NR) {
          tile_4x8(pc, pa, pb, c, ldc, accumulate);
          continue;
        }
        tile_4x8(pc, pa, pb, edge, NR, 0);
        for (int r = 0; r < rows; r++) {
          for (int col = 0; col < cols; col++) {
            c[r * ldc + col] = (accumulate ? c[r * ldc + col] : 0.0f) + edge[r * NR + col];
          }
        }
      }
    }
  }
}

void pt_batch_matmul(const float* a, const float* b, float* out, int batch, int a_batch_stride,
                     int b_batch_stride, int m, int n, int k, int transpose_a, int transpose_b, float* scratch) {
  float* packed_b = scratch;
  float* packed_a = packed_b + B_CHUNK_FLOATS;
  float* edge = packed_a + K_CHUNK * MR;
  for (int t = 0; t < batch; t++) {
    const operand at = {a + t * a_batch_stride, transpose_a ? 1 : k, transpose_a ? m : 1};
    const operand bt = {b + t * b_batch_stride, transpose_b ? 1 : n, transpose_b ? k : 1};
    float* o = out + t * m * n;
    if (k == 0) {
      for (int i = 0; i < m * n; i++) o[i] = 0.0f;
      continue;
    }
    for (int k0 = 0; k0 < k; k0 += K_CHUNK) {
      const int kc = min_int(k - k0, K_CHUNK);
      const int chunk_cols = min_int(n, B_CHUNK_FLOATS / kc / NR * NR);
      for (int j0 = 0; j0 < n; j0 += chunk_cols) {
        const int nc = min_int(n - j0, chunk_cols);
        const operand columns = {bt.data + j0 * bt.col_step, bt.row_step, bt.col_step};
        pack_b(columns, nc, k0, kc, packed_b);
        chunk_product(at, m, nc, n, k0, kc, packed_b, packed_a, edge, o + j0);
      }
    }
  }
}
