import * as tf from '@tensorflow/tfjs';
import { performance } from 'node:perf_hooks';
import type { AttackPlugin } from '../contracts/attack.js';
import type { ImageBatch } from '../contracts/dataset.js';
import type { MetricContext, PointMetricPlugin } from '../contracts/metric.js';
import type { PixelShiftPlugin } from '../contracts/shift.js';
import type { Rng } from '../tensor/rng.js';
import { microBatchSize } from '../model/footprint.js';
import type { VisionTransformer } from '../model/vit.js';
import { checkAttackResults } from './attack-check.js';
import { microBatchRanges } from '../tensor/micro-batch.js';

/** One measurement at one evaluation point, as stored. */
export interface MeasuredPoint {
  readonly step: number;
  readonly epoch: number;
  readonly name: string;
  readonly context: MetricContext;
  readonly value: number;
  /** Images the value was measured on. */
  readonly count: number;
  /** Wall-clock seconds of the pass that produced it (shared by the metrics of one pass). */
  readonly seconds: number;
}

/** A fixed set of images evaluated at every point (same images for every strategy of a seed). */
export interface EvaluationSet {
  /** Context keys of every point measured on this set, e.g. `{ split: 'test' }` or `{ split: 'test', domain: 'sketch' }`. */
  readonly context: MetricContext;
  readonly images: ImageBatch;
  /** Whether attacks and pixel shifts are evaluated on this set (the test set), or only clean accuracy. */
  readonly robustness: boolean;
  /** Contexts this set's clean predictions are also pooled into (e.g. all out-of-distribution domains together). */
  readonly pools?: readonly MetricContext[];
}

export interface Configured<P> {
  readonly plugin: P;
  readonly config: unknown;
}

export interface EvaluationPlan {
  readonly sets: readonly EvaluationSet[];
  readonly attacks: readonly Configured<AttackPlugin>[];
  readonly shifts: readonly Configured<PixelShiftPlugin>[];
  readonly metrics: readonly Configured<PointMetricPlugin>[];
  readonly batchSize: number;
  /** Images per forward or attack pass; default: as many as fit the backend (all where memory is no limit). */
  readonly microBatch?: number;
  /** Root of the evaluation's random streams: forks depend on set, attack or shift, and batch, never on the step. */
  readonly rng: Rng;
}

/** uint8 NHWC images `[start, end)` of a batch as [0,1] floats. */
export function pixelsOf(images: ImageBatch, start = 0, end = images.count): tf.Tensor4D {
  const size = images.height * images.width * images.channels;
  const bytes = images.pixels.subarray(start * size, end * size);
  const values = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) values[i] = (bytes[i] as number) / 255;
  return tf.tensor4d(values, [end - start, images.height, images.width, images.channels]);
}

/** Predictions accumulated over batches, keyed by context. */
class Collector {
  private readonly parts = new Map<
    string,
    { context: MetricContext; logits: Float32Array[]; labels: Int32Array[]; seconds: number }
  >();

  add(context: MetricContext, logits: Float32Array, labels: Int32Array, seconds: number): void {
    const key = JSON.stringify(context);
    const entry = this.parts.get(key) ?? { context, logits: [], labels: [], seconds: 0 };
    entry.logits.push(logits);
    entry.labels.push(labels);
    entry.seconds += seconds;
    this.parts.set(key, entry);
  }

  points(
    step: number,
    epoch: number,
    numClasses: number,
    metrics: readonly Configured<PointMetricPlugin>[],
  ): MeasuredPoint[] {
    const out: MeasuredPoint[] = [];
    for (const { context, logits, labels, seconds } of this.parts.values()) {
      const allLabels = concat(labels, Int32Array);
      const predictions = {
        logits: concat(logits, Float32Array),
        labels: allLabels,
        count: allLabels.length,
        numClasses,
        context,
      };
      for (const { plugin, config } of metrics) {
        out.push({
          step,
          epoch,
          name: plugin.meta.name,
          context,
          value: plugin.compute(predictions, config),
          count: allLabels.length,
          seconds,
        });
      }
    }
    return out;
  }
}

