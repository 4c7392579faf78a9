import { existsSync, readdirSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../contracts/errors.js';
import type * as WebGpuGlobals from './webgpu-globals.js';

/** The adapter limits `paretune info` reports, and those the device is created with (the adapter's own values). */
const REPORTED_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeWorkgroupSizeX',
] as const;
type ReportedLimit = (typeof REPORTED_LIMITS)[number];

/** The GPU adapter Dawn found, as `paretune info` and every run record show it. */
export interface GpuAdapterSummary {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  /** Why this is a software (CPU) adapter, such as lavapipe; absent for a hardware GPU. */
  readonly software?: string;
  readonly limits: Readonly<Record<ReportedLimit, number>>;
}

/** The webgpu backend could not be used; carries the adapter when one was found (a skipped software one). */
export class WebGpuUnavailableError extends Error {
  override readonly name = 'WebGpuUnavailableError';
  constructor(
    message: string,
    readonly adapter?: GpuAdapterSummary,
  ) {
    super(message);
  }
}

/** The GPU reported an error: the values computed since cannot be trusted. */
export class GpuError extends Error {
  override readonly name: string = 'GpuError';
}

/** The GPU could not allocate a buffer: the batch does not fit in device memory, which the user can change. */
export class GpuMemoryError extends UserError {
  override readonly name = 'GpuMemoryError';
}

/** `GPUAdapter.info` as Dawn fills it (older WebGPU type packages lack the property). */
interface AdapterInfo {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  readonly isFallbackAdapter?: boolean;
  readonly type?: string;
}
const infoOf = (adapter: GPUAdapter): AdapterInfo => (adapter as unknown as { info: AdapterInfo }).info;

/** What paretune uses of the optional `@tensorflow/tfjs-backend-webgpu`, imported by name so the build needs it not. */
interface WebGpuBackendModule {
  readonly WebGPUBackend: new (device: GPUDevice, adapterInfo: AdapterInfo) => tf.KernelBackend;
}
const WEBGPU_BACKEND_PACKAGE = '@tensorflow/tfjs-backend-webgpu';

function softwareReason(adapter: GPUAdapter): string | undefined {
  const info = infoOf(adapter);
  if (info.isFallbackAdapter === true || (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter === true) {
    return 'a fallback adapter';
  }
  if (info.architecture === 'software') return "architecture 'software'";
  if (info.type === 'CPU') return "type 'CPU'";
  return undefined;
}

export function describeAdapter(adapter: GPUAdapter): GpuAdapterSummary {
  const { vendor, architecture, device, description } = infoOf(adapter);
  const software = softwareReason(adapter);
  const limits = Object.fromEntries(REPORTED_LIMITS.map((name) => [name, adapter.limits[name]])) as Record<
    ReportedLimit,
    number
  >;
  return { vendor, architecture, device, description, ...(software === undefined ? {} : { software }), limits };
}

/** The adapter in one line, for `paretune info`. */
export function adapterLine(adapter: GpuAdapterSummary): string {
  const name = [adapter.vendor, adapter.architecture, adapter.description].filter((part) => part !== '').join(' / ');
  return `${name}${adapter.software === undefined ? '' : ` (software: ${adapter.software})`}`;
}

let pendingError: GpuError | GpuMemoryError | undefined;
/** The Node shim, once loaded (loading it starts Dawn). */
let shim: typeof WebGpuGlobals | undefined;

function recordError(error: GPUError): void {
  const message = error.message.split('\n')[0]?.trim() ?? '';
  const outOfMemory =
    error.constructor.name === 'GPUOutOfMemoryError' ||
    /out of memory|exceeds the max buffer size|larger than the maximum storage buffer binding size/i.test(message);
  pendingError ??= outOfMemory
    ? new GpuMemoryError(`the GPU has not enough memory for this batch (${message}): lower the batch size`)
    : new GpuError(`GPU error, results discarded: ${message}`);
}

/**
 * Throws the GPU error reported since the last check, if any. WebGPU reports validation and out-of-memory errors
 * asynchronously and never throws them; every read of a tensor's values checks, so a number computed after an error
 * is never returned.
 */
export function throwPendingGpuError(): void {
  const error = pendingError;
  pendingError = undefined;
  if (error !== undefined) throw error;
}

async function openDevice(adapter: GPUAdapter): Promise<GPUDevice> {
  // The adapter's own limits, not WebGPU's defaults: e.g. kernels may bind more than the default 8 storage buffers.
  const requiredLimits = Object.fromEntries(REPORTED_LIMITS.map((name) => [name, adapter.limits[name]]));
  const device = await adapter.requestDevice({ requiredLimits });
  device.addEventListener('uncapturederror', (event) => recordError((event as GPUUncapturedErrorEvent).error));
  void device.lost.then((info) => {
    if (info.reason !== 'destroyed') pendingError ??= new GpuError(`the GPU device was lost: ${info.message}`);
  });
  return device;
}

/** Device nodes a Linux GPU driver exposes: Mesa's DRM render nodes, NVIDIA's, and WSL's GPU paravirtualisation. */
const GPU_DEVICE_NODES = '/dev/dri/renderD*, /dev/nvidia<N>, /dev/dxg';

/**
 * Whether this Linux machine has a GPU device node (elsewhere: assumed, and Dawn decides). Without one Dawn could
 * only find a software adapter, which automatic selection skips anyway; checking first spares every process
 * Dawn's start-up and the warnings Vulkan drivers print on it.
 */
export function hasGpuDeviceNode(): boolean {
  if (process.platform !== 'linux') return true;
  const names = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir) : []);
  return (
    names('/dev/dri').some((name) => name.startsWith('renderD')) ||
    names('/dev').some((name) => /^nvidia\d+$/.test(name) || name === 'dxg')
  );
}

