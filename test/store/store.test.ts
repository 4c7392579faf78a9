import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../../src/core/store/migrations.js';
import { Store } from '../../src/core/store/store.js';
import { REPO_ROOT, tempDir } from '../helpers/index.js';

const point = (step: number, value: number, context: Record<string, string | number> = { split: 'test' }) => ({
  step,
  epoch: 0,
  name: 'accuracy',
  context,
  value,
  count: 10,
  seconds: 0.5,
});
const run = (id: string, strategy = 'lora') => ({
  id,
  spec: { strategies: [strategy] },
  seed: 0,
  strategy,
  dataset: 'toy',
  paretuneVersion: '0.1.0',
});

describe('the SQLite store', () => {
  it('migrates a new file to the current schema in WAL mode', () => {
    const file = join(tempDir(), 'db', 'paretune.db');
    Store.open(file).close();
    const db = new Database(file, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('stores runs and points; a point written twice is kept once; filters and order work', () => {
    const store = Store.open(join(tempDir(), 'p.db'));
    store.createRun(run('a'));
    store.createRun(run('b', 'bitfit'));
    store.recordPoints('a', [
      point(0, 0.1),
      point(0, 0.05, { split: 'test', eps: 0.004, attack: 'pgd' }),
      point(50, 0.2),
    ]);
    store.recordPoints('a', [point(50, 0.25)]); // re-recorded after a resume: replaces, never duplicates
    expect(store.points('a').map((p) => [p.step, p.value])).toEqual([
      [0, 0.05],
      [0, 0.1],
      [50, 0.25],
    ]);
    expect(store.points('a', { fromStep: 10 })).toHaveLength(1);
    // context keys are stored in a canonical order, so the same context in another key order is the same point
    store.recordPoints('a', [point(0, 0.06, { attack: 'pgd', eps: 0.004, split: 'test' })]);
    expect(store.points('a')).toHaveLength(3);
    store.finishRun('a', { bestStep: 50, lastStep: 50, seconds: 3, result: { aupf: 0.1 } });
    store.failRun('b', 'training diverged');
    expect(store.getRun('a')).toMatchObject({
      status: 'finished',
      bestStep: 50,
      lastStep: 50,
      result: { aupf: 0.1 },
      interrupted: false,
    });
    expect(store.listRuns({ status: 'failed' }).map((r) => [r.id, r.error])).toEqual([['b', 'training diverged']]);
    expect(store.listRuns({ strategy: 'lora' }).map((r) => r.id)).toEqual(['a']);
    store.close();
  });

  it('series read again see every change: points this store writes, commits of other connections, deleted runs', () => {
    const file = join(tempDir(), 's.db');
    const store = Store.open(file);
    const other = Store.open(file);
    store.createRun(run('a'));
    other.createRun(run('b'));
    store.recordPoints('a', [point(0, 0.1)]);
    other.recordPoints('b', [point(0, 0.3)]);
    const values = (id: string): number[] => store.series(id, 'accuracy', { split: 'test' }).map((p) => p.value);
    expect([values('a'), values('b')]).toEqual([[0.1], [0.3]]);
    store.recordPoints('a', [point(10, 0.2)]);
    expect(values('a')).toEqual([0.1, 0.2]);
    other.recordPoints('b', [point(0, 0.35)]); // an upsert by another connection (another process in practice)
    expect(values('b')).toEqual([0.35]);
    store.deleteRun('a');
    expect(values('a')).toEqual([]);
    other.close();
    store.close();
  });

  it('shows a run whose process was killed as interrupted, with the points it stored', () => {
    const file = join(tempDir(), 'k.db');
    const script = `
      import { Store } from ${JSON.stringify(join(REPO_ROOT, 'dist/src/core/store/store.js'))};
      const store = Store.open(${JSON.stringify(file)});
      store.createRun({ id: 'killed', spec: {}, seed: 0, strategy: 'lora', dataset: 'toy', paretuneVersion: '0.1.0' });
      store.recordPoints('killed', [{ step: 0, epoch: 0, name: 'accuracy', context: { split: 'test' }, value: 0.5, count: 3, seconds: 1 }]);
      process.kill(process.pid, 'SIGKILL');`;
    expect(() => execFileSync(process.execPath, ['--input-type=module', '-e', script])).toThrow();
    const store = Store.open(file);
    expect(store.getRun('killed')).toMatchObject({ status: 'running', interrupted: true });
    expect(store.listRuns({ status: 'interrupted' }).map((r) => r.id)).toEqual(['killed']);
    expect(store.points('killed')).toHaveLength(1);
    store.close();
  });

  it('refuses a file that is not SQLite, or from a newer schema, without changing it', () => {
    const dir = tempDir();
    const notDb = join(dir, 'notes.db');
    writeFileSync(notDb, 'these are my notes, not a database');
    expect(() => Store.open(notDb)).toThrow(
      `${notDb} is not a paretune database (not an SQLite file); nothing was changed`,
    );
    expect(readFileSync(notDb, 'utf8')).toBe('these are my notes, not a database');

    const newer = join(dir, 'newer.db');
    const db = new Database(newer);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    const before = readFileSync(newer);
    expect(() => Store.open(newer)).toThrow(
      `was written by a newer paretune (schema ${SCHEMA_VERSION + 1}; this one knows up to ${SCHEMA_VERSION})`,
    );
    expect(readFileSync(newer).equals(before)).toBe(true);
  });
});
