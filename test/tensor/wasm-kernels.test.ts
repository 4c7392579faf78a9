import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertNoTensorLeaks } from '../../src/core/tensor/memory.js';
import { gelu, layerNorm, softmax } from '../../src/core/tensor/ops.js';
import { Rng } from '../../src/core/tensor/rng.js';
import { planBatchMatMul } from '../../src/core/tensor/wasm-kernels/batch-mat-mul.js';
import {
  installWasmKernels,
  uninstallWasmKernels,
  wasmKernelsInstalled,
} from '../../src/core/tensor/wasm-kernels/index.js';
import { simplifyTranspose } from '../../src/core/tensor/wasm-kernels/transpose.js';

// The kernels must reproduce the stock tfjs-wasm kernels bit for bit (tolerance 0): same products, same order of
// float32 additions. Each case runs once on paretune's kernels and once on the stock ones, in the same process.

async function both(run: () => tf.Tensor): Promise<{ ours: ArrayLike<number>; stock: ArrayLike<number> }> {
  const mine = tf.tidy(run);
  uninstallWasmKernels();
  try {
    const reference = tf.tidy(run);
    const [ours, stock] = await Promise.all([mine.data(), reference.data()]);
    expect(mine.shape).toEqual(reference.shape);
    tf.dispose([mine, reference]);
    return { ours, stock };
  } finally {
    installWasmKernels();
  }
}

/** Indices where the two results differ as bit patterns (NaN equals NaN of the same bits). */
function differences(ours: ArrayLike<number>, stock: ArrayLike<number>): number[] {
  const a = new Uint32Array(Float32Array.from(ours).buffer);
  const b = new Uint32Array(Float32Array.from(stock).buffer);
  expect(a.length).toBe(b.length);
  return [...a.keys()].filter((i) => a[i] !== b[i]).slice(0, 5);
}

function randomTensor(rng: Rng, shape: number[]): tf.Tensor {
  return tf.tensor(rng.normalArray(shape.reduce((s, d) => s * d, 1)), shape);
}

const wasm = tf.getBackend() === 'wasm';

