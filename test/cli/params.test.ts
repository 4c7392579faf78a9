import { describe, expect, it } from 'vitest';
import { cli, tempDir } from '../helpers/fixtures.js';

// protocol.md §2: trainable and added parameters of ViT-B/16 with a 10-class head.
const EXPECTED: Record<string, { trainable: number; added: number }> = {
  full: { trainable: 85_806_346, added: 0 },
  'linear-probe': { trainable: 7_690, added: 0 },
  bitfit: { trainable: 110_602, added: 0 },
  lora: { trainable: 1_187_338, added: 1_179_648 },
  adapter: { trainable: 3_567_370, added: 3_559_680 },
  compacter: { trainable: 64_778, added: 57_088 },
  ia3: { trainable: 72_202, added: 64_512 },
};

describe('paretune params', () => {
  it.each(Object.keys(EXPECTED))(
    'gives the reference study counts for %s on vit-base-patch16-224',
    async (strategy) => {
      const { code, stdout, stderr } = await cli(
        ['params', '--model', 'vit-base-patch16-224', '--classes', '10', '--strategy', strategy, '--json'],
        tempDir(),
      );
      expect(stderr).toBe('');
      expect(code).toBe(0);
      const counts = JSON.parse(stdout) as {
        trainable: number;
        added: number;
        total: number;
        trainablePercent: number;
      };
      expect({ trainable: counts.trainable, added: counts.added }).toEqual(EXPECTED[strategy]);
      expect(counts.total).toBe(85_806_346 + counts.added);
      expect(counts.trainablePercent).toBeCloseTo((100 * counts.trainable) / counts.total, 10);
    },
  );

  it('prints a readable line and stacks strategies', async () => {
    const { stdout } = await cli(
      ['params', '--model', 'vit-base-patch16-224', '--classes', '10', '--strategy', 'bitfit+lora'],
      tempDir(),
    );
    expect(stdout).toContain(
      'trainable params: 1,290,250 || added params: 1,179,648 || all params: 86,985,994 || trainable%: 1.4833',
    );
  });

  it('lists every parameter with its shape and whether it trains under the strategies (--list, with --json too)', async () => {
    const argv = ['params', '--model', 'vit-bench-32', '--classes', '10', '--strategy', 'bitfit+lora', '--list'];
    const json = await cli([...argv, '--json'], tempDir());
    expect(json.code).toBe(0);
    const out = JSON.parse(json.stdout) as {
      trainable: number;
      added: number;
      total: number;
      parameters: { name: string; shape: number[]; trains: boolean; added: boolean }[];
    };
    const byName = new Map(out.parameters.map((p) => [p.name, p]));
    expect(byName.size).toBe(out.parameters.length);
    const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
    const sum = (rows: typeof out.parameters): number => rows.reduce((n, p) => n + size(p.shape), 0);
    expect(sum(out.parameters)).toBe(out.total);
    expect(sum(out.parameters.filter((p) => p.trains))).toBe(out.trainable);
    expect(sum(out.parameters.filter((p) => p.added))).toBe(out.added);
    expect(byName.get('encoder.layer.0.attention.attention.query.weight')).toEqual({
      name: 'encoder.layer.0.attention.attention.query.weight',
      shape: [64, 64],
      trains: false,
      added: false,
    });
    expect(byName.get('encoder.layer.0.attention.attention.query.bias')?.trains).toBe(true); // bitfit
    expect(byName.get('encoder.layer.3.output.dense.lora_A')).toMatchObject({
      shape: [256, 8],
      trains: true,
      added: true,
    });
    expect(byName.get('classifier.weight')).toMatchObject({ shape: [10, 64], trains: true, added: false });

    const text = await cli(argv, tempDir());
    const lines = text.stdout.split('\n');
    expect(lines).toContain('embeddings.patch_embeddings.projection.weight     [64, 3, 4, 4]  no');
    expect(lines).toContain('encoder.layer.3.output.dense.lora_A               [256, 8]       yes (added)');
    expect(lines.filter((l) => / (yes|no)( \(added\))?$/.test(l))).toHaveLength(out.parameters.length);
    expect((await cli(argv.slice(0, -1), tempDir())).stdout).not.toContain('[64, 3, 4, 4]');
  });

  it('ends every output with a newline', async () => {
    const base = ['params', '--model', 'vit-bench-32', '--classes', '10', '--strategy', 'lora'];
    for (const extra of [[], ['--list'], ['--json'], ['--list', '--json']]) {
      const { stdout } = await cli([...base, ...extra], tempDir());
      expect(stdout.endsWith('\n') && !stdout.endsWith('\n\n')).toBe(true);
    }
  });

  it('explains bad input', async () => {
    const dir = tempDir();
    expect(
      (
        await cli(
          [
            'params',
            '--model',
            'vit-bench-32',
            '--classes',
            '10',
            '--strategy',
            'lora',
            '--config',
            '{"lora":{"rank":0}}',
          ],
          dir,
        )
      ).stderr,
    ).toContain("strategy 'lora' config is invalid: field 'rank': Too small: expected number to be >0");
    expect((await cli(['params', '--model', 'vit-bench-32', '--strategy', 'lora'], dir)).stderr).toContain(
      "model 'vit-bench-32' has no classification head: give the number of classes",
    );
    expect(
      (await cli(['params', '--model', 'vit-bench-32', '--classes', 'ten', '--strategy', 'lora'], dir)).stderr,
    ).toContain('--classes: expected a positive integer');
  });
});
