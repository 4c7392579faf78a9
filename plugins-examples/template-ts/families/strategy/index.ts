import { definePlugin, linearName, z } from 'paretune/plugin';
import { newVariable, tf } from 'paretune/tensor';

/** Learned per-channel scales on every MLP hidden activation ((IA)3's MLP half); the backbone stays frozen. */
export default definePlugin({
  family: 'strategy',
  meta: {
    name: 'my-plugin',
    version: '0.1.0',
    apiVersion: 1,
    description: 'Learned scales on the MLP hidden activations.',
  },
  configSchema: z.object({}).strict(),
  adapt: (model) => {
    const { numLayers, intermediateSize } = model.architecture;
    const scales = Array.from({ length: numLayers }, () => newVariable(1, [intermediateSize]));
    return {
      trains: () => false,
      added: new Map(scales.map((scale, layer) => [`${linearName('intermediate', layer)}.my-plugin`, scale])),
      hooks: {
        linear: (site, layer, _input, output) => {
          const scale = site === 'intermediate' && layer !== undefined ? scales[layer] : undefined;
          return scale === undefined ? output : tf.mul(output, scale);
        },
      },
    };
  },
});
