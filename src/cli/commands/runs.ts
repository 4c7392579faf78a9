import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { ConfigError } from '../../core/contracts/config.js';
import { databaseFile } from '../../core/paths.js';
import { Store } from '../../core/store/store.js';
import type { RunRecord, RunStatus } from '../../core/store/store.js';
import type { CliIo } from '../context.js';

const STATUSES = ['running', 'finished', 'failed', 'cancelled', 'interrupted'] as const;

const statusOf = (r: RunRecord): string => (r.interrupted ? 'interrupted' : r.status);

export function registerRuns(program: Command, io: CliIo): void {
  program
    .command('runs [id]')
    .description('list stored runs (filter by status, strategy, dataset), or show one run with its metric points')
    .option('--status <status>', `one of ${STATUSES.join(', ')} (interrupted: killed while running)`)
    .option('--strategy <name>', 'only runs of this strategy (stacks as a+b)')
    .option('--dataset <name>', 'only runs on this dataset')
    .option('--db <file>', 'database (default: PARETUNE_DB, else paretune.db in the data directory)')
    .option('--json', 'print machine-readable JSON')
    .action(
      (
        id: string | undefined,
        options: { status?: string; strategy?: string; dataset?: string; db?: string; json?: boolean },
      ) => {
        if (options.status !== undefined && !(STATUSES as readonly string[]).includes(options.status)) {
          throw new ConfigError(`--status: '${options.status}' is not one of ${STATUSES.join(', ')}`);
        }
        const file = options.db ?? databaseFile(io.env);
        // Nothing stored yet in the default database: an empty list, and no file created. A --db that does not
        // exist is refused instead (most likely a typo).
        if (options.db === undefined && id === undefined && !existsSync(file)) {
          io.stdout(
            options.json ? '[]\n' : `no runs yet: ${file} does not exist (run, experiment and serve create it)\n`,
          );
          return;
        }
        const store = Store.openExisting(file);
        try {
          if (id !== undefined) {
            const run = store.getRun(id);
            if (run === undefined) throw new ConfigError(`no run '${id}' in ${store.file}`);
            const points = store.points(id);
            if (options.json) {
              io.stdout(`${JSON.stringify({ ...run, status: statusOf(run), points }, null, 2)}\n`);
              return;
            }
            const lines = [
              `run ${run.id}  ${statusOf(run)}  ${run.strategy} on ${run.dataset}  seed ${run.seed}  (${run.createdAt})`,
              `model ${run.model ?? '?'}; backend ${run.backend ?? '?'}; plugins ${run.plugins.join(', ')}`,
              ...(run.bestStep === null
                ? []
                : [`best-validation step ${run.bestStep}, last step ${run.lastStep}, ${run.seconds?.toFixed(1)} s`]),
              ...(run.error === null ? [] : [`error: ${run.error}`]),
              `${points.length} metric points at steps ${[...new Set(points.map((p) => p.step))].join(', ')}`,
            ];
            io.stdout(`${lines.join('\n')}\n`);
            return;
          }
          const runs = store.listRuns({
            ...(options.status === undefined ? {} : { status: options.status as RunStatus | 'interrupted' }),
            ...(options.strategy === undefined ? {} : { strategy: options.strategy }),
            ...(options.dataset === undefined ? {} : { dataset: options.dataset }),
          });
          if (options.json) {
            io.stdout(
              `${JSON.stringify(
                runs.map((r) => ({ ...r, status: statusOf(r) })),
                null,
                2,
              )}\n`,
            );
            return;
          }
          if (runs.length === 0) {
            io.stdout(`no runs in ${store.file}\n`);
            return;
          }
          io.stdout(
            `${runs.map((r) => `${r.id}  ${statusOf(r).padEnd(11)} ${r.strategy.padEnd(14)} ${r.dataset.padEnd(14)} seed ${String(r.seed).padEnd(4)} ${r.createdAt}`).join('\n')}\n`,
          );
        } finally {
          store.close();
        }
      },
    );
}
