import { randomUUID } from 'node:crypto';
import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { fileError, FileError, NOT_A_FOLDER, UserError } from '../contracts/errors.js';
import type { MetricContext } from '../contracts/metric.js';
import { canonicalJson } from '../evaluation/context.js';
import type { MeasuredPoint } from '../evaluation/evaluator.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';
import { SeriesCache } from './series-cache.js';

/** A database that cannot be used: not SQLite, from a newer paretune, or unreadable. Nothing was modified. */
export class StoreError extends UserError {
  override readonly name = 'StoreError';
}

export type RunStatus = 'running' | 'finished' | 'failed' | 'cancelled';

/**
 * A stored run. `interrupted` marks a 'running' run that nobody executes any more: its process on this host is
 * gone (killed), its store was closed before it ended, or it has said nothing for {@link LEASE_MS} (any host).
 */
export interface RunRecord {
  readonly id: string;
  readonly experimentId: string | null;
  readonly spec: unknown;
  readonly status: RunStatus;
  readonly interrupted: boolean;
  readonly seed: number;
  readonly strategy: string;
  readonly dataset: string;
  /** Stable id of the backbone (preset, `hf:<repo>@<revision>`, `sha256:<hex>` of a checkpoint); null if unknown. */
  readonly modelId: string | null;
  /** Display text of the backbone, without server paths. */
  readonly model: string | null;
  readonly backend: string | null;
  readonly plugins: readonly string[];
  readonly paretuneVersion: string;
  readonly createdAt: string;
  readonly finishedAt: string | null;
  readonly bestStep: number | null;
  readonly lastStep: number | null;
  readonly seconds: number | null;
  readonly error: string | null;
  readonly result: unknown;
}

export interface NewRun {
  readonly id: string;
  readonly experimentId?: string;
  readonly spec: unknown;
  readonly seed: number;
  readonly strategy: string;
  readonly dataset: string;
  readonly modelId?: string;
  readonly model?: string;
  readonly backend?: string;
  readonly plugins?: readonly string[];
  readonly paretuneVersion: string;
}

/** How often a store says that the runs it claimed are alive, and after how long without a word a run is up for grabs. */
export const HEARTBEAT_MS = 30_000;
export const LEASE_MS = 10 * 60_000;

/** How long a write waits for another process's write transaction to end before it fails (SQLITE_BUSY). */
const BUSY_TIMEOUT_MS = 30_000;

/**
 * Runs `work`, again while it fails with SQLITE_BUSY, for up to BUSY_TIMEOUT_MS. Switching a new file to WAL takes a
 * lock that SQLite does not wait for through its busy handler, so processes opening one new database together would
 * otherwise fail at once with "database is locked".
 */
function whileBusy(work: () => void): void {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      work();
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw error;
      Atomics.wait(pause, 0, 0, 5 + Math.random() * 20);
    }
  }
}

/** A run's state before this store claimed it: put back if the claim ends before the run starts. */
type Previous = Pick<RunRow, 'status' | 'error' | 'finished_at'> | undefined;

/** A point of one metric series: its name and context are those the series was read for. */
export interface SeriesPoint {
  readonly step: number;
  readonly epoch: number;
  /** NaN when the measurement was not a number. */
  readonly value: number;
  readonly count: number;
  readonly seconds: number;
}

interface PointRow {
  step: number;
  epoch: number;
  name: string;
  context: string;
  value: number | null;
  sample_count: number;
  seconds: number;
}

const pointOf = (r: PointRow): MeasuredPoint => ({
  step: r.step,
  epoch: r.epoch,
  name: r.name,
  context: JSON.parse(r.context) as MetricContext,
  value: r.value ?? Number.NaN,
  count: r.sample_count,
  seconds: r.seconds,
});

const SQLITE_MAGIC = 'SQLite format 3\0';

const EXPECTED_FILE = 'an SQLite database file';

/**
 * Refuses a file that exists, is not empty and does not start with SQLite's header, and a path that cannot hold
 * a database paretune writes (a directory, a read-only file, a folder it cannot create).
 */
