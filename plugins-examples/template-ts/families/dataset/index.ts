import { ConfigError, definePlugin, memorySplit, z } from 'paretune/plugin';

const SIZE = 16;
const CLASSES = ['top-left', 'top-right', 'bottom-left', 'bottom-right'];

/** Synthetic 16 px images: a bright square in one of four quadrants (the class) on dark noise. */
export default definePlugin({
  family: 'dataset',
  meta: {
    name: 'my-plugin',
    version: '0.1.0',
    apiVersion: 1,
    description: 'A bright square in one of four quadrants.',
  },
  configSchema: z
    .object({ train: z.number().int().positive().default(64), test: z.number().int().positive().default(32) })
    .strict(),
  describe: () => ({
    numClasses: CLASSES.length,
    classNames: CLASSES,
    splits: ['train', 'test'],
    nativeResolution: SIZE,
  }),
  open: async (split, config, { imageSize, files, rng }) => {
    if (split !== 'train' && split !== 'test')
      throw new ConfigError(`dataset 'my-plugin' has no split '${split}' (splits: train, test)`);
    const count = config[split];
    const noise = rng.fork(split);
    const pixels = new Uint8Array(count * SIZE * SIZE * 3);
    const labels = Int32Array.from({ length: count }, (_, i) => i % CLASSES.length);
    labels.forEach((label, i) => {
      const [top, left] = [label < 2 ? 0 : SIZE / 2, label % 2 === 0 ? 0 : SIZE / 2];
      for (let y = 0; y < SIZE; y++) {
        for (let x = 0; x < SIZE; x++) {
          const inside = y >= top && y < top + SIZE / 2 && x >= left && x < left + SIZE / 2;
          for (let c = 0; c < 3; c++)
            pixels[((i * SIZE + y) * SIZE + x) * 3 + c] = inside ? noise.int(200, 255) : noise.int(0, 80);
        }
      }
    });
    return memorySplit({ pixels, labels, height: SIZE, width: SIZE }, imageSize, files);
  },
});
