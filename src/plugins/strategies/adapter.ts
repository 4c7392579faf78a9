import { definePlugin, z } from '../../core/contracts/index.js';
import type { ResidualSite } from '../../core/contracts/index.js';
import type { tf } from '../../core/tensor/index.js';
import { newVariable } from '../../core/tensor/index.js';
import { ADAPTER_SITES, adapterName, bottleneck } from './shared/bottleneck.js';
import type { BottleneckWeights } from './shared/bottleneck.js';

/**
 * Bottleneck adapters (Houlsby et al., 2019) as AdapterHub builds them: two per block, on the attention output
 * and the MLP output before each residual add, `a(h) = h + W_up GELU(W_down h + b_down) + b_up` with width
 * hidden / reductionFactor. Weights start normal(0, 0.02) and biases zero (AdapterHub's "bert" init).
 * Stored as `encoder.layer.N.adapter.<site>.{down,up}.{weight,bias}`, weights `[in, out]`.
 */
export const adapter = definePlugin({
  family: 'strategy',
  meta: {
    name: 'adapter',
    version: '0.1.0',
    apiVersion: 1,
    description: 'Bottleneck adapters (Houlsby placement) after the attention and MLP outputs.',
  },
  configSchema: z
    .object({
      reductionFactor: z.number().positive().default(8),
      sites: z
        .array(z.enum(ADAPTER_SITES))
        .min(1)
        .default([...ADAPTER_SITES]),
    })
    .strict(),
  adapt(model, { reductionFactor, sites }, rng) {
    const d = model.architecture.hiddenSize;
    const m = Math.max(1, Math.floor(d / reductionFactor));
    const added = new Map<string, tf.Variable>();
    const weights = new Map<string, BottleneckWeights>();
    const normal = (rows: number, cols: number) =>
      newVariable(rng.normalArray(rows * cols, 0, 0.02), [rows, cols]) as tf.Variable<tf.Rank.R2>;
    const zeros = (n: number) => newVariable(0, [n]) as tf.Variable<tf.Rank.R1>;
    for (let layer = 0; layer < model.architecture.numLayers; layer++) {
      for (const site of sites) {
        const name = adapterName('adapter', layer, site);
        const w = { down: normal(d, m), downBias: zeros(m), up: normal(m, d), upBias: zeros(d) };
        added
          .set(`${name}.down.weight`, w.down)
          .set(`${name}.down.bias`, w.downBias)
          .set(`${name}.up.weight`, w.up)
          .set(`${name}.up.bias`, w.upBias);
        weights.set(name, w);
      }
    }
    return {
      trains: () => false,
      added,
      hooks: {
        residual(site: ResidualSite, layer: number, output: tf.Tensor) {
          const w = weights.get(adapterName('adapter', layer, site));
          return w === undefined ? output : bottleneck(output as tf.Tensor2D, w);
        },
      },
    };
  },
});
