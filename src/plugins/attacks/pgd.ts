import { checkRadii, definePlugin, epsSchema, radiiOf, z } from '../../core/contracts/index.js';
import type { AttackInput, AttackResult, Classifier, ThreatModel } from '../../core/contracts/index.js';
import { microBatchRanges, tf } from '../../core/tensor/index.js';
import type { Rng } from '../../core/tensor/index.js';

const configSchema = z
  .object({
    norm: z.enum(['Linf', 'L2']).default('Linf'),
    /** Radius in [0,1] pixel units (a number or `"8/255"`); a list evaluates a robustness curve, one attack per value. */
    eps: epsSchema.default(1 / 255),
    /** Step size; default `stepRatio * eps` (0.25/255 at eps 1/255, the study's value). */
    step: z.number().positive().optional(),
    stepRatio: z.number().positive().default(0.25),
    steps: z.number().int().min(1).default(15),
    randomStart: z.boolean().default(true),
    /** Restarts keep, per image, the first adversarial example that is misclassified (else the last one). */
    restarts: z.number().int().min(1).default(1),
    /** RobustBench convention: attack only correctly classified images (others stay clean and count as wrong anyway). */
    correctOnly: z.boolean().default(false),
  })
  .strict()
  .superRefine(checkRadii);

type PgdConfig = z.infer<typeof configSchema>;

const threatModels = (config: PgdConfig): ThreatModel[] =>
  radiiOf(config.eps).map((eps) => ({ norm: config.norm, eps }));

/** Logits `microBatch` images per forward pass. */
function logitsOf(model: Classifier, x: tf.Tensor4D, microBatch: number): tf.Tensor2D {
  const parts = microBatchRanges(x.shape[0], microBatch).map(([start, end]) =>
    tf.tidy(() => model.logits(tf.slice(x, start, end - start))),
  );
  if (parts.length === 1) return parts[0] as tf.Tensor2D;
  const logits = tf.concat(parts) as tf.Tensor2D;
  tf.dispose(parts);
  return logits;
}

/**
 * Gradient of the mean cross-entropy against the true labels (the loss PGD ascends), `microBatch` images per
 * pass: each pass differentiates its images' summed loss over the batch size, so every image gets the same
 * gradient as in one pass over the batch.
 */
function lossGradient(model: Classifier, x: tf.Tensor4D, oneHot: tf.Tensor2D, microBatch: number): tf.Tensor4D {
  const count = x.shape[0];
  const parts = microBatchRanges(count, microBatch).map(([start, end]) =>
    tf.tidy(() => {
      const labels = tf.slice(oneHot, start, end - start);
      const share = (rows: tf.Tensor): tf.Scalar => {
        const logits = model.logits(rows as tf.Tensor4D);
        return tf.div(tf.losses.softmaxCrossEntropy(labels, logits, undefined, undefined, tf.Reduction.SUM), count);
      };
      return tf.grad(share)(tf.slice(x, start, end - start)) as tf.Tensor4D;
    }),
  );
  if (parts.length === 1) return parts[0] as tf.Tensor4D;
  const gradient = tf.concat(parts) as tf.Tensor4D;
  tf.dispose(parts);
  return gradient;
}

/** Per-image L2 norm, shaped [batch, 1, 1, 1] for broadcasting. */
const l2 = (t: tf.Tensor4D): tf.Tensor4D =>
  tf.sqrt(tf.add(tf.sum(tf.square(t), [1, 2, 3], true), 1e-12)) as tf.Tensor4D;

/** Projects x onto the eps-ball around x0 and onto [0,1]. */
function project(x: tf.Tensor4D, x0: tf.Tensor4D, norm: 'Linf' | 'L2', eps: number): tf.Tensor4D {
  const delta = tf.sub(x, x0) as tf.Tensor4D;
  const bounded =
    norm === 'Linf' ? tf.clipByValue(delta, -eps, eps) : tf.mul(delta, tf.minimum(1, tf.div(eps, l2(delta))));
  return tf.clipByValue(tf.add(x0, bounded), 0, 1) as tf.Tensor4D;
}

/** Uniform start in the eps-ball: per coordinate for L-inf, uniform in the ball's volume for L2. */
function randomStart(x0: tf.Tensor4D, norm: 'Linf' | 'L2', eps: number, rng: Rng): tf.Tensor4D {
  const n = x0.size;
  if (norm === 'Linf')
    return project(tf.add(x0, tf.tensor(rng.uniformArray(n, -eps, eps), x0.shape)) as tf.Tensor4D, x0, norm, eps);
  const [batch] = x0.shape;
  const direction = tf.tensor(rng.normalArray(n), x0.shape) as tf.Tensor4D;
  const dims = n / batch;
  const radius = tf.tensor(
    Float32Array.from({ length: batch }, () => eps * rng.float() ** (1 / dims)),
    [batch, 1, 1, 1],
  );
  return project(tf.add(x0, tf.mul(tf.div(direction, l2(direction)), radius)) as tf.Tensor4D, x0, norm, eps);
}