describe.runIf(wasm)('wasm BatchMatMul kernel', () => {
  beforeAll(() => expect(wasmKernelsInstalled()).toBe(true));

  const combos = [
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ] as const;

  it.each(combos)(
    'equals the stock kernel bit for bit on random shapes (transposeA %s, transposeB %s)',
    async (ta, tb) => {
      const rng = Rng.fromSeed(ta ? (tb ? 3 : 2) : tb ? 1 : 0);
      for (let trial = 0; trial < 12; trial++) {
        // Batch 1 without flags is XNNPACK on the stock side: compared separately below.
        const [batch, m, n] = [rng.int(ta || tb ? 1 : 2, 5), rng.int(1, 70), rng.int(1, 70)];
        const k = trial < 3 ? ([47, 48, 97][trial] as number) : rng.int(1, 150);
        const a = randomTensor(rng, ta ? [batch, k, m] : [batch, m, k]);
        const b = randomTensor(rng, tb ? [batch, n, k] : [batch, k, n]);
        const { ours, stock } = await both(() => tf.matMul(a, b, ta, tb));
        expect(differences(ours, stock), `batch ${batch} m ${m} n ${n} k ${k}`).toEqual([]);
        tf.dispose([a, b]);
      }
    },
  );

  it('equals the stock kernel bit for bit where B is packed in several chunks of columns and of the shared dimension', async () => {
    const rng = Rng.fromSeed(5);
    // k beyond one chunk of 480 shared indices (and not a multiple of the 48-index block), n beyond the 136 columns
    // a chunk of 480 holds; broadcast B too.
    for (const [batchA, batchB, m, n, k] of [
      [1, 1, 9, 150, 1001],
      [3, 1, 5, 290, 530],
    ] as const) {
      const a = randomTensor(rng, [batchA, k, m]);
      const b = randomTensor(rng, [batchB, k, n]);
      const { ours, stock } = await both(() => tf.matMul(a, b, true, false));
      expect(differences(ours, stock), `m ${m} n ${n} k ${k}`).toEqual([]);
      tf.dispose([a, b]);
    }
  });

  it("equals the stock kernel on the attention's shapes and their gradients", async () => {
    const rng = Rng.fromSeed(7);
    const q = randomTensor(rng, [12, 65, 16]);
    const kT = randomTensor(rng, [12, 16, 65]);
    const v = randomTensor(rng, [12, 65, 16]);
    const attention = (x: tf.Tensor, y: tf.Tensor): tf.Tensor => tf.sum(tf.matMul(tf.softmax(tf.matMul(x, y)), v));
    const gradients = (): tf.Tensor =>
      tf.concat(
        tf
          .grads(attention)([q, kT])
          .map((g) => tf.reshape(g, [-1])),
        0,
      );
    const { ours, stock } = await both(gradients);
    expect(differences(ours, stock)).toEqual([]);
    tf.dispose([q, kT, v]);
  });

  it('broadcasts a single matrix against a batch, as the cpu backend does', async () => {
    const rng = Rng.fromSeed(11);
    const a = randomTensor(rng, [2, 3, 9, 20]);
    const b = randomTensor(rng, [20, 13]);
    const left = await tf.matMul(a, b).data();
    const right = await tf.matMul(b, a, true, true).data();
    const previous = tf.getBackend();
    await tf.setBackend('cpu');
    const [a2, b2] = [tf.tensor(await a.data(), a.shape), tf.tensor(await b.data(), b.shape)];
    const expectedLeft = await tf.matMul(a2, b2).data();
    const expectedRight = await tf.matMul(b2, a2, true, true).data();
    tf.dispose([a2, b2]);
    await tf.setBackend(previous);
    const close = (x: ArrayLike<number>, y: ArrayLike<number>): number =>
      Math.max(...Array.from(x, (value, i) => Math.abs(value - (y[i] as number))));
    expect(close(left, expectedLeft)).toBeLessThan(1e-5);
    expect(close(right, expectedRight)).toBeLessThan(1e-5);
    tf.dispose([a, b]);
  });

  it('leaves empty products, broadcast batch dimensions and int32 to the stock kernel', async () => {
    expect(planBatchMatMul([3, 0, 30], [3, 30, 16], false, false)).toBeUndefined();
    expect(planBatchMatMul([2, 1, 4, 5], [1, 3, 5, 6], false, false)).toBeUndefined();
    expect(planBatchMatMul([64, 30], [16, 30], false, true)).toMatchObject({ batch: 1, m: 64, n: 16, k: 30 });
    const rng = Rng.fromSeed(5);
    const a = randomTensor(rng, [2, 1, 4, 5]);
    const b = randomTensor(rng, [1, 3, 5, 6]);
    const { ours, stock } = await both(() => tf.matMul(a, b));
    expect(differences(ours, stock)).toEqual([]);
    const ints = tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32');
    expect(() => tf.matMul(ints, ints)).toThrow('non-float32');
    const mismatch = (): tf.Tensor => tf.matMul(tf.ones([2, 3, 4]), tf.ones([2, 5, 6]));
    expect(() => tf.tidy(mismatch)).toThrow('inner shapes (4) and (5)');
    tf.dispose([a, b, ints]);
  });

  it('matches XNNPACK on 2-D products without transpose flags within float32 rounding', async () => {
    const rng = Rng.fromSeed(23);
    for (const [m, k, n] of [
      [130, 64, 256],
      [64, 300, 40],
      [7, 5, 3],
    ] as const) {
      const a = randomTensor(rng, [m, k]);
      const b = randomTensor(rng, [k, n]);
      const { ours, stock } = await both(() => tf.matMul(a, b));
      // Sums of k products of unit normals, in another order: a few float32 ulps of sqrt(k).
      const worst = Math.max(...Array.from(ours, (x, i) => Math.abs(x - (stock[i] as number))));
      expect(worst).toBeLessThan(1e-5 * Math.sqrt(k) * 4);
      tf.dispose([a, b]);
    }
  });

  it('leaks no tensors', async () => {
    const a = tf.ones([4, 65, 16]);
    const b = tf.ones([4, 65, 16]);
    await assertNoTensorLeaks(5, async () => {
      const out = tf.tidy(() => tf.matMul(a, b, false, true));
      await out.data();
      out.dispose();
    });
    tf.dispose([a, b]);
  });
});

