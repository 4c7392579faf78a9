import * as tf from '@tensorflow/tfjs';
import { UserError } from '../contracts/errors.js';
import { installWasmKernels } from './wasm-kernels/index.js';
import { WebGpuUnavailableError } from './webgpu.js';
import type { GpuAdapterSummary } from './webgpu.js';

/**
 * paretune's backend names, in the order the selector tries them:
 * `node-gpu` (@tensorflow/tfjs-node-gpu, libtensorflow with CUDA), `webgpu` (@tensorflow/tfjs-backend-webgpu on
 * Dawn over Vulkan; automatically only on a hardware GPU), `node` (@tensorflow/tfjs-node, libtensorflow on CPU),
 * `wasm` (@tensorflow/tfjs-backend-wasm, XNNPACK with SIMD), `cpu` (pure JavaScript).
 */
export const BACKEND_CHAIN = ['node-gpu', 'webgpu', 'node', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_CHAIN)[number];

/** The outcome of trying one backend. */
export interface BackendAttempt {
  readonly backend: BackendName;
  readonly ok: boolean;
  /** One line: why it was not used, or what was loaded. */
  readonly detail: string;
  /** The GPU adapter the webgpu backend found (used, or skipped as a software one). */
  readonly adapter?: GpuAdapterSummary;
}

/** Which backend runs every tensor op of this process, and why. Recorded in every run. */
export interface BackendSelection {
  readonly name: BackendName;
  /** TensorFlow.js's own name for the active backend (`tensorflow`, `webgpu`, `wasm`, `cpu`). */
  readonly tfBackend: string;
  readonly reason: string;
  readonly attempts: readonly BackendAttempt[];
}

/** Where a backend request came from, for messages. */
export interface BackendRequest {
  readonly name: string;
  readonly source: string;
}

export class BackendError extends UserError {
  override readonly name = 'BackendError';
}

/** A native package loads but its addon may be missing (install script skipped): keep the first line only. */
function explain(error: unknown): string {
  const err = error as { code?: string; message?: string };
  if (err.code === 'ERR_MODULE_NOT_FOUND' && /Cannot find package/.test(err.message ?? '')) {
    return 'not installed (optional dependency)';
  }
  const first = (err.message ?? String(error)).split('\n')[0]?.trim() ?? '';
  return first.length > 200 ? `${first.slice(0, 197)}...` : first;
}

async function activate(tfName: string): Promise<void> {
  if (!(await tf.setBackend(tfName))) throw new Error(`tf.setBackend('${tfName}') failed to initialise`);
  await tf.ready();
}

/** Loads a native binding by name; the specifier is a variable because the package is optional. */
async function importOptional(specifier: string): Promise<void> {
  await import(specifier);
}

/** What a loader loaded: one line, and the GPU adapter for webgpu. */
export interface LoadedBackend {
  readonly detail: string;
  readonly adapter?: GpuAdapterSummary;
}

/**
 * How each backend is loaded and activated; resolves to a one-line description of what was loaded (or that and the
 * adapter). `forced` is true when the backend was requested by name rather than tried in the chain.
 */
export type BackendLoaders = Readonly<Record<BackendName, (forced: boolean) => Promise<string | LoadedBackend>>>;

const defaultLoaders: BackendLoaders = {
  'node-gpu': async () => {
    await importOptional('@tensorflow/tfjs-node-gpu');
    await activate('tensorflow');
    return '@tensorflow/tfjs-node-gpu (libtensorflow with CUDA)';
  },
  webgpu: async (forced) => (await import('./webgpu.js')).loadWebGpu(forced),
  node: async () => {
    await importOptional('@tensorflow/tfjs-node');
    await activate('tensorflow');
    return '@tensorflow/tfjs-node (libtensorflow on CPU)';
  },
  wasm: async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    await activate('wasm');
    const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT') ? 'SIMD' : 'no SIMD';
    return `@tensorflow/tfjs-backend-wasm (XNNPACK, ${simd}, single-threaded in Node; ${installKernels()})`;
  },
  cpu: async () => {
    await activate('cpu');
    return 'TensorFlow.js cpu backend (pure JavaScript, slowest)';
  },
};

