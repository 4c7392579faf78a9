import { BLOCK_LINEAR_SITES, definePlugin, linearName, linearShape, z } from '../../core/contracts/index.js';
import type { LinearSite } from '../../core/contracts/index.js';
import { newVariable, tf } from '../../core/tensor/index.js';

/**
 * (IA)3 (Liu et al., 2022): learned vectors, initialised to 1, scale the outputs of the targeted linear layers.
 * The default targets key, value, intermediate and ffn_out, as the reference study's code does (the PEFT
 * library's default leaves out ffn_out). Stored as `<linear>.ia3_l` `[out]`.
 */
export const ia3 = definePlugin({
  family: 'strategy',
  meta: {
    name: 'ia3',
    version: '0.1.0',
    apiVersion: 1,
    description: '(IA)3: learned vectors scale the key, value, intermediate and output activations.',
  },
  configSchema: z
    .object({
      targets: z.array(z.enum(BLOCK_LINEAR_SITES)).min(1).default(['key', 'value', 'intermediate', 'ffn_out']),
    })
    .strict(),
  adapt(model, { targets }) {
    const added = new Map<string, tf.Variable>();
    for (let layer = 0; layer < model.architecture.numLayers; layer++) {
      for (const site of targets) {
        added.set(`${linearName(site, layer)}.ia3_l`, newVariable(1, [linearShape(model.architecture, site).outputs]));
      }
    }
    return {
      trains: () => false,
      added,
      hooks: {
        linear(site: LinearSite, layer: number | undefined, _input: tf.Tensor, output: tf.Tensor) {
          const scale = site === 'head' ? undefined : added.get(`${linearName(site, layer)}.ia3_l`);
          return scale === undefined ? output : tf.mul(output, scale);
        },
      },
    };
  },
});
