import { definePlugin, z } from '../../core/contracts/index.js';

/**
 * Top-k accuracy: the fraction of samples whose true class is among the k highest logits. A sample
 * counts as correct when fewer than k classes score strictly higher than its true class.
 */
export const accuracy = definePlugin({
  family: 'metric',
  kind: 'point',
  meta: {
    name: 'accuracy',
    version: '0.1.0',
    apiVersion: 1,
    description: 'Top-k accuracy (top-1 by default) of the predictions on the evaluated subset.',
  },
  configSchema: z.object({ k: z.number().int().positive().default(1) }),
  compute({ logits, labels, count, numClasses }, { k }) {
    if (count === 0) return Number.NaN;
    let correct = 0;
    for (let i = 0; i < count; i++) {
      const row = i * numClasses;
      const target = logits[row + (labels[i] as number)] as number;
      let higher = 0;
      for (let c = 0; c < numClasses && higher < k; c++) if ((logits[row + c] as number) > target) higher++;
      if (higher < k) correct++;
    }
    return correct / count;
  },
});
