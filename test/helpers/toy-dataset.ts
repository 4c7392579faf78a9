import { definePlugin, z } from '../../src/core/contracts/index.js';
import type { DatasetSplit } from '../../src/core/contracts/index.js';
import { Rng } from '../../src/core/tensor/rng.js';

/**
 * A dataset plugin for tests: class c has colour channel c brighter, plus seeded noise, at any image size.
 * Real datasets are tested against files in their real formats; this one exercises runs end to end quickly.
 */
export const toyDataset = definePlugin({
  family: 'dataset',
  meta: { name: 'toy', version: '1.0.0', apiVersion: 1, description: 'Colour-coded toy images for tests.' },
  configSchema: z.object({ train: z.number().int().positive().default(60), test: z.number().int().positive().default(30) }),
  describe: () => ({ numClasses: 3, classNames: ['red', 'green', 'blue'], splits: ['train', 'test'] }),
  async open(split, config, { imageSize }): Promise<DatasetSplit> {
    const count = split === 'train' ? config.train : config.test;
    const rng = Rng.fromSeed(split === 'train' ? 1 : 2);
    const size = imageSize * imageSize * 3;
    const pixels = new Uint8Array(count * size);
    const labels = Int32Array.from({ length: count }, (_, i) => i % 3);
    for (let i = 0; i < count; i++) {
      for (let p = 0; p < size; p++) {
        const bright = p % 3 === labels[i] ? 0.2 : 0;
        pixels[i * size + p] = Math.round(255 * Math.min(1, Math.max(0, 0.35 + bright + 0.12 * rng.normal())));
      }
    }
    return {
      size: count,
      labels,
      async read(indices) {
        const out = new Uint8Array(indices.length * size);
        for (let k = 0; k < indices.length; k++) out.set(pixels.subarray((indices[k] as number) * size, ((indices[k] as number) + 1) * size), k * size);
        return { pixels: out, labels: Int32Array.from(indices, (i) => labels[i] as number), count: indices.length, height: imageSize, width: imageSize, channels: 3 };
      },
    };
  },
});
