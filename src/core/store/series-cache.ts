/**
 * Series read for queries, kept until their run's points change, so that a dashboard polling many finished runs
 * while one run trains re-reads only that run's series. An entry is valid while no other connection has committed
 * (SQLite's data_version is unchanged) and this connection has not written its run's points since.
 */
export class SeriesCache<T> {
  private readonly entries = new Map<string, { readonly version: string; readonly points: readonly T[] }>();
  private readonly runVersions = new Map<string, number>();
  private held = 0;

  /** @param maxPoints points kept in all; the least recently used series go first. */
  constructor(private readonly maxPoints = 500_000) {}

  /** Marks a run's points as changed by this connection. */
  changed(runId: string): void {
    this.runVersions.set(runId, (this.runVersions.get(runId) ?? 0) + 1);
  }

  /** The series under `key` of run `runId`, read with `read` unless a valid copy is kept. */
  get(runId: string, key: string, dataVersion: number, read: () => T[]): readonly T[] {
    const version = `${dataVersion}.${this.runVersions.get(runId) ?? 0}`;
    const id = `${runId}\u0000${key}`;
    const kept = this.entries.get(id);
    if (kept !== undefined) {
      this.entries.delete(id);
      if (kept.version === version) {
        this.entries.set(id, kept);
        return kept.points;
      }
      this.held -= kept.points.length;
    }
    const points = read();
    this.entries.set(id, { version, points });
    this.held += points.length;
    for (const [oldest, entry] of this.entries) {
      if (this.held <= this.maxPoints) break;
      this.entries.delete(oldest);
      this.held -= entry.points.length;
    }
    return points;
  }
}