function assertSqliteFile(file: string): void {
  try {
    if (!existsSync(file)) {
      mkdirSync(dirname(file), { recursive: true });
      return;
    }
    if (statSync(file).size === 0) return;
    const fd = openSync(file, 'r');
    const header = Buffer.alloc(16);
    try {
      readSync(fd, header, 0, 16, 0);
    } finally {
      closeSync(fd);
    }
    if (header.toString('latin1') !== SQLITE_MAGIC)
      throw new StoreError(`${file} is not a paretune database (not an SQLite file); nothing was changed`);
    accessSync(file, constants.W_OK);
  } catch (error) {
    if (error instanceof StoreError) throw error;
    const { code } = error as { code?: string };
    if (code === 'EACCES' || code === 'EROFS')
      throw new StoreError(`database ${file}: is read-only; expected a writable SQLite database file`, {
        cause: error,
      });
    const userError = fileError(error, `database ${file}`, EXPECTED_FILE);
    throw userError instanceof FileError ? new StoreError(userError.message, { cause: error }) : userError;
  }
}

interface RunRow {
  id: string;
  experiment_id: string | null;
  spec: string;
  status: RunStatus;
  seed: number;
  strategy: string;
  dataset: string;
  model_id: string | null;
  model: string | null;
  backend: string | null;
  plugins: string | null;
  paretune_version: string;
  host: string | null;
  pid: number | null;
  owner: string | null;
  heartbeat_at: number | null;
  created_at: string;
  finished_at: string | null;
  best_step: number | null;
  last_step: number | null;
  seconds: number | null;
  error: string | null;
  result: string | null;
}

/** Whether a process of this host is alive (signal 0 tests without signalling). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

/**
 * paretune's store: one SQLite file (better-sqlite3) in WAL mode with versioned migrations. Every write that belongs
 * together is one transaction, so a killed process loses at most the evaluation in flight. Metric points are keyed
 * by (run, step, name, context): writing a point twice keeps one copy.
 *
 * Several processes may share the file. A run is executed by the open store that claimed it (its `owner`, with host
 * and pid), taken in one write transaction; the owner's heartbeat keeps the claim, and only the owner's writes reach
 * the run. A claim whose process died, whose store was closed, or whose heartbeat stopped can be taken over.
 */
export class Store {
  /** This open store's identity as the owner of the runs it claims. */
  readonly owner = randomUUID();
  /** Runs claimed here that have not started yet, with their state before the claim. */
  private readonly unstarted = new Map<string, Previous>();
  private heartbeat: NodeJS.Timeout | undefined;
  /** Prepared statements of the reads that queries repeat, by SQL (preparing one costs more than running it). */
  private readonly statements = new Map<string, Database.Statement>();
  private readonly seriesCache = new SeriesCache<SeriesPoint>();

  private constructor(
    readonly file: string,
    private readonly db: Database.Database,
  ) {}

