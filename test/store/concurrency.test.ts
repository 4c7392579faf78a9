import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { HEARTBEAT_MS, LEASE_MS, Store } from '../../src/core/store/store.js';
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

const newRun = (id: string) => ({
  id,
  spec: { strategies: ['lora'] },
  seed: 0,
  strategy: 'lora',
  dataset: 'toy',
  paretuneVersion: '0.1.0',
});
const point = (step: number, value: number) => ({
  step,
  epoch: 0,
  name: 'accuracy',
  context: { split: 'test' },
  value,
  count: 10,
  seconds: 0.5,
});

describe('run claims', () => {
  it('a claim is kept while its heartbeat is fresh and taken over once it is older than the lease; the old owner then writes nothing', () => {
    const file = join(tempDir(), 'lease.db');
    const first = Store.open(file);
    first.createRun(newRun('r'));
    first.recordPoints('r', [point(0, 0.5)]);
    const second = Store.open(file);
    expect(second.getRun('r')?.interrupted).toBe(false);
    expect(second.takeOver('r')).toBe(false); // live owner: left to it
    // The owner is on another machine (its pid cannot be checked) and has been silent for longer than the lease.
    const raw = new Database(file);
    raw
      .prepare('UPDATE runs SET host = ?, heartbeat_at = ? WHERE id = ?')
      .run('elsewhere', Date.now() - LEASE_MS - 1000, 'r');
    expect(second.getRun('r')?.interrupted).toBe(true);
    expect(second.takeOver('r')).toBe(true);
    expect(second.takeOver('r')).toBe(false); // taken: a second claim fails
    first.recordPoints('r', [point(0, 0.9), point(50, 0.9)]); // the old owner, still working, no longer reaches the run
    first.finishRun('r', { bestStep: 50, lastStep: 50, seconds: 1, result: {} });
    expect(second.points('r').map((p) => p.value)).toEqual([0.5]);
    expect(second.getRun('r')?.status).toBe('running');
    // Within the lease, a silent owner elsewhere keeps its claim.
    raw
      .prepare('UPDATE runs SET host = ?, heartbeat_at = ? WHERE id = ?')
      .run('elsewhere', Date.now() - HEARTBEAT_MS, 'r');
    const third = Store.open(file);
    expect(third.takeOver('r')).toBe(false);
    third.close();
    raw.close();
    first.close();
    second.close();
  });

  it('a claim that ends before its run starts puts the run back as it was; closing a store leaves its unfinished runs resumable', () => {
    const file = join(tempDir(), 'release.db');
    const store = Store.open(file);
    store.createRun(newRun('stopped'));
    store.recordCheckpoint('stopped', 100, '/checkpoints/stopped.safetensors');
    store.failRun('stopped', 'stopped at step 100', 'cancelled');
    expect(store.takeOver('stopped')).toBe(true);
    expect(store.getRun('stopped')?.status).toBe('running');
    expect(store.releaseClaim('stopped')).toBe(true);
    expect(store.getRun('stopped')).toMatchObject({ status: 'cancelled', error: 'stopped at step 100' });
    expect(store.latestCheckpoint('stopped')).toEqual({ step: 100, path: '/checkpoints/stopped.safetensors' });
    store.claimNewRun(newRun('never-started'));
    store.createRun(newRun('mid-run'));
    store.close();
    const again = Store.open(file);
    expect(again.getRun('never-started')).toBeUndefined();
    expect(again.getRun('mid-run')).toMatchObject({ status: 'running', interrupted: true });
    expect(again.takeOver('mid-run')).toBe(true);
    again.close();
  });
});
