import * as tf from '@tensorflow/tfjs';
import type { AttackPlugin, AttackResult, ThreatModel } from '../contracts/attack.js';
import { PluginError } from '../contracts/plugin.js';

/** Slack for float32 rounding of `x0 + delta` and of norms summed over many pixels. */
const ABSOLUTE_TOLERANCE = 1e-5;
const RELATIVE_TOLERANCE = 1e-4;

const sameThreat = (a: ThreatModel, b: ThreatModel): boolean =>
  a.norm === b.norm && Math.abs(a.eps - b.eps) <= 1e-9 * Math.max(1, b.eps);
const describeThreat = (t: ThreatModel): string => `${t.norm} eps ${t.eps}`;

/** The attack-contract rules {@link attackViolations} checks. */
export type AttackRule = 'threat-models' | 'shape' | 'finite' | 'pixel-range' | 'radius';

/** One broken rule of the attack contract, with what was seen. */
export interface AttackViolation {
  readonly rule: AttackRule;
  readonly message: string;
}

/**
 * What an attack returned, against the attack contract: one result per declared threat model, in order, each the
 * input's shape, finite, in [0,1], and within its radius under its norm (up to float tolerance). Costs one small
 * reduction per result and one read; disposes nothing.
 */
export async function attackViolations(
  plugin: AttackPlugin,
  config: unknown,
  clean: tf.Tensor4D,
  results: readonly AttackResult[],
): Promise<AttackViolation[]> {
  const problems: AttackViolation[] = [];
  const problem = (rule: AttackRule, message: string): void => void problems.push({ rule, message });
  const declared = plugin.threatModels(config);
  const reported = results.map((r) => r.threat);
  if (reported.length !== declared.length || reported.some((t, i) => !sameThreat(t, declared[i] as ThreatModel))) {
    const list = (threats: readonly ThreatModel[]): string => `[${threats.map(describeThreat).join(', ')}]`;
    problem(
      'threat-models',
      `it returned results for ${list(reported)} but its threatModels() declare ${list(declared)}`,
    );
  }
  const shaped = results.filter((r) => r.pixels.shape.join() === clean.shape.join());
  for (const { threat, pixels } of results) {
    if (pixels.shape.join() !== clean.shape.join()) {
      problem('shape', `${describeThreat(threat)}: pixels of shape [${pixels.shape}], not [${clean.shape}]`);
    }
  }
  if (shaped.length > 0) {
    // Per result: count of non-finite pixels, min, max, and the largest per-image perturbation under its norm.
    const stats = tf.tidy(() =>
      tf.stack(
        shaped.map(({ threat, pixels }) => {
          const delta = tf.reshape(tf.sub(pixels, clean), [clean.shape[0], -1]);
          const perImage = {
            Linf: () => tf.max(tf.abs(delta), 1),
            L2: () => tf.norm(delta, 'euclidean', 1),
            L1: () => tf.sum(tf.abs(delta), 1),
          };
          const nonFinite = tf.sum(tf.cast(tf.logicalNot(tf.isFinite(pixels)), 'float32'));
          return tf.stack([nonFinite, tf.min(pixels), tf.max(pixels), tf.max(perImage[threat.norm]())]);
        }),
      ),
    );
    const values = await stats.data();
    stats.dispose();
    shaped.forEach(({ threat }, i) => {
      const [nonFinite, min, max, size] = [...values.subarray(4 * i, 4 * i + 4)] as [number, number, number, number];
      const where = describeThreat(threat);
      if (nonFinite > 0) return problem('finite', `${where}: ${nonFinite} non-finite pixels`);
      if (min < 0 || max > 1) problem('pixel-range', `${where}: pixels in [${min}, ${max}], outside [0,1]`);
      if (size > threat.eps * (1 + RELATIVE_TOLERANCE) + ABSOLUTE_TOLERANCE) {
        problem('radius', `${where}: a perturbation of ${threat.norm} size ${size}, beyond its radius`);
      }
    });
  }
  return problems;
}

/**
 * Checks what an attack returned against the attack contract ({@link attackViolations}). A broken attack would
 * otherwise be stored as a plausible robust accuracy.
 * @throws {@link PluginError} naming the attack and every violation; the results are disposed first.
 */
export async function checkAttackResults(
  plugin: AttackPlugin,
  config: unknown,
  clean: tf.Tensor4D,
  results: readonly AttackResult[],
): Promise<void> {
  const problems = await attackViolations(plugin, config, clean, results);
  if (problems.length > 0) {
    tf.dispose(results.map((r) => r.pixels));
    const list = problems.map((p) => p.message).join('; ');
    throw new PluginError(`attack '${plugin.meta.name}' broke the attack contract: ${list}`);
  }
}
