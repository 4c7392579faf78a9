/**
 * Gives Node what a browser gives TensorFlow.js's webgpu backend: `navigator.gpu` (Dawn, through the `webgpu`
 * package's native `dawn.node`) and the WebGPU constants (`GPUBufferUsage`, `GPUMapMode`, `GPUShaderStage`, ...).
 * Import it before `@tensorflow/tfjs-backend-webgpu`, which registers its backend only when `navigator.gpu` exists
 * as it loads.
 */

/** What paretune uses of the optional `webgpu` package, imported by name so that the build does not need it. */
interface DawnModule {
  create(options: string[]): GPU;
  readonly globals: Record<string, unknown>;
}
const DAWN_PACKAGE = 'webgpu';
const { create, globals } = (await import(DAWN_PACKAGE)) as DawnModule;

const scope = globalThis as { navigator?: { gpu?: GPU } };

Object.assign(globalThis, globals);
// Dawn picks the platform's native API (Vulkan on Linux). Node 20 has no `navigator`; Node 21+ has one without `gpu`.
if (scope.navigator === undefined) {
  Object.defineProperty(globalThis, 'navigator', { value: { gpu: create([]) }, configurable: true, writable: true });
} else {
  Object.defineProperty(scope.navigator, 'gpu', { value: create([]), configurable: true });
}

/** Dawn's entry point, or undefined once {@link releaseGpu} has run. */
export function navigatorGpu(): GPU | undefined {
  return scope.navigator?.gpu;
}

/** Drops the only reference to Dawn's entry point: dawn.node keeps the process alive while it is referenced. */
export function releaseGpu(): void {
  if (scope.navigator !== undefined) delete scope.navigator.gpu;
}