describe('simplifyTranspose', () => {
  it('drops size-1 dimensions and merges dimensions that stay adjacent', () => {
    expect(simplifyTranspose([2, 1, 3], [2, 1, 0])).toEqual({ shape: [2, 3], perm: [1, 0] });
    expect(simplifyTranspose([5, 6, 7, 8], [0, 2, 3, 1])).toEqual({ shape: [5, 6, 56], perm: [0, 2, 1] });
    expect(simplifyTranspose([4, 1, 5], [0, 2, 1])).toEqual({ shape: [20], perm: [0] });
    expect(simplifyTranspose([2, 3, 4, 5, 6, 7], [5, 4, 3, 2, 1, 0]).perm).toEqual([5, 4, 3, 2, 1, 0]);
  });
});

describe.runIf(wasm)('wasm Transpose kernel', () => {
  it('equals the stock kernel on random shapes and permutations of rank 1 to 6, float32 and int32', async () => {
    const rng = Rng.fromSeed(13);
    for (let trial = 0; trial < 60; trial++) {
      const rank = 1 + (trial % 6);
      const shape = Array.from({ length: rank }, () => rng.int(1, rank > 4 ? 6 : 11));
      const perm = Array.from(rng.permutation(rank));
      const dtype = trial % 3 === 0 ? 'int32' : 'float32';
      const values = Array.from(rng.normalArray(shape.reduce((s, d) => s * d, 1)), (x) => Math.round(x * 1000));
      const x = tf.tensor(dtype === 'int32' ? values : Float32Array.from(values, (v) => v / 7), shape, dtype);
      const { ours, stock } = await both(() => tf.transpose(x, perm));
      expect(differences(ours, stock), `shape [${shape.join(', ')}] perm [${perm.join(', ')}]`).toEqual([]);
      x.dispose();
    }
  });

  it("equals the stock kernel on the attention's head transposes", async () => {
    const rng = Rng.fromSeed(17);
    const x = randomTensor(rng, [8, 65, 4, 16]);
    for (const perm of [
      [0, 2, 1, 3],
      [0, 2, 3, 1],
      [0, 3, 1, 2],
    ]) {
      const { ours, stock } = await both(() => tf.transpose(x, perm));
      expect(differences(ours, stock)).toEqual([]);
    }
    x.dispose();
  });

  it('leaves rank 7, bool and empty tensors to the stock kernel', async () => {
    const rng = Rng.fromSeed(19);
    const x = randomTensor(rng, [2, 3, 2, 2, 3, 2, 2]);
    const perm = [6, 5, 4, 3, 2, 1, 0];
    const { ours, stock } = await both(() => tf.transpose(x, perm));
    expect(differences(ours, stock)).toEqual([]);
    const flags = tf.tensor2d([true, false, false, true, true, true], [2, 3], 'bool');
    expect(Array.from(await tf.transpose(flags).data())).toEqual([1, 1, 0, 1, 0, 1]);
    expect(tf.transpose(tf.zeros([0, 3])).shape).toEqual([3, 0]);
    tf.dispose([x, flags]);
  });

  it('leaks no tensors', async () => {
    const x = tf.ones([4, 65, 4, 16]);
    await assertNoTensorLeaks(5, async () => {
      const out = tf.transpose(x, [0, 2, 3, 1]);
      await out.data();
      out.dispose();
    });
    x.dispose();
  });
});

afterAll(() => expect(wasmKernelsInstalled()).toBe(wasm));