  /** Opens (creating and migrating as needed) the database at `file`; refuses foreign or newer files untouched. */
  static open(file: string): Store {
    if (file !== ':memory:') assertSqliteFile(file);
    let db: Database.Database;
    try {
      db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
      const newer = (version: number): StoreError =>
        new StoreError(
          `${file} was written by a newer paretune (schema ${version}; this one knows up to ${SCHEMA_VERSION}); upgrade paretune. Nothing was changed`,
        );
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION) {
        db.close();
        throw newer(version);
      }
      whileBusy(() => {
        if (db.pragma('journal_mode', { simple: true }) !== 'wal') db.pragma('journal_mode = WAL');
      });
      db.pragma('foreign_keys = ON');
      // The version is read again inside the write transaction: another process may have migrated the file meanwhile.
      db.transaction(() => {
        const current = db.pragma('user_version', { simple: true }) as number;
        if (current > SCHEMA_VERSION) throw newer(current);
        for (let v = current; v < SCHEMA_VERSION; v++) {
          const migration = MIGRATIONS[v] as (typeof MIGRATIONS)[number];
          if (typeof migration === 'string') db.exec(migration);
          else migration(db);
          db.pragma(`user_version = ${v + 1}`);
        }
      }).immediate();
    } catch (error) {
      if (error instanceof StoreError) throw error;
      const userError = fileError(error, `database ${file}`, EXPECTED_FILE);
      throw new StoreError(
        userError instanceof FileError
          ? userError.message
          : `${file} cannot be used as a paretune database: ${(error as Error).message}`,
        { cause: error },
      );
    }
    return new Store(file, db);
  }

  /**
   * Opens a database that must exist already, for commands that read runs or continue one: a missing file is
   * refused rather than created empty.
   */
  static openExisting(file: string): Store {
    if (file !== ':memory:' && !existsSync(file)) {
      let parent = dirname(resolve(file));
      while (!existsSync(parent)) parent = dirname(parent);
      const problem = statSync(parent).isDirectory() ? 'does not exist' : `${parent} ${NOT_A_FOLDER}`;
      throw new StoreError(
        `database ${file}: ${problem}; expected ${EXPECTED_FILE} (paretune run, experiment and serve create one)`,
      );
    }
    return Store.open(file);
  }

  /**
   * Closes the database. Claims that never started are given back (see releaseClaim), and runs still running here
   * are left interrupted, so that another process (or this one, opening the store again) can resume them.
   */
  close(): void {
    clearInterval(this.heartbeat);
    if (this.db.open) {
      for (const runId of [...this.unstarted.keys()]) this.releaseClaim(runId);
      this.db
        .prepare(`UPDATE runs SET pid = NULL, owner = NULL WHERE owner = ? AND status = 'running'`)
        .run(this.owner);
      this.db.close();
    }
  }

  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) this.statements.set(sql, (statement = this.db.prepare(sql)));
    return statement;
  }

  /**
   * A token that changes whenever the database does: with a commit by any other connection (PRAGMA data_version)
   * and with every row this one writes (total_changes()). Cheap enough to read for every query answered.
   */
  changeToken(): string {
    const dataVersion = this.statement('PRAGMA data_version').pluck().get() as number;
    return `${dataVersion}.${this.statement('SELECT total_changes()').pluck().get() as number}`;
  }

  /** Whether a run is stored as running: its status can change without a write (its process dies, its lease ends). */
  hasRunningRuns(): boolean {
    return this.statement(`SELECT 1 FROM runs WHERE status = 'running' LIMIT 1`).get() !== undefined;
  }

  /** Runs `work` in one write transaction (BEGIN IMMEDIATE): other processes' writes wait until it ends. */
  exclusively<T>(work: () => T): T {
    return this.db.transaction(work).immediate();
  }

  /** Records a run as running in this process, claimed by this store. */
  createRun(run: NewRun): void {
    this.db
      .prepare(
        `INSERT INTO runs (id, experiment_id, spec, status, seed, strategy, dataset, model_id, model, backend, plugins, paretune_version, host, pid, owner,
           heartbeat_at, created_at)
         VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        run.id,
        run.experimentId ?? null,
        JSON.stringify(run.spec),
        run.seed,
        run.strategy,
        run.dataset,
        run.modelId ?? null,
        run.model ?? null,
        run.backend ?? null,
        JSON.stringify(run.plugins ?? []),
        run.paretuneVersion,
        hostname(),
        process.pid,
        this.owner,
        Date.now(),
        new Date().toISOString(),
      );
    this.keepAlive();
  }

  /**
   * Records a run of an experiment that this store will execute, before it starts (so that no other process plans
   * it again). Until it starts, releaseClaim removes it again.
   */
  claimNewRun(run: NewRun): void {
    this.createRun(run);
    this.unstarted.set(run.id, undefined);
  }

  /**
   * Claims an interrupted or cancelled run for this store, to resume it (or start it again); false when it cannot
   * be claimed: finished, failed, or running in a live process. Until it starts, releaseClaim puts it back as it was.
   */
  takeOver(runId: string): boolean {
    return this.exclusively(() => {
      const row = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(runId) as RunRow | undefined;
      if (row === undefined || !(row.status === 'cancelled' || this.record(row).interrupted)) return false;
      this.db
        .prepare(`UPDATE runs SET status = 'running', host = ?, pid = ?, owner = ?, heartbeat_at = ? WHERE id = ?`)
        .run(hostname(), process.pid, this.owner, Date.now(), runId);
      this.unstarted.set(runId, { status: row.status, error: row.error, finished_at: row.finished_at });
      this.keepAlive();
      return true;
    });
  }

  /**
   * Gives back a claim whose run ended before it started (it did no work): a new run's row is removed, a taken-over
   * run is put back as it was (interrupted or cancelled, with its checkpoint), so that it can still be resumed.
   * Returns whether there was such a claim.
   */
  releaseClaim(runId: string): boolean {
    if (!this.unstarted.has(runId)) return false;
    const previous = this.unstarted.get(runId);
    this.unstarted.delete(runId);
    this.seriesCache.changed(runId);
    if (previous === undefined) this.db.prepare('DELETE FROM runs WHERE id = ? AND owner = ?').run(runId, this.owner);
    else {
      this.db
        .prepare(
          `UPDATE runs SET status = ?, error = ?, finished_at = ?, pid = NULL, owner = NULL WHERE id = ? AND owner = ?`,
        )
        .run(previous.status, previous.error, previous.finished_at, runId, this.owner);
    }
    return true;
  }

  /**
   * Marks a run claimed by this store (or an unclaimed one) as started here, recording what it runs on when the
   * row does not say yet. A run another store has taken over is left alone.
   */
  markStarted(
    runId: string,
    details: { modelId: string; model: string; backend: string; plugins: readonly string[] },
  ): void {
    this.unstarted.delete(runId);
    this.db
      .prepare(
        `UPDATE runs SET status = 'running', host = ?, pid = ?, owner = ?, heartbeat_at = ?, finished_at = NULL, error = NULL,
           model_id = COALESCE(model_id, ?), model = COALESCE(model, ?), backend = COALESCE(backend, ?), plugins = CASE WHEN plugins IS NULL OR plugins = '[]' THEN ? ELSE plugins END
         WHERE id = ? AND (owner IS NULL OR owner = ?)`,
      )
      .run(
        hostname(),
        process.pid,
        this.owner,
        Date.now(),
        details.modelId,
        details.model,
        details.backend,
        JSON.stringify(details.plugins),
        runId,
        this.owner,
      );
    this.keepAlive();
  }

  /** Whether this store may write the run: it owns it, or nobody does (a row of an older paretune, an ended run). */
  private mayWrite(runId: string): boolean {
    const row = this.db.prepare('SELECT owner FROM runs WHERE id = ?').get(runId) as
      { owner: string | null } | undefined;
    return row === undefined || row.owner === null || row.owner === this.owner;
  }

  /** Starts the heartbeat that keeps this store's claims (it does not keep the process alive). */
  private keepAlive(): void {
    if (this.heartbeat !== undefined) return;
    this.heartbeat = setInterval(() => {
      try {
        this.db
          .prepare(`UPDATE runs SET heartbeat_at = ? WHERE owner = ? AND status = 'running'`)
          .run(Date.now(), this.owner);
      } catch {
        // busy beyond the timeout: the next beat tries again, well within the lease
      }
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /**
   * Stores the points of one evaluation in one transaction; a point already stored is overwritten, not duplicated.
   * The transaction reads (the claim) before it writes: BEGIN IMMEDIATE takes the write lock first, so a second
   * process waits for it instead of failing with SQLITE_BUSY when a read lock cannot be upgraded.
   */
  recordPoints(runId: string, points: readonly MeasuredPoint[]): void {
    const insert = this.db.prepare(
      `INSERT INTO metric_points (run_id, step, epoch, name, context, value, sample_count, seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_id, step, name, context) DO UPDATE SET epoch = excluded.epoch, value = excluded.value,
         sample_count = excluded.sample_count, seconds = excluded.seconds`,
    );
    this.seriesCache.changed(runId);
    this.db
      .transaction(() => {
        if (!this.mayWrite(runId)) return;
        for (const p of points)
          insert.run(
            runId,
            p.step,
            p.epoch,
            p.name,
            canonicalJson(p.context),
            Number.isFinite(p.value) ? p.value : null,
            p.count,
            p.seconds,
          );
      })
      .immediate();
  }

  /** Marks a run finished with its result summary. */
  finishRun(runId: string, outcome: { bestStep: number; lastStep: number; seconds: number; result: unknown }): void {
    this.db
      .prepare(
        `UPDATE runs SET status = 'finished', finished_at = ?, best_step = ?, last_step = ?, seconds = ?, result = ?, pid = NULL, owner = NULL
         WHERE id = ? AND (owner IS NULL OR owner = ?)`,
      )
      .run(
        new Date().toISOString(),
        outcome.bestStep,
        outcome.lastStep,
        outcome.seconds,
        JSON.stringify(outcome.result),
        runId,
        this.owner,
      );
  }

  /** Marks a run failed (or cancelled) with the reason; its points stay. */
  failRun(runId: string, error: string, status: 'failed' | 'cancelled' = 'failed'): void {
    this.db
      .prepare(
        `UPDATE runs SET status = ?, finished_at = ?, error = ?, pid = NULL, owner = NULL WHERE id = ? AND (owner IS NULL OR owner = ?)`,
      )
      .run(status, new Date().toISOString(), error, runId, this.owner);
  }

  /** The experiment of this name, creating it (with its definition as canonical JSON) when there is none; refuses a changed definition. */
  experiment(name: string, definition: string): { id: string; created: boolean } {
    return this.exclusively(() => this.findOrCreateExperiment(name, definition));
  }

  private findOrCreateExperiment(name: string, definition: string): { id: string; created: boolean } {
    const found = this.db.prepare('SELECT id, spec FROM experiments WHERE name = ?').get(name) as
      { id: string; spec: string } | undefined;
    if (found !== undefined) {
      if (found.spec !== definition)
        throw new StoreError(
          `experiment '${name}' already exists in ${this.file} with a different definition; give the new one another name`,
        );
      return { id: found.id, created: false };
    }
    const id = `${name}-${Date.now().toString(36)}`;
    this.db
      .prepare('INSERT INTO experiments (id, name, spec, created_at) VALUES (?, ?, ?, ?)')
      .run(id, name, definition, new Date().toISOString());
    return { id, created: true };
  }

  /** Experiments, newest first, with their stored definitions. */
  listExperiments(): { id: string; name: string; createdAt: string; definition: unknown }[] {
    return (
      this.db.prepare('SELECT id, name, spec, created_at FROM experiments ORDER BY created_at DESC').all() as {
        id: string;
        name: string;
        spec: string;
        created_at: string;
      }[]
    ).map((e) => ({
      id: e.id,
      name: e.name,
      createdAt: e.created_at,
      definition: JSON.parse(e.spec) as unknown,
    }));
  }

  /** The id of the experiment with this name or id (the newest, where names repeat), or undefined. */
  experimentIdOf(nameOrId: string): string | undefined {
    return this.listExperiments().find((e) => e.name === nameOrId || e.id === nameOrId)?.id;
  }

  /** Records the training checkpoint a run wrote after evaluating `step`. */
  recordCheckpoint(runId: string, step: number, path: string): void {
    this.exclusively(() => {
      if (!this.mayWrite(runId)) return;
      this.db
        .prepare(
          `INSERT INTO checkpoints (run_id, step, path, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (run_id, step) DO UPDATE SET path = excluded.path, created_at = excluded.created_at`,
        )
        .run(runId, step, path, new Date().toISOString());
    });
  }

  /** The latest checkpoint of a run, if it wrote one. */
  latestCheckpoint(runId: string): { step: number; path: string } | undefined {
    return this.db
      .prepare('SELECT step, path FROM checkpoints WHERE run_id = ? ORDER BY step DESC LIMIT 1')
      .get(runId) as { step: number; path: string } | undefined;
  }

  /** Runs, newest first, optionally filtered. */
  listRuns(
    filter: { status?: RunStatus | 'interrupted'; strategy?: string; dataset?: string; experimentId?: string } = {},
  ): RunRecord[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.strategy !== undefined) (where.push('strategy = ?'), args.push(filter.strategy));
    if (filter.dataset !== undefined) (where.push('dataset = ?'), args.push(filter.dataset));
    if (filter.experimentId !== undefined) (where.push('experiment_id = ?'), args.push(filter.experimentId));
    if (filter.status !== undefined)
      (where.push('status = ?'), args.push(filter.status === 'interrupted' ? 'running' : filter.status));
    const rows = this.db
      .prepare(
        `SELECT * FROM runs ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id`,
      )
      .all(...args) as RunRow[];
    const records = rows.map((r) => this.record(r));
    return filter.status === 'interrupted'
      ? records.filter((r) => r.interrupted)
      : filter.status === 'running'
        ? records.filter((r) => !r.interrupted)
        : records;
  }

  getRun(id: string): RunRecord | undefined {
    const row = this.statement('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
    return row === undefined ? undefined : this.record(row);
  }

  /** A run's metric points in step order. */
  points(runId: string, filter: { name?: string; fromStep?: number; toStep?: number } = {}): MeasuredPoint[] {
    const rows = this.statement(
      `SELECT step, epoch, name, context, value, sample_count, seconds FROM metric_points
       WHERE run_id = ? AND (? IS NULL OR name = ?) AND step >= ? AND step <= ? ORDER BY step, name, context`,
    ).all(
      runId,
      filter.name ?? null,
      filter.name ?? null,
      filter.fromStep ?? 0,
      filter.toStep ?? Number.MAX_SAFE_INTEGER,
    ) as PointRow[];
    return rows.map(pointOf);
  }

  /**
   * One metric of a run in one context (compared in canonical form), in step order, without the name and context
   * that every point shares: what history queries read, so no context is parsed per point. Kept in memory until
   * the run's points change (see SeriesCache).
   */
  series(
    runId: string,
    name: string,
    context: MetricContext,
    range: { fromStep?: number; toStep?: number } = {},
  ): readonly SeriesPoint[] {
    const contextJson = canonicalJson(context);
    const fromStep = range.fromStep ?? 0;
    const toStep = range.toStep ?? Number.MAX_SAFE_INTEGER;
    const dataVersion = this.statement('PRAGMA data_version').pluck().get() as number;
    return this.seriesCache.get(runId, `${name}\u0000${contextJson}\u0000${fromStep}\u0000${toStep}`, dataVersion, () =>
      (
        this.statement(
          `SELECT step, epoch, value, sample_count, seconds FROM metric_points
           WHERE run_id = ? AND name = ? AND context = ? AND step >= ? AND step <= ? ORDER BY step`,
        )
          .raw(true)
          .all(runId, name, contextJson, fromStep, toStep) as [number, number, number | null, number, number][]
      ).map(([step, epoch, value, count, seconds]) => ({ step, epoch, value: value ?? Number.NaN, count, seconds })),
    );
  }

  /** The points of every run's final evaluation (its best-validation checkpoint), by run. */
  finalPoints(): Map<string, MeasuredPoint[]> {
    const rows = this.db
      .prepare(
        `SELECT run_id, step, epoch, name, context, value, sample_count, seconds FROM metric_points WHERE context LIKE '%"checkpoint":"best"%'`,
      )
      .all() as (PointRow & { run_id: string })[];
    const byRun = new Map<string, MeasuredPoint[]>();
    for (const r of rows) byRun.set(r.run_id, [...(byRun.get(r.run_id) ?? []), pointOf(r)]);
    return byRun;
  }

  /** Deletes a run with its points and checkpoint records (not a running one); returns its checkpoint files. */
  deleteRun(runId: string): string[] {
    const paths = (
      this.db.prepare('SELECT path FROM checkpoints WHERE run_id = ?').all(runId) as { path: string }[]
    ).map((r) => r.path);
    this.db.prepare('DELETE FROM runs WHERE id = ?').run(runId);
    this.seriesCache.changed(runId);
    return paths;
  }

  private record(r: RunRow): RunRecord {
    return {
      id: r.id,
      experimentId: r.experiment_id,
      spec: JSON.parse(r.spec) as unknown,
      status: r.status,
      interrupted:
        r.status === 'running' &&
        (r.pid === null ||
          (r.heartbeat_at !== null && Date.now() - r.heartbeat_at > LEASE_MS) ||
          (r.host === hostname() && !alive(r.pid))),
      seed: r.seed,
      strategy: r.strategy,
      dataset: r.dataset,
      modelId: r.model_id,
      model: r.model,
      backend: r.backend,
      plugins: JSON.parse(r.plugins ?? '[]') as string[],
      paretuneVersion: r.paretune_version,
      createdAt: r.created_at,
      finishedAt: r.finished_at,
      bestStep: r.best_step,
      lastStep: r.last_step,
      seconds: r.seconds,
      error: r.error,
      result: r.result === null ? null : (JSON.parse(r.result) as unknown),
    };
  }
}
