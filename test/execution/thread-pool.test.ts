import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Store } from '../../src/core/store/store.js';
import {
  cliProcess,
  REPO_ROOT,
  tempDir,
  tinyCheckpoint,
  toyDatasetPackage,
  writePluginPackage,
} from '../helpers/index.js';

const execFileAsync = promisify(execFile);

/** A dataset whose loading ends the thread it runs on, as an out-of-memory abort would. */
const CRASHING_DATASET = `import { definePlugin, z } from 'paretune/plugin';
export default definePlugin({
  family: 'dataset',
  meta: { name: 'crashing', version: '1.0.0', apiVersion: 1, description: 'Ends its thread when opened.' },
  configSchema: z.object({}),
  describe: () => ({ numClasses: 3, classNames: ['a', 'b', 'c'], domains: [], splits: ['train', 'test'] }),
  async open() {
    process.exit(7);
  },
});
`;

describe('runs on worker threads', () => {
  it('a thread that dies fails only its run; a new thread takes its place and the other runs finish', async () => {
    const dir = tempDir();
    const crashing = writePluginPackage(tempDir(), 'paretune-plugin-crashing', CRASHING_DATASET);
    const file = join(dir, 'study.json');
    writeFileSync(
      file,
      JSON.stringify({
        name: 'crashes',
        base: {
          model: await tinyCheckpoint(dir),
          attacks: [],
          training: { steps: 4, batchSize: 16, warmupSteps: 0 },
          evaluation: { schedule: [0, 4], trainSample: 10 },
        },
        strategies: ['lora', 'bitfit'],
        datasets: ['crashing', 'toy'],
        seeds: [0],
      }),
    );
    const db = join(dir, 'study.db');
    const result = await cliProcess(
      ['--plugin', toyDatasetPackage(), '--plugin', crashing, 'experiment', file, '--quiet', '--workers', '2'],
      dir,
      { PARETUNE_DB: db },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('2 of 4 runs failed');
    const store = Store.open(db);
    const runs = store
      .listRuns()
      .map((r) => ({ dataset: (r.spec as { dataset: string }).dataset, status: r.status, error: r.error }));
    store.close();
    expect(runs.filter((r) => r.dataset === 'toy').map((r) => r.status)).toEqual(['finished', 'finished']);
    for (const run of runs.filter((r) => r.dataset === 'crashing')) {
      expect(run.status).toBe('failed');
      expect(run.error).toContain('its worker thread stopped (exit code 7)');
    }
  }, 120_000);
});

describe.runIf(process.platform === 'linux')('background run threads', () => {
  it('run threads of a background pool (paretune serve) have nice 10 while the main thread keeps nice 0', async () => {
    const dir = tempDir();
    const dist = (path: string): string => JSON.stringify(pathToFileURL(join(REPO_ROOT, 'dist/src', path)).href);
    const script = join(dir, 'nice.mjs');
    writeFileSync(
      script,
      `import { readdirSync, readFileSync } from 'node:fs';
import { ThreadPool } from ${dist('core/execution/thread-pool.js')};
// field 19 of /proc/<pid>/task/<tid>/stat; the command name before it may hold spaces
const nice = (tid) => Number(readFileSync('/proc/self/task/' + tid + '/stat', 'utf8').split(') ')[1].split(' ')[16]);
const pool = await ThreadPool.start(1, { builtinsModule: ${dist('plugins/index.js')}, cwd: ${JSON.stringify(dir)},
  plugins: [], cacheDir: ${JSON.stringify(dir)}, dataDir: ${JSON.stringify(dir)}, background: true });
const others = readdirSync('/proc/self/task').filter((tid) => Number(tid) !== process.pid).map(nice);
console.log(JSON.stringify({ main: nice(process.pid), others }));
await pool.close();
`,
    );
    const { stdout } = await execFileAsync(process.execPath, [script], { cwd: dir });
    const { main, others } = JSON.parse(stdout) as { main: number; others: number[] };
    expect(main).toBe(0);
    expect(others).toContain(10);
  }, 60_000);
});
