import { checkRadii, definePlugin, epsSchema, radiiOf, z } from 'paretune/plugin';
import { tf } from 'paretune/tensor';

const configSchema = z
  .object({ eps: epsSchema.default(8 / 255) })
  .strict()
  .superRefine((config, ctx) => checkRadii({ norm: 'Linf', eps: config.eps }, ctx));

/** Random-sign noise at the edge of the L-inf ball: the baseline any gradient attack must beat. */
export default definePlugin({
  family: 'attack',
  meta: { name: 'my-plugin', version: '0.1.0', apiVersion: 1, description: 'Random-sign noise at the L-inf radius.' },
  configSchema,
  threatModels: (config) => radiiOf(config.eps).map((eps) => ({ norm: 'Linf' as const, eps })),
  perturb: async ({ pixels, config, rng }) => {
    const signs = rng.uniformArray(pixels.size).map((u) => (u < 0.5 ? -1 : 1));
    return radiiOf(config.eps).map((eps) => ({
      threat: { norm: 'Linf' as const, eps },
      pixels: tf.tidy(
        () => tf.clipByValue(tf.add(pixels, tf.mul(tf.tensor(signs, pixels.shape), eps)), 0, 1) as tf.Tensor4D,
      ),
    }));
  },
});
