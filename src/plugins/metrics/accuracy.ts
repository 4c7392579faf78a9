import { definePlugin, z } from '../../core/contracts/index.js';

/**
 * Top-k accuracy: the fraction of samples whose true class is among the k highest logits.
 *
 * Classes are ranked as a stable descending sort would rank them: by logit, ties broken by the lower class index
 * first. So top-1 is `torch.argmax` (the first maximal index wins), and a sample counts as correct when fewer than
 * k classes rank above its true class. A row with any NaN logit has no ranking and is never correct.
 *
 * Version 0.2.0 introduced these rules; 0.1.0 counted ties and NaN rows as correct, so its values are not comparable.
 */
export const accuracy = definePlugin({
  family: 'metric',
  kind: 'point',
  meta: {
    name: 'accuracy',
    version: '0.2.0',
    apiVersion: 1,
    description: 'Top-k accuracy (top-1 by default) of the predictions on the evaluated subset.',
  },
  configSchema: z.object({ k: z.number().int().positive().default(1) }),
  compute({ logits, labels, count, numClasses }, { k }) {
    if (count === 0) return Number.NaN;
    let correct = 0;
    for (let i = 0; i < count; i++) {
      const label = labels[i] as number;
      // Datasets are validated when opened; a label out of range here is a bug, never a score.
      if (!(label >= 0 && label < numClasses)) {
        throw new RangeError(`accuracy: label ${label} of sample ${i} is not in [0, ${numClasses})`);
      }
      const row = i * numClasses;
      const target = logits[row + label] as number;
      let above = 0;
      let hasNaN = false;
      for (let c = 0; c < numClasses; c++) {
        const value = logits[row + c] as number;
        if (Number.isNaN(value)) hasNaN = true;
        else if (value > target || (value === target && c < label)) above++;
      }
      if (!hasNaN && above < k) correct++;
    }
    return correct / count;
  },
});
