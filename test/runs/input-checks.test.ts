import { beforeAll, describe, expect, it } from 'vitest';
import { cli, tempDir, tinyCheckpoint, toyDatasetPackage, writePluginPackage } from '../helpers/index.js';

/** A 3-class dataset plugin whose test split labels image 4 as class 7 (its train split is sound). */
const BAD_LABELS = `import { definePlugin, z } from 'paretune/plugin';
export default definePlugin({
  family: 'dataset',
  meta: { name: 'bad-labels', version: '1.0.0', apiVersion: 1, description: 'Labels outside its classes.' },
  configSchema: z.object({}),
  describe: () => ({ numClasses: 3, classNames: ['a', 'b', 'c'], splits: ['train', 'test'] }),
  async open(split, config, { imageSize }) {
    const labels = Int32Array.from({ length: 12 }, (_, i) => (split === 'test' && i === 4 ? 7 : i % 3));
    const size = imageSize * imageSize * 3;
    return {
      size: labels.length,
      labels,
      source: split + '-labels.txt',
      async read(indices) {
        return { pixels: new Uint8Array(indices.length * size), labels: Int32Array.from(indices, (i) => labels[i]), count: indices.length,
          height: imageSize, width: imageSize, channels: 3 };
      },
    };
  },
});
`;

let plugin: string;
let weights: string;

beforeAll(async () => {
  plugin = writePluginPackage(tempDir(), 'paretune-plugin-bad-labels', BAD_LABELS);
  weights = await tinyCheckpoint(tempDir());
});

const MESSAGE =
  "paretune: dataset 'bad-labels' split 'test' (test-labels.txt): label 7 of image 4 is not a class (expected 0 to 2)\n";

describe('labels outside the classes of any dataset plugin', () => {
  it('are refused by evaluate, naming the split, its source, the index and the label', async () => {
    const { code, stdout, stderr } = await cli(
      ['--plugin', plugin, 'evaluate', '--weights', weights, '--dataset', 'bad-labels', '--attack', 'none'],
      tempDir(),
    );
    expect(stderr).toBe(MESSAGE);
    expect(stdout).toBe('');
    expect(code).toBe(1);
  });

  it('are refused by run before training', async () => {
    const { code, stderr } = await cli(
      [
        '--plugin',
        plugin,
        'run',
        '--model',
        weights,
        '--dataset',
        'bad-labels',
        '--strategy',
        'bitfit',
        '--steps',
        '1',
        '--quiet',
      ],
      tempDir(),
    );
    expect(stderr).toBe(MESSAGE);
    expect(code).toBe(1);
  });
});

describe('an evaluation schedule with steps beyond the training length', () => {
  it('is refused, naming the steps, instead of being dropped', async () => {
    const { code, stdout, stderr } = await cli(
      [
        '--plugin',
        toyDatasetPackage(),
        'run',
        '--model',
        weights,
        '--dataset',
        'toy',
        '--strategy',
        'bitfit',
        '--steps',
        '10',
        '--eval-schedule',
        '0,500',
        '--quiet',
      ],
      tempDir(),
    );
    expect(stderr).toBe(
      'paretune: evaluation schedule: step 500 is beyond the last training step (10); train longer or drop them\n',
    );
    expect(stdout).toBe('');
    expect(code).toBe(1);
  });
});

describe('an L-inf radius above 1', () => {
  it('is refused on the command line before any work, naming the field', async () => {
    const { code, stderr } = await cli(
      ['--plugin', toyDatasetPackage(), 'evaluate', '--weights', weights, '--dataset', 'toy', '--eps', '2'],
      tempDir(),
    );
    expect(stderr).toBe(
      "paretune: attack 'pgd' config is invalid: field 'eps[0]': an L-inf radius must be at most 1 (the whole [0,1] pixel range), got 2\n",
    );
    expect(code).toBe(1);
  });
});
