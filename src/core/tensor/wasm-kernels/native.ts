import { readFileSync } from 'node:fs';

/**
 * paretune's own wasm SIMD kernels (csrc/, built by scripts/build-kernels.sh into paretune-kernels.wasm next to
 * this file), instantiated on the memory of a tfjs-wasm backend so that they read and write its tensors in place.
 */

/** The parts of the WebAssembly JavaScript API used here (the project's TypeScript libraries do not declare it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
type WasmModule = object;
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { readonly exports: object };
};

/** What the kernels use of @tensorflow/tfjs-backend-wasm's BackendWasm (its own typings omit `asm`). */
export interface WasmBackendView {
  readonly wasm: {
    readonly asm: { readonly memory: WasmMemory };
    _malloc(bytes: number): number;
    _free(pointer: number): void;
  };
  readonly dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
}

interface KernelExports {
  readonly __stack_pointer: { value: number };
  pt_batch_matmul_scratch_bytes(): number;
  pt_batch_matmul(...args: number[]): void;
  pt_transpose(input: number, output: number, rank: number, shape: number, perm: number): void;
  pt_gelu(x: number, y: number, size: number): void;
  pt_gelu_grad(x: number, dy: number, dx: number, size: number): void;
  pt_layer_norm(x: number, w: number, b: number, y: number, rows: number, d: number, eps: number): void;
  pt_layer_norm_grad_x(x: number, w: number, dy: number, dx: number, rows: number, d: number, eps: number): void;
  pt_layer_norm_grad_w(x: number, dy: number, dw: number, rows: number, d: number, eps: number): void;
  pt_softmax_grad(y: number, dy: number, dx: number, rows: number, d: number): void;
}

/** The rank pt_transpose handles (PT_MAX_RANK in csrc/kernels.h). */
export const MAX_TRANSPOSE_RANK = 6;
const STACK_BYTES = 16 * 1024;

/** One batched product `out[t] = op(A[t]) op(B[t])`, sizes in elements. */
export interface MatMulCall {
  readonly a: number;
  readonly b: number;
  readonly out: number;
  readonly batch: number;
  readonly aBatchStride: number;
  readonly bBatchStride: number;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly transposeA: boolean;
  readonly transposeB: boolean;
}

let compiled: WasmModule | undefined;

function kernelModule(): WasmModule {
  compiled ??= new WebAssembly.Module(readFileSync(new URL('./paretune-kernels.wasm', import.meta.url)));
  return compiled;
}

/** The kernels bound to one backend's memory, with their stack, parameter block and scratch in its heap. */
export class NativeKernels {
  private readonly exports: KernelExports;
  /** Shape then permutation of a transpose, MAX_TRANSPOSE_RANK int32 each. */
  private readonly params: number;
  /** The matMul's packing buffers (a fixed size), allocated with the first product. */
  private matMulScratch: number | undefined;

  constructor(private readonly backend: WasmBackendView) {
    const memory = backend.wasm.asm.memory;
    const instance = new WebAssembly.Instance(kernelModule(), { env: { memory } });
    this.exports = instance.exports as unknown as KernelExports;
    const stack = backend.wasm._malloc(STACK_BYTES);
    this.exports.__stack_pointer.value = (stack + STACK_BYTES) & ~15;
    this.params = backend.wasm._malloc(2 * MAX_TRANSPOSE_RANK * 4);
  }

  /** The memory these kernels run on. */
  get memory(): WasmMemory {
    return this.backend.wasm.asm.memory;
  }

  batchMatMul(call: MatMulCall): void {
    this.matMulScratch ??= this.backend.wasm._malloc(this.exports.pt_batch_matmul_scratch_bytes());
    this.exports.pt_batch_matmul(
      call.a,
      call.b,
      call.out,
      call.batch,
      call.aBatchStride,
      call.bBatchStride,
      call.m,
      call.n,
      call.k,
      call.transposeA ? 1 : 0,
      call.transposeB ? 1 : 0,
      this.matMulScratch,
    );
  }

  /** `shape` and `perm` already simplified (no size-1 dimensions, no dimensions that stay adjacent). */
  transpose(input: number, output: number, shape: readonly number[], perm: readonly number[]): void {
    const view = new Int32Array(this.memory.buffer, this.params, 2 * MAX_TRANSPOSE_RANK);
    view.set(shape);
    view.set(perm, MAX_TRANSPOSE_RANK);
    this.exports.pt_transpose(input, output, shape.length, this.params, this.params + MAX_TRANSPOSE_RANK * 4);
  }

  /** `y = GELU(x)` over `size` float32 elements. */
  gelu(x: number, y: number, size: number): void {
    this.exports.pt_gelu(x, y, size);
  }

  /** `dx = dy * GELU'(x)` over `size` float32 elements. */
  geluGrad(x: number, dy: number, dx: number, size: number): void {
    this.exports.pt_gelu_grad(x, dy, dx, size);
  }

  /** LayerNorm of `rows` rows of `d` float32 elements: `y = (x - mean) / sqrt(var + eps) w + b`. */
  layerNorm(x: number, w: number, b: number, y: number, rows: number, d: number, eps: number): void {
    this.exports.pt_layer_norm(x, w, b, y, rows, d, eps);
  }

  /** The gradient of {@link layerNorm} with respect to x, given `dy`. */
  layerNormGradX(x: number, w: number, dy: number, dx: number, rows: number, d: number, eps: number): void {
    this.exports.pt_layer_norm_grad_x(x, w, dy, dx, rows, d, eps);
  }

  /** The gradient of {@link layerNorm} with respect to w (`[d]`), given `dy`. */
  layerNormGradW(x: number, dy: number, dw: number, rows: number, d: number, eps: number): void {
    this.exports.pt_layer_norm_grad_w(x, dy, dw, rows, d, eps);
  }

  /** `dx = y (dy - sum(dy y))` over `rows` rows of `d` elements: the gradient of a softmax with output `y`. */
  softmaxGrad(y: number, dy: number, dx: number, rows: number, d: number): void {
    this.exports.pt_softmax_grad(y, dy, dx, rows, d);
  }
}
