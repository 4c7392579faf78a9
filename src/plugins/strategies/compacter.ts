import { ConfigError, definePlugin, z } from '../../core/contracts/index.js';
import type { ResidualSite } from '../../core/contracts/index.js';
import { newVariable, tf } from '../../core/tensor/index.js';
import type { Rng } from '../../core/tensor/index.js';
import { ADAPTER_SITES, adapterName, bottleneck } from './shared/bottleneck.js';

/** Factors of one PHM layer: W = sum_i R_i (kron) (left_i right_i). */
interface PhmFactors {
  readonly left: tf.Variable; // [n, in/n, rank]
  readonly right: tf.Variable; // [n, rank, out/n]
  readonly bias: tf.Variable; // [out]
}

/** PHM weight `[in, out]` from the shared rules `[n, n, n]` and one layer's factors (2-D matMuls, rank-4 transpose). */
function phmWeight(rules: tf.Tensor, f: PhmFactors, inputs: number, outputs: number): tf.Tensor2D {
  const n = rules.shape[0] as number;
  const blocks = tf.matMul(f.left, f.right); // [n, in/n, out/n]
  const mixed = tf.matMul(
    tf.transpose(tf.reshape(rules, [n, n * n])),
    tf.reshape(blocks, [n, (inputs / n) * (outputs / n)]),
  );
  // mixed[(a, b), (p, q)] = sum_i R[i, a, b] blocks[i, p, q]; W[a*in/n + p, b*out/n + q] is that value.
  return tf.reshape(tf.transpose(tf.reshape(mixed, [n, n, inputs / n, outputs / n]), [0, 2, 1, 3]), [inputs, outputs]);
}

/** Glorot-normal slices, one `[rows, cols]` matrix per rule index (what AdapterHub's PHM init amounts to). */
function glorotSlices(rng: Rng, n: number, rows: number, cols: number): tf.Variable {
  return newVariable(rng.normalArray(n * rows * cols, 0, Math.sqrt(2 / (rows + cols))), [n, rows, cols]);
}

/**
 * Compacter (Karimi Mahabadi et al., 2021) as AdapterHub builds it: the Adapter's placement and form with
 * W_down and W_up as parameterised-hypercomplex-multiplication layers, `W = sum_{i=1..n} R_i (kron) (s_i t_i^T)`,
 * n rule matrices R_i (n x n) shared by the whole model (init normal, std 1e-4) and rank-r factors per layer
 * (Glorot-normal); each PHM layer keeps a normal bias (zero init). Width: max(n, round_up(hidden / reductionFactor, n)).
 */
export const compacter = definePlugin({
  family: 'strategy',
  meta: {
    name: 'compacter',
    version: '0.1.0',
    apiVersion: 1,
    description: 'Compacter: adapters whose projections are low-rank PHM (Kronecker) layers with shared rules.',
  },
  configSchema: z
    .object({
      reductionFactor: z.number().positive().default(32),
      phmDim: z.number().int().positive().default(4),
      rank: z.number().int().positive().default(1),
      ruleInitStd: z.number().positive().default(1e-4),
    })
    .strict(),
  adapt(model, { reductionFactor, phmDim: n, rank, ruleInitStd }, rng) {
    const d = model.architecture.hiddenSize;
    if (d % n !== 0) throw new ConfigError(`compacter: hidden size ${d} is not divisible by phmDim ${n}`);
    const m = Math.max(n, Math.ceil(d / reductionFactor / n) * n);
    const rules = newVariable(rng.normalArray(n * n * n, 0, ruleInitStd), [n, n, n]);
    const added = new Map<string, tf.Variable>([['compacter.phm_rule', rules]]);
    const layers = new Map<string, { down: PhmFactors; up: PhmFactors }>();
    const factors = (name: string, inputs: number, outputs: number): PhmFactors => {
      const f = {
        left: glorotSlices(rng, n, inputs / n, rank),
        right: glorotSlices(rng, n, rank, outputs / n),
        bias: newVariable(0, [outputs]),
      };
      added.set(`${name}.W_left`, f.left).set(`${name}.W_right`, f.right).set(`${name}.bias`, f.bias);
      return f;
    };
    for (let layer = 0; layer < model.architecture.numLayers; layer++) {
      for (const site of ADAPTER_SITES) {
        const name = adapterName('compacter', layer, site);
        layers.set(name, { down: factors(`${name}.down`, d, m), up: factors(`${name}.up`, m, d) });
      }
    }
    return {
      trains: () => false,
      added,
      hooks: {
        residual(site: ResidualSite, layer: number, output: tf.Tensor) {
          const f = layers.get(adapterName('compacter', layer, site));
          if (f === undefined) return output;
          return bottleneck(output as tf.Tensor2D, {
            down: phmWeight(rules, f.down, d, m),
            downBias: f.down.bias as tf.Tensor1D,
            up: phmWeight(rules, f.up, m, d),
            upBias: f.up.bias as tf.Tensor1D,
          });
        },
      },
    };
  },
});
