import { checkRadii, definePlugin, epsSchema, radiiOf, z } from 'paretune/plugin';
import { tf } from 'paretune/tensor';

const configSchema = z
  .object({
    /** L-inf radius in [0,1] pixel units (a number or "8/255"); a list evaluates a robustness curve. */
    eps: epsSchema.default(1 / 255),
    /** Gradient evaluations per restart (the attack's budget; PGD's `steps`). */
    steps: z.number().int().min(2).default(100),
    restarts: z.number().int().min(1).default(1),
    /** Momentum weight of the new step (the paper's alpha). */
    momentum: z.number().gt(0).lte(1).default(0.75),
    /** Fraction of successful steps below which the step size is halved at a checkpoint (the paper's rho). */
    rho: z.number().gt(0).lt(1).default(0.75),
    randomStart: z.boolean().default(true),
  })
  .strict()
  .superRefine((config, ctx) => checkRadii({ norm: 'Linf', eps: config.eps }, ctx));

/** Iterations at which the step size may be halved: ceil(p_j * steps), p_0 = 0, p_1 = 0.22, p_j+1 = p_j + max(p_j - p_j-1 - 0.03, 0.06). */
export function checkpoints(steps) {
  const p = [0, 0.22];
  while ((p.at(-1) ?? 1) < 1) p.push(p.at(-1) + Math.max(p.at(-1) - p.at(-2) - 0.03, 0.06));
  return [...new Set(p.map((v) => Math.ceil(v * steps)).filter((w) => w > 0 && w < steps))];
}

const crossEntropy = (oneHot, logits) => tf.losses.softmaxCrossEntropy(oneHot, logits, undefined, 0, tf.Reduction.NONE);

/** x projected onto the L-inf ball of radius eps around x0, and onto [0,1]. */
const project = (x, x0, eps) => tf.clipByValue(tf.add(x0, tf.clipByValue(tf.sub(x, x0), -eps, eps)), 0, 1);

/** Rows of `a` where `mask[i]` is set, else rows of `b`. */
const select = (mask, a, b) =>
  tf.tidy(() => tf.where(tf.broadcastTo(tf.reshape(tf.tensor1d(mask, 'bool'), [-1, 1, 1, 1]), a.shape), a, b));

/** Replaces a tensor variable's value, disposing the old one. */
const replace = (old, next) => {
  old.dispose();
  return next;
};

/**
 * One APGD-CE run for one radius. Per image: the step size starts at 2 eps, steps combine the signed-gradient move
 * with momentum, and at each checkpoint the step size is halved (restarting from the best point so far) when fewer
 * than rho of the steps since the last checkpoint increased the loss, or when neither the step size nor the best
 * loss changed since then. Returns, per image, an iterate that fooled the model if one did, else the highest-loss one.
 */
