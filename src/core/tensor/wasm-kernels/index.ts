import * as tf from '@tensorflow/tfjs-core';
import { sumRows } from '../sum-rows.js';
import { planBatchMatMul } from './batch-mat-mul.js';
import { MAX_TRANSPOSE_RANK, NativeKernels } from './native.js';
import type { WasmBackendView } from './native.js';
import { isIdentity, simplifyTranspose } from './transpose.js';

/**
 * paretune's wasm SIMD kernels on the `wasm` backend, on the backend's own heap.
 * - BatchMatMul and Transpose replace the stock kernels: tfjs-wasm 4.22 sends every batched or transposed matMul
 *   to a scalar loop (only 2-D products without transpose flags reach XNNPACK), which made the attention's products
 *   half of a training step. They compute the same results, bit for bit; a case they do not handle goes to the
 *   stock kernel they replace.
 * - Identity shares its input's data instead of copying it (see identity below).
 * - GELU and LayerNorm, with their gradients, and the gradient of softmax are kernels of paretune's own (tfjs has
 *   none): one pass each instead of tfjs's chains of four to twenty element-wise kernels and reductions. `gelu`,
 *   `layerNorm` and `softmax` in ../ops.ts use them where they are registered.
 */

type KernelArgs = Parameters<tf.KernelFunc>[0];
type WasmBackend = WasmBackendView & {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  incRef(dataId: object): void;
};

const REPLACED = [tf.BatchMatMul, tf.Transpose, tf.Identity] as const;
type ReplacedKernel = (typeof REPLACED)[number];

/** paretune's own kernels: the exact GELU of `x`, and `dx = dy * GELU'(x)` (inputs `x`, `dy`). */
export const GELU_KERNEL = 'ParetuneGelu';
export const GELU_GRAD_KERNEL = 'ParetuneGeluGrad';
/**
 * LayerNorm over the last axis: `y = (x - mean) / sqrt(var + eps) weight + bias` (inputs `x`, `weight`, `bias`
 * `[d]`; attribute `eps`), and its gradients with respect to x (inputs `x`, `weight`, `dy`) and weight (`x`, `dy`).
 */
export const LAYER_NORM_KERNEL = 'ParetuneLayerNorm';
export const LAYER_NORM_GRAD_KERNEL = 'ParetuneLayerNormGrad';
export const LAYER_NORM_WEIGHT_GRAD_KERNEL = 'ParetuneLayerNormWeightGrad';
/**
 * Softmax over the last axis (input `logits`): the stock kernel's forward pass with a one-pass gradient (inputs `y`,
 * the softmax, and `dy`) in place of tfjs's four kernels.
 */
export const SOFTMAX_KERNEL = 'ParetuneSoftmax';
export const SOFTMAX_GRAD_KERNEL = 'ParetuneSoftmaxGrad';
interface LayerNormAttrs {
  readonly eps: number;
}

tf.registerGradient({
  kernelName: GELU_KERNEL,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => ({
    x: () => tf.engine().runKernel(GELU_GRAD_KERNEL, { x: saved[0] as tf.Tensor, dy: dy as tf.Tensor }) as tf.Tensor,
  }),
});