function concat<T extends Float32Array | Int32Array>(parts: readonly T[], Type: { new (n: number): T }): T {
  const out = new Type(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Logits of pixels, `microBatch` images per forward pass, read out of the tensors (outside tidy). */
async function logitsOf(model: VisionTransformer, pixels: tf.Tensor4D, microBatch: number): Promise<Float32Array> {
  const parts: Float32Array[] = [];
  for (const [start, end] of microBatchRanges(pixels.shape[0], microBatch)) {
    const logits = tf.tidy(() => model.logits(tf.slice(pixels, start, end - start)));
    parts.push((await logits.data()) as Float32Array);
    logits.dispose();
  }
  return concat(parts, Float32Array);
}

/** Images per pass of each kind for this plan on the active backend (attack passes only where attacks run). */
function passSizes(model: VisionTransformer, plan: EvaluationPlan): { forward: number; attack: number } {
  const size = (pass: 'forward' | 'attack'): number =>
    microBatchSize({ architecture: model.architecture, pass, batchSize: plan.batchSize, requested: plan.microBatch });
  const attacked = plan.attacks.length > 0 && plan.sets.some((set) => set.robustness);
  return { forward: size('forward'), attack: attacked ? size('attack') : plan.batchSize };
}

/**
 * Measures every configured metric at one evaluation point: clean predictions on every set, and on sets marked
 * for robustness, every attack's threat models and every shift's variants (also pooled per shift). Weights are
 * frozen throughout, so attack gradients cost no weight-gradient work. Batches run in micro-batches that fit the
 * backend's memory; per-image results do not depend on them.
 */
export async function evaluate(
  model: VisionTransformer,
  plan: EvaluationPlan,
  step: number,
  epoch: number,
): Promise<MeasuredPoint[]> {
  return model.withFrozenWeights(async () => {
    const sizes = passSizes(model, plan);
    const collector = new Collector();
    for (const set of plan.sets) {
      const { images, context } = set;
      for (let start = 0, batch = 0; start < images.count; start += plan.batchSize, batch++) {
        const end = Math.min(images.count, start + plan.batchSize);
        const labels = images.labels.subarray(start, end);
        const pixels = pixelsOf(images, start, end);
        let t0 = performance.now();
        const clean = await logitsOf(model, pixels, sizes.forward);
        const cleanSeconds = (performance.now() - t0) / 1000;
        for (const pooled of [context, ...(set.pools ?? [])]) collector.add(pooled, clean, labels, cleanSeconds);
        if (set.robustness) {
          const labelTensor = tf.tensor1d(labels, 'int32');
          for (const { plugin, config } of plan.attacks) {
            t0 = performance.now();
            const rng = plan.rng.fork(`${JSON.stringify(context)}/attack/${plugin.meta.name}/${batch}`);
            const input = { model, pixels, labels: labelTensor, config, rng, microBatch: sizes.attack };
            const results = await plugin.perturb(input);
            const seconds = (performance.now() - t0) / 1000 / results.length;
            await checkAttackResults(plugin, config, pixels, results);
            for (const { threat, pixels: adversarial } of results) {
              const logits = await logitsOf(model, adversarial, sizes.forward);
              collector.add(
                { ...context, attack: plugin.meta.name, norm: threat.norm, eps: threat.eps },
                logits,
                labels,
                seconds,
              );
              adversarial.dispose();
            }
          }
          for (const { plugin, config } of plan.shifts) {
            for (const variant of plugin.variants(config)) {
              t0 = performance.now();
              const rng = plan.rng.fork(
                `${JSON.stringify(context)}/shift/${plugin.meta.name}/${variant.name}/${variant.severity}/${batch}`,
              );
              const shifted = await plugin.apply(pixels, variant, config, rng);
              const logits = await logitsOf(model, shifted, sizes.forward);
              shifted.dispose();
              const seconds = (performance.now() - t0) / 1000;
              const detail = {
                ...context,
                shift: plugin.meta.name,
                variant: variant.name,
                ...(variant.severity === undefined ? {} : { severity: variant.severity }),
              };
              collector.add(detail, logits, labels, seconds);
              collector.add({ ...context, shift: plugin.meta.name }, logits, labels, seconds);
            }
          }
          labelTensor.dispose();
        }
        pixels.dispose();
        // Let timers run between batches: servers answer, and distributed workers renew their job locks.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    return collector.points(step, epoch, model.numClasses, plan.metrics);
  });
}