/** One PGD run (start + steps) for one radius; every step is its own tidy scope. */
function pgdRun(
  model: Classifier,
  x0: tf.Tensor4D,
  oneHot: tf.Tensor2D,
  config: PgdConfig,
  eps: number,
  rng: Rng,
  microBatch: number,
): tf.Tensor4D {
  const step = config.step ?? config.stepRatio * eps;
  let x = tf.tidy(() => (config.randomStart && eps > 0 ? randomStart(x0, config.norm, eps, rng) : x0.clone()));
  for (let i = 0; i < config.steps; i++) {
    const next = tf.tidy(() => {
      const g = lossGradient(model, x, oneHot, microBatch);
      const direction = config.norm === 'Linf' ? tf.sign(g) : tf.div(g, l2(g));
      return project(tf.add(x, tf.mul(direction, step)) as tf.Tensor4D, x0, config.norm, eps);
    });
    x.dispose();
    x = next;
  }
  return x;
}

/** PGD with restarts: per image, the first restart that fools the model wins, else the last restart. */
function pgd(
  model: Classifier,
  x0: tf.Tensor4D,
  labels: tf.Tensor1D,
  config: PgdConfig,
  eps: number,
  rng: Rng,
  microBatch: number,
): tf.Tensor4D {
  const oneHot = tf.oneHot(labels, model.numClasses) as tf.Tensor2D;
  let best = pgdRun(model, x0, oneHot, config, eps, rng.fork('restart/0'), microBatch);
  for (let r = 1; r < config.restarts; r++) {
    const candidate = pgdRun(model, x0, oneHot, config, eps, rng.fork(`restart/${r}`), microBatch);
    const merged = tf.tidy(() => {
      const fooled = tf.reshape(tf.notEqual(tf.argMax(logitsOf(model, best, microBatch), 1), labels), [-1, 1, 1, 1]);
      return tf.where(tf.broadcastTo(fooled, x0.shape), best, candidate) as tf.Tensor4D;
    });
    tf.dispose([best, candidate]);
    best = merged;
  }
  oneHot.dispose();
  return best;
}

/**
 * Projected gradient descent (Madry et al., 2018), untargeted, on the mean cross-entropy, in [0,1] pixel space
 * (the model normalises inside its forward pass). L-inf: `x <- clip01(x0 + clip(x + step * sign(grad) - x0, -eps, eps))`;
 * L2: normalised gradient steps projected onto the L2 ball. Defaults are the reference study's: L-inf, eps 1/255,
 * step 0.25/255, 15 steps, uniform random start, no restarts, last iterate. Random starts are drawn for the
 * whole batch before it is split into micro-batches, so they do not depend on the split.
 */
export const pgdAttack = definePlugin({
  family: 'attack',
  meta: {
    name: 'pgd',
    version: '0.1.0',
    apiVersion: 1,
    description: 'Projected gradient descent (L-inf or L2), untargeted, cross-entropy, with random start and restarts.',
  },
  configSchema,
  threatModels,
  async perturb({
    model,
    pixels,
    labels,
    config,
    rng,
    microBatch = pixels.shape[0],
  }: AttackInput<PgdConfig>): Promise<AttackResult[]> {
    let targets = Int32Array.from({ length: pixels.shape[0] }, (_, i) => i);
    if (config.correctOnly) {
      const correct = tf.tidy(() => tf.equal(tf.argMax(logitsOf(model, pixels, microBatch), 1), labels));
      const flags = await correct.data();
      correct.dispose();
      targets = targets.filter((i) => flags[i] === 1);
    }
    const results: AttackResult[] = [];
    for (const threat of threatModels(config)) {
      const streams = rng.fork(`eps/${threat.eps}`);
      if (targets.length === pixels.shape[0]) {
        results.push({ threat, pixels: pgd(model, pixels, labels, config, threat.eps, streams, microBatch) });
        continue;
      }
      // Attack the selected rows only, then put them back among the untouched ones.
      const rows = tf.tensor1d(targets, 'int32');
      const subset = tf.gather(pixels, rows) as tf.Tensor4D;
      const subsetLabels = tf.gather(labels, rows) as tf.Tensor1D;
      const attacked =
        targets.length > 0 ? pgd(model, subset, subsetLabels, config, threat.eps, streams, microBatch) : subset.clone();
      const values = (await pixels.data()).slice();
      const adversarial = await attacked.data();
      const rowSize = pixels.size / pixels.shape[0];
      targets.forEach((row, k) => values.set(adversarial.subarray(k * rowSize, (k + 1) * rowSize), row * rowSize));
      tf.dispose([rows, subset, subsetLabels, attacked]);
      results.push({ threat, pixels: tf.tensor4d(values, pixels.shape) });
    }
    return results;
  },
});