tf.registerGradient({
  kernelName: LAYER_NORM_KERNEL,
  inputsToSave: ['x', 'weight'],
  gradFunc: (dy, saved, attrs) => {
    const [x, weight] = saved as [tf.Tensor, tf.Tensor];
    const gradient = dy as tf.Tensor;
    const run = (name: string, inputs: tf.NamedTensorMap): tf.Tensor =>
      tf.engine().runKernel(name, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
    return {
      x: () => run(LAYER_NORM_GRAD_KERNEL, { x, weight, dy: gradient }),
      weight: () => run(LAYER_NORM_WEIGHT_GRAD_KERNEL, { x, dy: gradient }),
      bias: () => sumRows(tf.reshape(gradient, [-1, weight.size])),
    };
  },
});

tf.registerGradient({
  kernelName: SOFTMAX_KERNEL,
  outputsToSave: [true],
  gradFunc: (dy, saved) => ({
    logits: () =>
      tf.engine().runKernel(SOFTMAX_GRAD_KERNEL, { y: saved[0] as tf.Tensor, dy: dy as tf.Tensor }) as tf.Tensor,
  }),
});

const stock = new Map<ReplacedKernel, tf.KernelConfig>();
const bound = new WeakMap<object, NativeKernels>();

/** The kernels bound to this backend's memory (a backend created again gets its own). */
function nativeFor(backend: WasmBackend): NativeKernels {
  let kernels = bound.get(backend);
  if (kernels === undefined || kernels.memory !== backend.wasm.asm.memory) {
    kernels = new NativeKernels(backend);
    bound.set(backend, kernels);
  }
  return kernels;
}

function offsetOf(backend: WasmBackend, info: tf.TensorInfo): number {
  const data = backend.dataIdMap.get(info.dataId);
  if (data === undefined) throw new Error(`tensor ${info.dataId.toString()} is not on the wasm backend`);
  return data.memoryOffset;
}

function callStock(name: ReplacedKernel, args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  return (stock.get(name) as tf.KernelConfig).kernelFunc(args);
}

function batchMatMul(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
  const plan =
    a.dtype === 'float32' && b.dtype === 'float32'
      ? planBatchMatMul(a.shape, b.shape, transposeA, transposeB)
      : undefined;
  if (plan === undefined) return callStock(tf.BatchMatMul, args);
  const backend = args.backend as WasmBackend;
  const out = backend.makeOutput(plan.outShape, 'float32');
  nativeFor(backend).batchMatMul({
    ...plan,
    a: offsetOf(backend, a),
    b: offsetOf(backend, b),
    out: offsetOf(backend, out),
  });
  return out;
}

function transpose(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { perm } = args.attrs as unknown as tf.TransposeAttrs;
  const plan = simplifyTranspose(x.shape, perm);
  const supported = (x.dtype === 'float32' || x.dtype === 'int32') && plan.shape.length <= MAX_TRANSPOSE_RANK;
  if (!supported || isIdentity(plan.perm) || tf.util.sizeFromShape(x.shape) === 0) {
    return callStock(tf.Transpose, args);
  }
  const backend = args.backend as WasmBackend;
  const out = backend.makeOutput(
    perm.map((d) => x.shape[d] as number),
    x.dtype,
  );
  nativeFor(backend).transpose(offsetOf(backend, x), offsetOf(backend, out), plan.shape, plan.perm);
  return out;
}

/**
 * A float32 output of `shape` (default: the first named input's), written by `write` from the heap offsets of the
 * named inputs followed by the output's, and the first input's size.
 */
function nativeOutput(
  args: KernelArgs,
  names: readonly string[],
  write: (native: NativeKernels, offsets: readonly number[], size: number) => void,
  shape?: readonly number[],
): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const inputs = names.map((name) => args.inputs[name] as tf.TensorInfo);
  const first = (inputs[0] as tf.TensorInfo).shape;
  const out = backend.makeOutput([...(shape ?? first)], 'float32');
  write(
    nativeFor(backend),
    [...inputs, out].map((t) => offsetOf(backend, t)),
    tf.util.sizeFromShape(first),
  );
  return out;
}

/** Rows and row length of a LayerNorm over the last axis of `x`, and its epsilon. */
function layerNormSizes(args: KernelArgs): [rows: number, d: number, eps: number] {
  const x = args.inputs.x as tf.TensorInfo;
  const d = x.shape.at(-1) as number;
  return [tf.util.sizeFromShape(x.shape) / d, d, (args.attrs as unknown as LayerNormAttrs).eps];
}

