import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/core/store/store.js';
import { cliProcess, tempDir, tinyCheckpoint, toyDatasetPackage } from '../helpers/index.js';

let plugin: string;
let weights: string;
beforeAll(async () => {
  plugin = toyDatasetPackage();
  weights = await tinyCheckpoint(tempDir());
});

const study = (name: string) => ({
  name,
  base: {
    model: weights,
    attacks: [],
    training: { steps: 4, batchSize: 16, warmupSteps: 0 },
    evaluation: { schedule: [0, 4], trainSample: 10 },
  },
  strategies: ['bitfit'],
  datasets: [{ name: 'toy', config: { train: 60, test: 12 } }],
  seeds: [0, 1],
});

/** The runs a process said it executes (`[i/n] {spec}` lines), and those it left to another process. */
const executed = (stderr: string): number => (stderr.match(/^\[\d\/\d\] \{/gm) ?? []).length;

describe('two processes on one database', () => {
  it('two `paretune experiment` processes at once execute each planned run once and store one row per run', async () => {
    const dir = tempDir();
    const file = join(dir, 'same.yaml');
    writeFileSync(file, stringify(study('shared')));
    const db = join(dir, 'same.db'); // a new database: both processes also migrate it at once
    const args = ['--plugin', plugin, 'experiment', file, '--db', db, '--workers', '1'];
    const [a, b] = await Promise.all([cliProcess(args, dir), cliProcess(args, dir)]);
    expect([a?.code, b?.code], `${a?.stderr}\n${b?.stderr}`).toEqual([0, 0]);
    expect(executed(a?.stderr ?? '') + executed(b?.stderr ?? '')).toBe(2);
    const store = Store.open(db);
    expect(store.listExperiments()).toHaveLength(1);
    const runs = store.listRuns();
    expect(runs.map((r) => [r.seed, r.status]).sort()).toEqual([[0, 'finished'], [1, 'finished']]);
    store.close();
  }, 180_000);
});
