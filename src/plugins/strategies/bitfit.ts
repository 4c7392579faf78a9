import { definePlugin, z } from '../../core/contracts/index.js';

/**
 * BitFit (Ben Zaken et al., 2022): every bias of the backbone trains (query, key, value, attention output,
 * intermediate and output dense biases, both LayerNorm biases of each block, the patch-embedding bias and
 * the final LayerNorm bias) plus the head. LayerNorm weights, the CLS token and position embeddings stay frozen.
 */
export const bitfit = definePlugin({
  family: 'strategy',
  meta: {
    name: 'bitfit',
    version: '0.1.0',
    apiVersion: 1,
    description: 'BitFit: every backbone bias and the head train.',
  },
  configSchema: z.object({}).strict(),
  adapt: () => ({ trains: (name: string) => name.endsWith('.bias'), added: new Map(), hooks: {} }),
});