/**
 * Puts paretune's kernels in place of the stock BatchMatMul, Transpose and Identity, with its GELU, LayerNorm and
 * softmax gradient; says which serve.
 */
function installKernels(): string {
  try {
    installWasmKernels();
    return "paretune's SIMD kernels for BatchMatMul, Transpose, GELU, LayerNorm and softmax gradient";
  } catch (error) {
    return `stock BatchMatMul, Transpose and Identity, GELU, LayerNorm and softmax gradient composed of tfjs kernels: paretune's SIMD kernels did not load (${explain(error)})`;
  }
}

function attempted(backend: BackendName, loaded: string | LoadedBackend): BackendAttempt {
  const { detail, adapter } = typeof loaded === 'string' ? { detail: loaded, adapter: undefined } : loaded;
  return { backend, ok: true, detail, ...(adapter === undefined ? {} : { adapter }) };
}

function assertBackendName(request: BackendRequest): asserts request is BackendRequest & { name: BackendName } {
  if (!(BACKEND_CHAIN as readonly string[]).includes(request.name)) {
    throw new BackendError(
      `unknown backend '${request.name}' (from ${request.source}); expected one of: ${BACKEND_CHAIN.join(', ')}`,
    );
  }
}

/**
 * Loads and activates a backend: the requested one, or else the first in {@link BACKEND_CHAIN} that loads.
 * Use {@link selectBackend}, which does this once per process; this is the selection logic itself.
 */
export async function chooseBackend(
  request: BackendRequest | undefined,
  loaders: BackendLoaders = defaultLoaders,
): Promise<BackendSelection> {
  if (request !== undefined) {
    assertBackendName(request);
    try {
      const attempts = [attempted(request.name, await loaders[request.name](true))];
      return { name: request.name, tfBackend: tf.getBackend(), reason: `requested by ${request.source}`, attempts };
    } catch (error) {
      throw new BackendError(
        `backend '${request.name}' (requested by ${request.source}) is unavailable: ${explain(error)}`,
      );
    }
  }
  const attempts: BackendAttempt[] = [];
  for (const name of BACKEND_CHAIN) {
    try {
      attempts.push(attempted(name, await loaders[name](false)));
      const skipped = attempts.filter((a) => !a.ok).map((a) => `${a.backend}: ${a.detail}`);
      const reason = skipped.length === 0 ? 'first in the chain' : `first available (${skipped.join('; ')})`;
      return { name, tfBackend: tf.getBackend(), reason, attempts };
    } catch (error) {
      const adapter = error instanceof WebGpuUnavailableError ? error.adapter : undefined;
      attempts.push({
        backend: name,
        ok: false,
        detail: explain(error),
        ...(adapter === undefined ? {} : { adapter }),
      });
    }
  }
  throw new BackendError(
    `no TensorFlow.js backend could be started: ${attempts.map((a) => `${a.backend}: ${a.detail}`).join('; ')}`,
  );
}

let selection: Promise<BackendSelection> | undefined;

/**
 * Picks the TensorFlow.js backend once per process. Without a request it takes the first that loads in
 * {@link BACKEND_CHAIN}; a failed native load falls through with a one-line explanation. A request (the
 * `--backend` flag, else `PARETUNE_BACKEND`) must load or the call fails. Later calls return the first
 * selection; asking for another backend once one is active is an error.
 */
export async function selectBackend(request?: BackendRequest): Promise<BackendSelection> {
  if (selection === undefined) {
    selection = chooseBackend(request);
    return selection;
  }
  if (request !== undefined) assertBackendName(request);
  const active = await selection;
  if (request !== undefined && request.name !== active.name) {
    throw new BackendError(
      `backend '${request.name}' (from ${request.source}) requested, but this process already runs on '${active.name}'`,
    );
  }
  return active;
}

/** The backend request from a flag value, else from `PARETUNE_BACKEND`, else none. */
export function backendRequest(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): BackendRequest | undefined {
  if (flag !== undefined && flag !== '') return { name: flag, source: '--backend' };
  const fromEnv = env['PARETUNE_BACKEND'];
  if (fromEnv !== undefined && fromEnv !== '') return { name: fromEnv, source: 'PARETUNE_BACKEND' };
  return undefined;
}