async function apgdRun(model, x0, labels, oneHot, config, eps, rng) {
  const n = x0.shape[0];
  // Values are read with await data(): synchronous reads (dataSync) fail on the webgpu backend in Node.
  const truth = await labels.data();
  const gradient = tf.grad((x) => tf.sum(crossEntropy(oneHot, model.logits(x))));
  const measure = async (x) => {
    const grad = tf.tidy(() => gradient(x));
    const [loss, pred] = tf.tidy(() => {
      const logits = model.logits(x);
      return [crossEntropy(oneHot, logits), tf.argMax(logits, 1)];
    });
    const values = { loss: await loss.data(), pred: await pred.data(), grad };
    tf.dispose([loss, pred]);
    return values;
  };
  const stepFrom = (x, grad, eta) =>
    tf.tidy(() => project(tf.add(x, tf.mul(tf.sign(grad), tf.tensor(eta, [n, 1, 1, 1]))), x0, eps));

  let x = tf.tidy(() =>
    config.randomStart && eps > 0
      ? project(tf.add(x0, tf.tensor(rng.uniformArray(x0.size, -eps, eps), x0.shape)), x0, eps)
      : x0.clone(),
  );
  let { loss, pred, grad } = await measure(x);
  let best = x.clone();
  let bestGrad = grad.clone();
  let bestLoss = loss.slice();
  let adversarial = x0.clone();
  const fooled = new Uint8Array(n);
  const note = (iterate) => {
    const now = Array.from(pred, (p, i) => (p !== truth[i] ? 1 : 0));
    if (now.some((v) => v === 1)) adversarial = replace(adversarial, select(now, iterate, adversarial));
    now.forEach((v, i) => (fooled[i] |= v));
  };
  note(x);

  const eta = new Float32Array(n).fill(2 * eps);
  const marks = new Set(checkpoints(config.steps));
  let previous = x.clone();
  x = replace(x, stepFrom(x, grad, eta));
  grad.dispose();
  let lastMark = 0;
  let increases = new Float32Array(n);
  let reducedAtLastMark = new Uint8Array(n);
  let bestAtLastMark = bestLoss.slice();
  let lossBefore = loss;

  for (let k = 1; k < config.steps; k++) {
    ({ loss, pred, grad } = await measure(x));
    note(x);
    const improved = Array.from(loss, (l, i) => (l > bestLoss[i] ? 1 : 0));
    if (improved.some((v) => v === 1)) {
      best = replace(best, select(improved, x, best));
      bestGrad = replace(bestGrad, select(improved, grad, bestGrad));
    }
    loss.forEach((l, i) => {
      if (l > lossBefore[i]) increases[i] += 1;
      if (l > bestLoss[i]) bestLoss[i] = l;
    });
    lossBefore = loss;
    if (marks.has(k)) {
      const reduce = Array.from(eta, (_, i) =>
        increases[i] < config.rho * (k - lastMark) || (!reducedAtLastMark[i] && bestAtLastMark[i] >= bestLoss[i])
          ? 1
          : 0,
      );
      reduce.forEach((r, i) => (eta[i] = r ? eta[i] / 2 : eta[i]));
      if (reduce.some((r) => r === 1)) {
        // Restart the halved images from their best point, without momentum.
        x = replace(x, select(reduce, best, x));
        previous = replace(previous, select(reduce, best, previous));
        grad = replace(grad, select(reduce, bestGrad, grad));
      }
      reducedAtLastMark = Uint8Array.from(reduce);
      bestAtLastMark = bestLoss.slice();
      increases = new Float32Array(n);
      lastMark = k;
    }
    if (k === config.steps - 1) {
      grad.dispose();
      break;
    }
    const next = tf.tidy(() => {
      const z = stepFrom(x, grad, eta);
      return project(
        tf.add(tf.add(x, tf.mul(config.momentum, tf.sub(z, x))), tf.mul(1 - config.momentum, tf.sub(x, previous))),
        x0,
        eps,
      );
    });
    grad.dispose();
    previous = replace(previous, x);
    x = next;
  }
  const result = select(fooled, adversarial, best);
  tf.dispose([x, previous, best, bestGrad, adversarial]);
  return { pixels: result, fooled };
}

/**
 * APGD-CE (Croce & Hein, "Reliable evaluation of adversarial robustness with an ensemble of diverse parameter-free
 * attacks", ICML 2020): the step-size-free PGD of AutoAttack, untargeted, on the cross-entropy, L-inf. With the same
 * number of gradient evaluations it is at least as strong as PGD with a fixed step size. It also runs one forward
 * pass per step to track the loss and the predictions.
 */
export default definePlugin({
  family: 'attack',
  meta: {
    name: 'apgd-ce',
    version: '1.0.0',
    apiVersion: 1,
    description: 'APGD-CE (Croce & Hein, 2020): step-size-adaptive PGD with momentum, L-inf, cross-entropy.',
  },
  configSchema,
  threatModels: (config) => radiiOf(config.eps).map((eps) => ({ norm: 'Linf', eps })),
  async perturb({ model, pixels, labels, config, rng }) {
    const oneHot = tf.oneHot(labels, model.numClasses);
    const results = [];
    for (const eps of radiiOf(config.eps)) {
      let { pixels: attacked, fooled } = await apgdRun(
        model,
        pixels,
        labels,
        oneHot,
        config,
        eps,
        rng.fork(`eps/${eps}/restart/0`),
      );
      // Further restarts keep each image's first success.
      for (let r = 1; r < config.restarts && fooled.some((f) => f === 0); r++) {
        const again = await apgdRun(model, pixels, labels, oneHot, config, eps, rng.fork(`eps/${eps}/restart/${r}`));
        attacked = replace(attacked, select(fooled, attacked, again.pixels));
        again.pixels.dispose();
        fooled = fooled.map((f, i) => f | again.fooled[i]);
      }
      results.push({ threat: { norm: 'Linf', eps }, pixels: attacked });
    }
    oneHot.dispose();
    return results;
  },
});