const added: readonly tf.KernelConfig[] = [
  {
    kernelName: GELU_KERNEL,
    backendName: 'wasm',
    kernelFunc: (args) =>
      nativeOutput(args, ['x'], (native, [x, y], size) => native.gelu(x as number, y as number, size)),
  },
  {
    kernelName: GELU_GRAD_KERNEL,
    backendName: 'wasm',
    kernelFunc: (args) =>
      nativeOutput(args, ['x', 'dy'], (native, [x, dy, dx], size) =>
        native.geluGrad(x as number, dy as number, dx as number, size),
      ),
  },
  {
    kernelName: LAYER_NORM_KERNEL,
    backendName: 'wasm',
    kernelFunc: (args) =>
      nativeOutput(args, ['x', 'weight', 'bias'], (native, [x, w, b, y]) =>
        native.layerNorm(x as number, w as number, b as number, y as number, ...layerNormSizes(args)),
      ),
  },
  {
    kernelName: LAYER_NORM_GRAD_KERNEL,
    backendName: 'wasm',
    kernelFunc: (args) =>
      nativeOutput(args, ['x', 'weight', 'dy'], (native, [x, w, dy, dx]) =>
        native.layerNormGradX(x as number, w as number, dy as number, dx as number, ...layerNormSizes(args)),
      ),
  },
  {
    kernelName: LAYER_NORM_WEIGHT_GRAD_KERNEL,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const sizes = layerNormSizes(args);
      return nativeOutput(
        args,
        ['x', 'dy'],
        (native, [x, dy, dw]) => native.layerNormGradW(x as number, dy as number, dw as number, ...sizes),
        [sizes[1]],
      );
    },
  },
  {
    kernelName: SOFTMAX_KERNEL,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend }) => {
      const logits = inputs.logits as tf.TensorInfo;
      const attrs = { dim: logits.shape.length - 1 } as unknown as tf.NamedAttrMap;
      return tf.getKernel(tf.Softmax, 'wasm').kernelFunc({ inputs, backend, attrs });
    },
  },
  {
    kernelName: SOFTMAX_GRAD_KERNEL,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const d = (args.inputs.y as tf.TensorInfo).shape.at(-1) as number;
      return nativeOutput(args, ['y', 'dy'], (native, [y, dy, dx], size) =>
        native.softmaxGrad(y as number, dy as number, dx as number, size / d, d),
      );
    },
  },
];

/**
 * Identity shares its input's data, as the backend's own Reshape does and the cpu backend's Identity: tensors are
 * immutable, so the stock kernel's copy (hundreds per training step, from gradients) bought nothing.
 */
function identity(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (x.dtype === 'string') return callStock(tf.Identity, args);
  (args.backend as WasmBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

const replacements: Record<ReplacedKernel, tf.KernelFunc> = {
  [tf.BatchMatMul]: batchMatMul as tf.KernelFunc,
  [tf.Transpose]: transpose as tf.KernelFunc,
  [tf.Identity]: identity as tf.KernelFunc,
};

/**
 * Registers the kernels for the `wasm` backend, BatchMatMul, Transpose and Identity in place of the stock ones;
 * does nothing when they already serve. Throws when the kernel module cannot run on this backend (no SIMD, or a
 * shared, threaded heap); the stock kernels then stay.
 */
export function installWasmKernels(): void {
  if (stock.size > 0) return;
  nativeFor(tf.findBackend('wasm') as unknown as WasmBackend);
  for (const name of REPLACED) {
    const original = tf.getKernel(name, 'wasm');
    stock.set(name, original);
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ ...original, kernelFunc: replacements[name] });
  }
  for (const kernel of added) tf.registerKernel(kernel);
}

/**
 * Gives BatchMatMul, Transpose and Identity back to the stock kernels and removes paretune's own (so that `gelu`,
 * `layerNorm` and `softmax` compose tfjs kernels), to compare against them; undone by installing.
 */
export function uninstallWasmKernels(): void {
  if (stock.size > 0) for (const kernel of added) tf.unregisterKernel(kernel.kernelName, 'wasm');
  for (const [name, original] of stock) {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(original);
  }
  stock.clear();
}

/** Whether paretune's kernels serve on `wasm`. */
export function wasmKernelsInstalled(): boolean {
  return stock.size > 0;
}
