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
  it.each(Object.keys(EXPECTED))('gives the reference study counts for %s on vit-base-patch16-224', async (strategy) => {
    const { code, stdout, stderr } = await cli(['params', '--model', 'vit-base-patch16-224', '--classes', '10', '--strategy', strategy, '--json'], tempDir());
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const counts = JSON.parse(stdout) as { trainable: number; added: number; total: number; trainablePercent: number };
    expect({ trainable: counts.trainable, added: counts.added }).toEqual(EXPECTED[strategy]);
    expect(counts.total).toBe(85_806_346 + counts.added);
    expect(counts.trainablePercent).toBeCloseTo((100 * counts.trainable) / counts.total, 10);
  });

  it('prints a readable line and stacks strategies', async () => {
    const { stdout } = await cli(['params', '--model', 'vit-base-patch16-224', '--classes', '10', '--strategy', 'bitfit+lora'], tempDir());
    expect(stdout).toContain('trainable params: 1,290,250 || added params: 1,179,648 || all params: 86,985,994 || trainable%: 1.4833');
  });

  it('explains bad input', async () => {
    const dir = tempDir();
    expect((await cli(['params', '--model', 'vit-bench-32', '--classes', '10', '--strategy', 'lora', '--config', '{"lora":{"rank":0}}'], dir)).stderr).toContain(
      "strategy 'lora' config is invalid: field 'rank': Too small: expected number to be >0",
    );
    expect((await cli(['params', '--model', 'vit-bench-32', '--strategy', 'lora'], dir)).stderr).toContain("model 'vit-bench-32' has no classification head: give the number of classes");
    expect((await cli(['params', '--model', 'vit-bench-32', '--classes', 'ten', '--strategy', 'lora'], dir)).stderr).toContain('--classes: expected a positive integer');
  });
});
