import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { inspectCheckpoint } from '../../src/core/model/checkpoint.js';
import { Store } from '../../src/core/store/store.js';
import { cliProcess, tempDir } from '../helpers/index.js';

const STRATEGIES = ['full', 'linear-probe', 'bitfit', 'lora', 'adapter', 'compacter', 'ia3'];

describe('paretune demo', () => {
  // The demo reads the real Fashion-MNIST files from Debian's dataset-fashion-mnist (CI installs it).
  it.skipIf(!existsSync('/usr/share/datasets/fashion-mnist') && !process.env['CI'])(
    'pre-trains a backbone, fine-tunes all seven strategies, prints both AUPF tables, plots and stores them, and reuses everything when run again (--quick)',
    async () => {
      const dir = tempDir();
      const env = { PARETUNE_DATA_DIR: join(dir, 'data'), PARETUNE_CACHE_DIR: join(dir, 'cache') };
      const first = await cliProcess(['demo', '--quick'], dir, env);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stderr).toContain('pre-training the backbone');
      expect(first.stdout).toContain(
        'The backbone was pre-trained here, from random initialisation, on Fashion-MNIST classes 0-4',
      );
      expect(first.stdout).toContain("not the\nstudy's ImageNet-21k ViT-B/16");
      for (const eps of ['1/255', '8/255']) {
        const table =
          first.stdout.split(`fashion-mnist, robust accuracy under pgd Linf eps ${eps}\n`)[1]?.split('\n\n')[0] ?? '';
        expect(
          table
            .split('\n')
            .slice(1)
            .map((line) => line.trim().split(/\s+/)[0])
            .sort(),
        ).toEqual([...STRATEGIES].sort());
      }
      expect(first.stdout).toMatch(/paretune serve --db \S+paretune\.db/);

      // The backbone is cached without its head: fine-tuning on the other five classes gets a fresh one.
      const cached = readdirSync(join(dir, 'cache', 'demo'));
      expect(cached).toHaveLength(1);
      expect(inspectCheckpoint(join(dir, 'cache', 'demo', cached[0] as string, 'model.safetensors'))).toMatchObject({
        layout: 'hf-backbone',
        hasHead: false,
      });

      const plots = [...first.stdout.matchAll(/(\/\S+\.png)/g)].map((m) => m[1] as string);
      expect(plots).toHaveLength(4);
      for (const png of plots) {
        expect((await sharp(png).metadata()).format).toBe('png');
        expect(existsSync(png.replace(/\.png$/, '.svg'))).toBe(true);
      }

      const store = Store.open(join(dir, 'data', 'paretune.db'));
      const runs = store.listRuns();
      store.close();
      expect(runs.filter((r) => r.status === 'finished')).toHaveLength(8); // the pre-training and seven fine-tunings
      expect(
        runs
          .filter((r) => r.experimentId?.startsWith('demo-') && !r.experimentId.startsWith('demo-pretraining'))
          .map((r) => r.strategy)
          .sort(),
      ).toEqual([...STRATEGIES].sort());

      const again = await cliProcess(['demo', '--quick'], dir, env);
      expect(again.code).toBe(0);
      expect(again.stderr).toContain('reusing the backbone pre-trained earlier');
      expect(again.stderr.match(/already finished/g)).toHaveLength(7);
      expect(again.stdout.split('minutes')[1]).toBe(first.stdout.split('minutes')[1]);
    },
    180_000,
  );
});
