import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Store } from '../../src/core/store/store.js';
import { REPO_ROOT, tempDir } from '../helpers/index.js';

const STORE_MODULE = JSON.stringify(join(REPO_ROOT, 'dist/src/core/store/store.js'));

/** Runs an ES module script in a new node process; resolves with its exit code and stderr. */
function node(script: string): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
}

describe('the store shared by several processes', () => {
  it('a new database opened by four processes at once is migrated once, without errors (12 rounds)', async () => {
    const dir = tempDir();
    for (let round = 0; round < 12; round++) {
      const file = join(dir, `fresh-${round}.db`);
      // Every process waits for the same instant, so that they open the file together.
      const at = Date.now() + 400;
      const script = `import { Store } from ${STORE_MODULE};
        while (Date.now() < ${at});
        Store.open(${JSON.stringify(file)}).close();`;
      const results = await Promise.all(Array.from({ length: 4 }, () => node(script)));
      for (const r of results) expect(r, `round ${round}`).toEqual({ code: 0, stderr: '' });
      const store = Store.open(file);
      expect(store.listRuns()).toEqual([]);
      store.close();
    }
  }, 120_000);
});
