import { definePlugin, z } from 'paretune/plugin';

/**
 * The expected calibration error of the predictions (Guo et al., "On calibration of modern neural networks",
 * ICML 2017): images are put into `bins` equal-width bins by their confidence (the largest softmax probability), and
 * ECE = sum over bins of (images in the bin / all images) x |accuracy in the bin - mean confidence in the bin|.
 * 0 is perfectly calibrated; an over-confident model scores high. The last bin includes confidence 1.
 */
export default definePlugin({
  family: 'metric',
  kind: 'point',
  meta: {
    name: 'ece',
    version: '1.0.0',
    apiVersion: 1,
    description: 'Expected calibration error (equal-width confidence bins, top-1).',
  },
  configSchema: z.object({ bins: z.number().int().min(1).max(1000).default(15) }).strict(),
  compute({ logits, labels, count, numClasses }, { bins }) {
    if (count === 0) return Number.NaN;
    const confidence = new Float64Array(bins);
    const correct = new Float64Array(bins);
    const members = new Float64Array(bins);
    for (let i = 0; i < count; i++) {
      const row = logits.subarray(i * numClasses, (i + 1) * numClasses);
      let top = 0;
      for (let c = 1; c < numClasses; c++) if (row[c] > row[top]) top = c;
      // Softmax of the top class, computed stably: 1 / sum(exp(l_c - l_top)).
      let sum = 0;
      for (let c = 0; c < numClasses; c++) sum += Math.exp(row[c] - row[top]);
      const p = 1 / sum;
      const bin = Math.min(bins - 1, Math.floor(p * bins));
      members[bin] += 1;
      confidence[bin] += p;
      if (top === labels[i]) correct[bin] += 1;
    }
    let ece = 0;
    for (let b = 0; b < bins; b++) if (members[b] > 0) ece += Math.abs(correct[b] - confidence[b]) / count;
    return ece;
  },
});
