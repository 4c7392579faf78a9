import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../contracts/config.js';
import { numPatches } from './architecture.js';
import type { ViTConfig } from './architecture.js';

/**
 * What a pass keeps per image: `forward` (no gradients; one encoder block's activations at a time), `attack`
 * (gradient with respect to the pixels, weights frozen) or `train` (gradients of the trainable parameters).
 */
export type Pass = 'forward' | 'attack' | 'train';

/**
 * The most the wasm heap of @tensorflow/tfjs-backend-wasm 4.22 can grow to: its build's maximum memory,
 * 4 GiB less one 64 KiB page. Allocations beyond it abort the process ("RuntimeError: Aborted()").
 */
export const WASM_HEAP_LIMIT = 4294901760;

/** Share of the free heap a pass plans to fill; the rest absorbs allocator fragmentation and estimate error. */
const HEADROOM = 0.8;

/**
 * Float32 values one image adds to a pass, per encoder block, as multiples of T*D, T*I and H*T^2 (tokens T,
 * hidden size D, MLP size I, heads H), plus T*D multiples for the embeddings. Fitted to the peak tensor bytes
 * measured on the wasm backend for four ViT shapes (ViT-B/16 and ViT-S/16 at 224 px, ViT-B/16 at 112 px, and
 * 24 heads with I = 2D) within 5%, then rounded up; the forward pass's by a further 15%, as ViT-B/16 at 64 images
 * a pass measured 50 MiB an image (docs/models.md).
 */
interface Coefficients {
  readonly td: number;
  readonly ti: number;
  readonly htt: number;
  readonly embedding: number;
  /** Whether every block's share stays until the pass ends (gradient passes) or one block's at a time. */
  readonly perBlock: boolean;
}

const PER_IMAGE: Readonly<Record<Pass, Coefficients>> = {
  forward: { td: 44, ti: 9, htt: 4, embedding: 0, perBlock: false },
  attack: { td: 72, ti: 20, htt: 6, embedding: 21, perBlock: true },
  train: { td: 84, ti: 21, htt: 6, embedding: 21, perBlock: true },
};

/** Estimated bytes one image adds to a pass of this architecture (without strategy-added layers). */
export function bytesPerImage(architecture: ViTConfig, pass: Pass): number {
  const { hiddenSize: d, intermediateSize: i, numHeads: h, numLayers } = architecture;
  const t = numPatches(architecture) + 1;
  const c = PER_IMAGE[pass];
  const block = c.td * t * d + c.ti * t * i + c.htt * h * t * t;
  return 4 * ((c.perBlock ? numLayers : 1) * block + c.embedding * t * d);
}

/** The heap limit of the active backend, or undefined where memory is not a fixed-size heap (cpu, native, GPU). */
export function heapLimit(backend: string = tf.getBackend()): number | undefined {
  return backend === 'wasm' ? WASM_HEAP_LIMIT : undefined;
}

export interface MicroBatchRequest {
  readonly architecture: ViTConfig;
  readonly pass: Pass;
  /** Images of the batch to split. */
  readonly batchSize: number;
  /** The user's micro-batch size; wins over the estimate. */
  readonly requested?: number | undefined;
  /** Bytes the pass holds whatever its micro-batch (weight gradients and their running sum). */
  readonly fixedBytes?: number;
}

const mib = (bytes: number): string => `${Math.round(bytes / 2 ** 20)} MiB`;

/**
 * Images per pass: the requested size, else as many as fit the backend's heap beside what is resident now
 * (weights, optimiser state), else the whole batch on backends without a fixed heap.
 * @throws ConfigError when not even one image fits.
 */
export function microBatchSize(request: MicroBatchRequest): number {
  const { architecture: a, pass, batchSize } = request;
  if (request.requested !== undefined) return Math.min(request.requested, batchSize);
  const limit = heapLimit();
  if (limit === undefined) return batchSize;
  const resident = tf.memory().numBytes;
  const free = HEADROOM * (limit - resident) - (request.fixedBytes ?? 0);
  const perImage = bytesPerImage(a, pass);
  const fits = Math.floor(free / perImage);
  if (fits < 1) {
    const model = `ViT (${a.imageSize} px, patch ${a.patchSize}, ${a.numLayers} layers, hidden ${a.hiddenSize})`;
    const what = { forward: 'a forward pass', attack: 'an attack gradient', train: 'a training step' }[pass];
    throw new ConfigError(
      `${model} does not fit one image of ${what} in the wasm backend's ${mib(limit)} heap: it needs about ` +
        `${mib(perImage + (request.fixedBytes ?? 0))} beside the ${mib(resident)} already in use; use a ` +
        `parameter-efficient strategy, a smaller model, or a backend without this limit (--backend)`,
    );
  }
  return Math.min(batchSize, fits);
}
