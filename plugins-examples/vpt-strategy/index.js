import { definePlugin, z } from 'paretune/plugin';
import { newVariable, tf } from 'paretune/tensor';

/**
 * Visual prompt tuning (Jia et al., "Visual Prompt Tuning", ECCV 2022), shallow variant: `prompts` learnable tokens
 * are inserted into the token sequence after the embedding (between the CLS token and the patch tokens, without
 * position embeddings); the backbone stays frozen and the CLS token still feeds the head. Prompts start uniform in
 * +-sqrt(6 / (patch area x channels + hidden)), the Xavier range the paper uses. Stored as `prompt.tokens`
 * `[1, prompts, hidden]`.
 */
export default definePlugin({
  family: 'strategy',
  meta: {
    name: 'vpt',
    version: '1.0.0',
    apiVersion: 1,
    description: 'Visual prompt tuning (shallow): learnable prompt tokens after the embedding; the backbone is frozen.',
  },
  configSchema: z.object({ prompts: z.number().int().min(1).max(512).default(10) }).strict(),
  adapt(model, { prompts }, rng) {
    const { hiddenSize, patchSize, numChannels } = model.architecture;
    const limit = Math.sqrt(6 / (patchSize * patchSize * numChannels + hiddenSize));
    const tokens = newVariable(rng.uniformArray(prompts * hiddenSize, -limit, limit), [1, prompts, hiddenSize]);
    return {
      trains: () => false,
      added: new Map([['prompt.tokens', tokens]]),
      hooks: {
        tokens(sequence) {
          const batch = sequence.shape[0];
          const cls = tf.slice(sequence, [0, 0, 0], [batch, 1, hiddenSize]);
          const patches = tf.slice(sequence, [0, 1, 0], [batch, sequence.shape[1] - 1, hiddenSize]);
          return tf.concat([cls, tf.broadcastTo(tokens, [batch, prompts, hiddenSize]), patches], 1);
        },
      },
    };
  },
});
