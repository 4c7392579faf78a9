import { BLOCK_LINEAR_SITES, definePlugin, linearName, linearShape, z } from '../../core/contracts/index.js';
import type { LinearSite } from '../../core/contracts/index.js';
import { matMul, newVariable, tf } from '../../core/tensor/index.js';

/**
 * LoRA (Hu et al., 2022): `out + (x A) B * alpha/r` at the targeted linear layers of every block, base frozen.
 * A `[in, r]` is initialised as PyTorch's kaiming-uniform(a=sqrt 5) on `[r, in]`, i.e. U(-1/sqrt(in), 1/sqrt(in));
 * B `[r, out]` starts at zero, so the adapted model starts equal to the base model. Stored as
 * `<linear>.lora_A` `[in, r]` and `<linear>.lora_B` `[r, out]` (transposed relative to PEFT).
 */
export const lora = definePlugin({
  family: 'strategy',
  meta: {
    name: 'lora',
    version: '0.1.0',
    apiVersion: 1,
    description: 'LoRA: low-rank updates B(Ax)*alpha/r on query, key, value, intermediate and output layers.',
  },
  configSchema: z
    .object({
      rank: z.number().int().positive().default(8),
      alpha: z.number().positive().default(8),
      targets: z.array(z.enum(BLOCK_LINEAR_SITES)).min(1).default(['query', 'key', 'value', 'intermediate', 'ffn_out']),
    })
    .strict(),
  adapt(model, { rank, alpha, targets }, rng) {
    const added = new Map<string, tf.Variable>();
    const factors = new Map<string, [tf.Variable, tf.Variable]>();
    for (let layer = 0; layer < model.architecture.numLayers; layer++) {
      for (const site of targets) {
        const name = linearName(site, layer);
        const { inputs, outputs } = linearShape(model.architecture, site);
        const bound = 1 / Math.sqrt(inputs);
        const a = newVariable(rng.uniformArray(inputs * rank, -bound, bound), [inputs, rank]);
        const b = newVariable(0, [rank, outputs]);
        added.set(`${name}.lora_A`, a).set(`${name}.lora_B`, b);
        factors.set(name, [a, b]);
      }
    }
    const scale = alpha / rank;
    return {
      trains: () => false,
      added,
      hooks: {
        linear(site: LinearSite, layer: number | undefined, input: tf.Tensor, output: tf.Tensor) {
          const pair = site === 'head' ? undefined : factors.get(linearName(site, layer));
          if (pair === undefined) return output;
          const update = matMul(matMul(input as tf.Tensor2D, pair[0] as tf.Tensor2D), pair[1] as tf.Tensor2D);
          return tf.add(output, tf.mul(update, scale));
        },
      },
    };
  },
});
