import * as tf from '@tensorflow/tfjs-core';
import { planBatchMatMul } from './batch-mat-mul.js';
import { MAX_TRANSPOSE_RANK, NativeKernels } from './native.js';
import type { WasmBackendView } from './native.js';
import { isIdentity, simplifyTranspose } from './transpose.js';

/**
 * paretune's wasm SIMD kernels for BatchMatMul and Transpose on the `wasm` backend. tfjs-wasm 4.22 sends every
 * batched or transposed matMul to a scalar loop (only 2-D products without transpose flags reach XNNPACK), which
 * made the attention's products half of a training step. These kernels compute the same results, bit for bit,
 * on the backend's own heap; a case they do not handle goes to the stock kernel they replace.
 */

type KernelArgs = Parameters<tf.KernelFunc>[0];
type WasmBackend = WasmBackendView & {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
};

const REPLACED = [tf.BatchMatMul, tf.Transpose] as const;
type ReplacedKernel = (typeof REPLACED)[number];

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

const replacements: Record<ReplacedKernel, tf.KernelFunc> = {
  [tf.BatchMatMul]: batchMatMul as tf.KernelFunc,
  [tf.Transpose]: transpose as tf.KernelFunc,
};

/**
 * Registers the kernels for the `wasm` backend in place of the stock BatchMatMul and Transpose; does nothing when
 * they already serve. Throws when the kernel module cannot run on this backend (no SIMD, or a shared, threaded
 * heap); the stock kernels then stay.
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
}

/** Gives BatchMatMul and Transpose back to the stock kernels (to compare against them); undone by installing. */
export function uninstallWasmKernels(): void {
  for (const [name, original] of stock) {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(original);
  }
  stock.clear();
}

/** Whether paretune's kernels serve BatchMatMul and Transpose on `wasm`. */
export function wasmKernelsInstalled(): boolean {
  return stock.size > 0;
}