/** erfc in float64: 1 - (Maclaurin series of erf) below 3, Laplace's continued fraction above (both to ~1e-14). */
function erfc64(z: number): number {
  if (z < 0) return 2 - erfc64(-z);
  if (z < 3) {
    let [term, sum] = [z, z];
    for (let n = 1; n < 60; n++) {
      term *= (-z * z) / n;
      sum += term / (2 * n + 1);
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * sum;
  }
  let fraction = z;
  for (let k = 60; k >= 1; k--) fraction = z + k / 2 / fraction;
  return Math.exp(-z * z) / (Math.sqrt(Math.PI) * fraction);
}
const normalCdf = (x: number): number => erfc64(-x / Math.SQRT2) / 2;
const gelu64 = (x: number): number => x * normalCdf(x);
const geluGrad64 = (x: number): number => normalCdf(x) + (x * Math.exp((-x * x) / 2)) / Math.sqrt(2 * Math.PI);

describe.runIf(wasm)('wasm GELU kernel', () => {
  const rng = Rng.fromSeed(7);
  // Normal values as in a ViT's MLP, a wide range, the float32 extremes and every tail length of a SIMD vector.
  const values = Float32Array.from([
    ...rng.normalArray(4093),
    ...rng.normalArray(1000).map((v) => v * 8),
    0,
    -0,
    1e-30,
    -1e-30,
    -13,
    -40,
    40,
    3.4e38,
    -3.4e38,
  ]);
  const dy = Float32Array.from(rng.normalArray(values.length));

  async function geluAndGradient(x: Float32Array, upstream: Float32Array): Promise<[Float32Array, Float32Array]> {
    const [y, dx] = tf.tidy(() => {
      const input = tf.tensor1d(x);
      const weights = tf.tensor1d(upstream);
      return [gelu(input), tf.grad((t) => tf.sum(tf.mul(gelu(t), weights)))(input)];
    });
    const results = [(await y!.data()) as Float32Array, (await dx!.data()) as Float32Array] as const;
    tf.dispose([y!, dx!]);
    return [...results];
  }

  it('computes GELU and its gradient within 2.5e-7 |x| (absolute) of float64, for every length', async () => {
    // Lengths through each loop of the kernels: 32 and 16 elements a step, then 4, then the last 1 to 3.
    for (const length of [1, 2, 3, 4, 5, 7, 21, 37, 50, values.length]) {
      const x = values.subarray(0, length);
      const [y, dx] = await geluAndGradient(x, dy.subarray(0, length));
      x.forEach((v, i) => {
        const reference = gelu64(v);
        expect(Math.abs((y[i] as number) - reference), `GELU(${v})`).toBeLessThanOrEqual(2.5e-7 * Math.abs(v));
        const gradient = (dy[i] as number) * geluGrad64(v);
        const bound = 2.5e-7 * Math.abs(dy[i] as number) * (1 + Math.abs(v));
        expect(Math.abs((dx[i] as number) - gradient), `GELU'(${v})`).toBeLessThanOrEqual(bound);
      });
    }
  });

  it("agrees with tfjs's composition where that is accurate (|x| < 3), and propagates NaN and infinities", async () => {
    const x = values.filter((v) => Math.abs(v) < 3);
    const upstream = dy.subarray(0, x.length);
    const ours = await geluAndGradient(x, upstream);
    uninstallWasmKernels();
    let stock: [Float32Array, Float32Array];
    try {
      stock = await geluAndGradient(x, upstream);
    } finally {
      installWasmKernels();
    }
    x.forEach((v, i) => {
      expect(Math.abs((ours[0][i] as number) - (stock[0][i] as number))).toBeLessThanOrEqual(4e-7 * (1 + Math.abs(v)));
      const bound = 5e-7 * Math.abs(upstream[i] as number) * (1 + Math.abs(v));
      expect(Math.abs((ours[1][i] as number) - (stock[1][i] as number))).toBeLessThanOrEqual(bound);
    });
    const [y] = await geluAndGradient(Float32Array.from([NaN, Infinity, -Infinity]), Float32Array.from([1, 1, 1]));
    expect([...y].slice(0, 2)).toEqual([NaN, Infinity]);
  });

  it('leaks no tensors', async () => {
    await assertNoTensorLeaks(2, async () => {
      await geluAndGradient(values, dy);
    });
  });
});

/** LayerNorm of `x` `[rows, d]` and its gradients for the loss `sum(y * upstream)`, in float64. */
function layerNorm64(x: Float32Array, w: Float32Array, b: Float32Array, upstream: Float32Array, eps: number) {
  const d = w.length;
  const [y, dx] = [new Float64Array(x.length), new Float64Array(x.length)];
  const [dw, db] = [new Float64Array(d), new Float64Array(d)];
  for (let row = 0; row < x.length / d; row++) {
    const xs = Array.from(x.subarray(row * d, (row + 1) * d));
    const dys = Array.from(upstream.subarray(row * d, (row + 1) * d));
    const mean = xs.reduce((s, v) => s + v, 0) / d;
    const inv = 1 / Math.sqrt(xs.reduce((s, v) => s + (v - mean) ** 2, 0) / d + eps);
    const xhat = xs.map((v) => (v - mean) * inv);
    const g = dys.map((v, j) => v * (w[j] as number));
    const gMean = g.reduce((s, v) => s + v, 0) / d;
    const gxMean = g.reduce((s, v, j) => s + v * (xhat[j] as number), 0) / d;
    xhat.forEach((h, j) => {
      y[row * d + j] = h * (w[j] as number) + (b[j] as number);
      dx[row * d + j] = ((g[j] as number) - gMean - h * gxMean) * inv;
      dw[j] = (dw[j] as number) + (dys[j] as number) * h;
      db[j] = (db[j] as number) + (dys[j] as number);
    });
  }
  return [y, dx, dw, db] as const;
}

describe.runIf(wasm)('wasm LayerNorm kernel', () => {
  async function layerNormAndGradients(
    x: tf.Tensor2D,
    w: tf.Tensor1D,
    b: tf.Tensor1D,
    upstream: tf.Tensor2D,
    eps: number,
  ): Promise<Float32Array[]> {
    const outputs = tf.tidy(() => {
      const loss = (xs: tf.Tensor, ws: tf.Tensor, bs: tf.Tensor): tf.Scalar =>
        tf.sum(tf.mul(layerNorm(xs as tf.Tensor2D, ws as tf.Tensor1D, bs as tf.Tensor1D, eps), upstream));
      return [layerNorm(x, w, b, eps), ...tf.grads(loss)([x, w, b])];
    });
    const values = await Promise.all(outputs.map((t) => t.data() as Promise<Float32Array>));
    tf.dispose(outputs);
    return values;
  }

  it('computes LayerNorm and its gradients for x, weight and bias within float32 rounding of float64', async () => {
    const rng = Rng.fromSeed(11);
    // Row lengths of the presets and every tail length of a SIMD vector; rows offset far from 0 (the two-pass
    // variance has no cancellation); the ViT's eps and a common one.
    for (const [rows, d, offset, eps] of [
      [5, 1, 0, 1e-5],
      [7, 3, 0, 1e-12],
      [9, 5, 2, 1e-12],
      [33, 64, 0, 1e-12],
      [17, 67, 100, 1e-5],
      [65, 192, -3, 1e-12],
      [4, 768, 0, 1e-12],
    ] as const) {
      const values = Float32Array.from(rng.normalArray(rows * d).map((v) => offset + v * (1 + rng.int(0, 4))));
      const [w, b, up] = [d, d, rows * d].map((n) => Float32Array.from(rng.normalArray(n)));
      const [x, weight, bias, upstream] = [
        tf.tensor2d(values, [rows, d]),
        tf.tensor1d(w as Float32Array),
        tf.tensor1d(b as Float32Array),
        tf.tensor2d(up as Float32Array, [rows, d]),
      ];
      const ours = await layerNormAndGradients(x, weight, bias, upstream, eps);
      const reference = layerNorm64(values, w as Float32Array, b as Float32Array, up as Float32Array, eps);
      ['y', 'dx', 'dweight', 'dbias'].forEach((name, o) => {
        const [got, want] = [ours[o] as Float32Array, reference[o] as Float64Array];
        const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        const worst = got.reduce((m, v, i) => Math.max(m, Math.abs(v - (want[i] as number))), 0);
        // Row sums of rows products (dweight, dbias) carry more rounding than per-element results.
        const tolerance = (name.startsWith('d') && name !== 'dx' ? 2e-6 * Math.sqrt(rows) : 4e-6) * (1 + scale);
        expect(worst, `${name} of rows ${rows}, d ${d}, offset ${offset}`).toBeLessThanOrEqual(tolerance);
      });
      tf.dispose([x, weight, bias, upstream]);
    }
  });

  it("agrees with tfjs's composition and leaks no tensors", async () => {
    const rng = Rng.fromSeed(12);
    const [rows, d] = [130, 64];
    const x = randomTensor(rng, [rows, d]) as tf.Tensor2D;
    const [weight, bias] = [randomTensor(rng, [d]) as tf.Tensor1D, randomTensor(rng, [d]) as tf.Tensor1D];
    const upstream = randomTensor(rng, [rows, d]) as tf.Tensor2D;
    const ours = await layerNormAndGradients(x, weight, bias, upstream, 1e-12);
    uninstallWasmKernels();
    let stock: Float32Array[];
    try {
      stock = await layerNormAndGradients(x, weight, bias, upstream, 1e-12);
    } finally {
      installWasmKernels();
    }
    ours.forEach((values, o) => {
      const worst = values.reduce((m, v, i) => Math.max(m, Math.abs(v - (stock[o]![i] as number))), 0);
      expect(worst, `output ${o}`).toBeLessThanOrEqual(2e-5);
    });
    await assertNoTensorLeaks(2, async () => {
      await layerNormAndGradients(x, weight, bias, upstream, 1e-12);
    });
    tf.dispose([x, weight, bias, upstream]);
  });
});

describe.runIf(wasm)('wasm softmax gradient kernel', () => {
  /** Softmax of `logits` and its gradient for the loss `sum(softmax * upstream)`. */
  async function softmaxAndGradient(logits: tf.Tensor, upstream: tf.Tensor): Promise<Float32Array[]> {
    const outputs = tf.tidy(() => [
      softmax(logits),
      tf.grad((x: tf.Tensor) => tf.sum(tf.mul(softmax(x), upstream)))(logits),
    ]);
    const values = await Promise.all(outputs.map((t) => t.data() as Promise<Float32Array>));
    tf.dispose(outputs);
    return values;
  }

  it('equals the float64 gradient y (dy - sum(dy y)) within float32 rounding, and the stock forward pass exactly', async () => {
    const rng = Rng.fromSeed(13);
    // The attention's rows of 65 and 197 tokens, and every tail length of a SIMD vector.
    for (const shape of [
      [3, 1],
      [4, 2],
      [2, 3, 5],
      [7, 65],
      [2, 3, 197],
    ]) {
      const logits = randomTensor(rng, shape);
      const upstream = randomTensor(rng, shape);
      const [y, dx] = (await softmaxAndGradient(logits, upstream)) as [Float32Array, Float32Array];
      const stockForward = tf.softmax(logits);
      expect(differences(y, await stockForward.data())).toEqual([]);
      stockForward.dispose();
      const dy = (await upstream.data()) as Float32Array;
      const d = shape.at(-1) as number;
      for (let row = 0; row < y.length / d; row++) {
        let dot = 0;
        for (let j = 0; j < d; j++) dot += (dy[row * d + j] as number) * (y[row * d + j] as number);
        for (let j = 0; j < d; j++) {
          const i = row * d + j;
          const want = ((dy[i] as number) - dot) * (y[i] as number);
          expect(Math.abs((dx[i] as number) - want), `${shape.join('x')} [${i}]`).toBeLessThanOrEqual(
            1e-6 * (y[i] as number) * (1 + Math.abs(dot)),
          );
        }
      }
      tf.dispose([logits, upstream]);
    }
  });

  it("agrees with tfjs's gradient and leaks no tensors", async () => {
    const rng = Rng.fromSeed(14);
    const logits = tf.mul(randomTensor(rng, [16, 65, 65]), 3);
    const upstream = randomTensor(rng, [16, 65, 65]);
    const ours = await softmaxAndGradient(logits, upstream);
    uninstallWasmKernels();
    let stock: Float32Array[];
    try {
      stock = await softmaxAndGradient(logits, upstream);
    } finally {
      installWasmKernels();
    }
    expect(differences(ours[0]!, stock[0]!)).toEqual([]);
    const worst = ours[1]!.reduce((m, v, i) => Math.max(m, Math.abs(v - (stock[1]![i] as number))), 0);
    expect(worst).toBeLessThanOrEqual(1e-6);
    await assertNoTensorLeaks(2, async () => {
      await softmaxAndGradient(logits, upstream);
    });
    tf.dispose([logits, upstream]);
  });
});

describe.runIf(wasm)('wasm Identity kernel', () => {
  it('shares the data of its input instead of copying it, and frees it with the last tensor that holds it', async () => {
    const backend = tf.engine().backend;
    const before = backend.numDataIds();
    const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const copy = tf.clone(x);
    expect(backend.numDataIds()).toBe(before + 1);
    x.dispose();
    expect(await copy.data()).toEqual(Float32Array.from([1, 2, 3, 4]));
    copy.dispose();
    expect(backend.numDataIds()).toBe(before);
    const text = tf.tensor1d(['a', 'b'], 'string');
    const textCopy = tf.clone(text);
    expect(await textCopy.data()).toEqual(['a', 'b']);
    tf.dispose([text, textCopy]);
  });
});
