import { definePlugin, z } from 'paretune/plugin';

/** Top-1 error rate: the fraction of images whose largest logit is not their label (NaN for no images). */
export default definePlugin({
  family: 'metric',
  kind: 'point',
  meta: { name: 'my-plugin', version: '0.1.0', apiVersion: 1, description: 'Top-1 error rate.' },
  configSchema: z.object({}).strict(),
  compute: ({ logits, labels, count, numClasses }) => {
    if (count === 0) return Number.NaN;
    let wrong = 0;
    for (let i = 0; i < count; i++) {
      const row = logits.subarray(i * numClasses, (i + 1) * numClasses);
      if (row.indexOf(Math.max(...row)) !== labels[i]) wrong++;
    }
    return wrong / count;
  },
});