/**
 * Finds Dawn's adapter and activates TensorFlow.js's webgpu backend on it. A software adapter (lavapipe, SwiftShader)
 * is used only when `forced`: automatic selection wants a real GPU and otherwise falls through to wasm.
 */
export async function loadWebGpu(forced: boolean): Promise<{ detail: string; adapter: GpuAdapterSummary }> {
  if (!forced && !hasGpuDeviceNode()) {
    throw new WebGpuUnavailableError(
      `no GPU device node (${GPU_DEVICE_NODES}), Dawn not started: --backend webgpu forces it`,
    );
  }
  const dawn = await import('./webgpu-globals.js');
  shim = dawn;
  const adapter = await dawn.navigatorGpu()?.requestAdapter({ powerPreference: 'high-performance' });
  if (adapter === null || adapter === undefined) {
    dawn.releaseGpu();
    throw new WebGpuUnavailableError('no WebGPU adapter: Dawn found no Vulkan driver for a GPU (docs/gpu.md)');
  }
  const summary = describeAdapter(adapter);
  if (summary.software !== undefined && !forced) {
    dawn.releaseGpu();
    throw new WebGpuUnavailableError(
      `skipped the software adapter '${summary.description}' (${summary.software}); --backend webgpu forces it`,
      summary,
    );
  }
  const { WebGPUBackend } = (await import(WEBGPU_BACKEND_PACKAGE)) as WebGpuBackendModule;
  // Replace the package's own factory: ours uses the adapter checked above and a device that reports its errors.
  if (tf.findBackendFactory('webgpu') !== null) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', async () => {
    const backend = new WebGPUBackend(await openDevice(adapter), infoOf(adapter));
    const read = backend.read.bind(backend);
    backend.read = async (dataId: object) => {
      const values = await read(dataId);
      throwPendingGpuError();
      return values;
    };
    // tfjs reads GPU buffers synchronously through an OffscreenCanvas, which Node lacks: say what to do instead.
    const readSync = backend.readSync.bind(backend);
    backend.readSync = (dataId: object) => {
      try {
        return readSync(dataId);
      } catch (error) {
        if (!(error instanceof ReferenceError)) throw error;
        throw new GpuError(
          'a synchronous read (dataSync, arraySync, bufferSync) of a tensor on the GPU: the webgpu backend cannot do it in Node; read values with await tensor.data()',
          { cause: error },
        );
      }
    };
    return backend;
  });
  if (!(await tf.setBackend('webgpu')))
    throw new WebGpuUnavailableError("tf.setBackend('webgpu') failed to initialise", summary);
  await tf.ready();
  return { detail: `@tensorflow/tfjs-backend-webgpu on Dawn: ${adapterLine(summary)}`, adapter: summary };
}

/**
 * Lets the process exit: disposes the webgpu backend (destroying its device) and drops Dawn's entry point, which
 * would otherwise keep Node's event loop alive. Call once at the end of a command.
 */
export function releaseWebGpu(): void {
  if (shim === undefined) return;
  if (tf.findBackendFactory('webgpu') !== null) tf.removeBackend('webgpu');
  shim.releaseGpu();
}
