import type { Command } from 'commander';
import { databaseFile, dataDir } from '../../core/paths.js';
import { PluginRegistry } from '../../core/registry/registry.js';
import { Store } from '../../core/store/store.js';
import { apiSdl } from '../../schema/schema.js';
import { LIMITS, startApiServer } from '../../schema/server.js';
import type { ApiServer } from '../../schema/server.js';
import { executorFor } from '../../core/execution/executor.js';
import { containerFor, workerSetup } from '../context.js';
import type { CliIo, GlobalOptions } from '../context.js';
import { parsePositiveInt } from '../options.js';
import { redisUrl } from './worker.js';

interface ServeFlags {
  port: string;
  workers: string;
  redis?: string;
  host: string;
  db?: string;
  cors?: string;
  debug?: boolean;
  maxDepth: string;
  maxComplexity: string;
  maxBody: string;
}

export function registerServe(program: Command, io: CliIo): void {
  program
    .command('serve')
    .description(
      'serve runs, histories, frontiers and leaderboards over GraphQL (HTTP and graphql-ws at /graphql) and a dashboard at /; mutations need PARETUNE_API_TOKEN',
    )
    .option('--port <n>', 'port (0 picks a free one)', '4000')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--db <file>', 'database (default: PARETUNE_DB, else paretune.db in the data directory)')
    .option('--workers <n>', 'runs executing at a time, each on its own worker thread', '1')
    .option(
      '--redis <url>',
      'run started runs on `paretune worker` processes through Redis (default: PARETUNE_REDIS_URL when set; else on worker threads)',
    )
    .option('--cors <origins>', "comma-separated origins browsers may call from, or '*' (default: none)")
    .option('--debug', 'include stack traces in error responses')
    .option('--max-depth <n>', 'deepest query accepted', String(LIMITS.maxDepth))
    .option('--max-complexity <n>', 'costliest query accepted', String(LIMITS.maxComplexity))
    .option('--max-body <bytes>', 'largest request body accepted', String(LIMITS.maxBodyBytes))
    .action(async (flags: ServeFlags, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      const container = await containerFor(global, io);
      const store = Store.open(flags.db ?? databaseFile(io.env));
      const token = io.env['PARETUNE_API_TOKEN'] || undefined;
      const redis = redisUrl(flags.redis, io.env);
      const settings = {
        host: flags.host,
        port: Number(flags.port) === 0 ? 0 : parsePositiveInt(flags.port, '--port'),
        debug: flags.debug === true,
        corsOrigins: flags.cors === undefined ? [] : flags.cors.split(',').map((o) => o.trim()),
        maxDepth: parsePositiveInt(flags.maxDepth, '--max-depth'),
        maxComplexity: parsePositiveInt(flags.maxComplexity, '--max-complexity'),
        maxBodyBytes: parsePositiveInt(flags.maxBody, '--max-body'),
      };
      const threads = parsePositiveInt(flags.workers, '--workers');
      // Runs execute off the event loop that answers queries: on worker threads here (at a lower CPU priority, so
      // that queries come first), or on workers through Redis.
      const executor = await executorFor(
        redis === undefined
          ? { store, threads, setup: { ...workerSetup(global, io), background: true } }
          : { store, redis: { url: redis, onConnection: (line) => io.stderr(line) } },
      );
      let server: ApiServer;
      try {
        server = await startApiServer({
          ...settings,
          container,
          store,
          registry: container.resolve(PluginRegistry),
          dataDir: dataDir(io.env),
          ...(token === undefined ? {} : { token }),
          executor,
          log: (line) => io.stderr(line),
        });
      } catch (error) {
        await executor.close();
        throw error;
      }
      io.stdout(
        `paretune API at ${server.url} (database ${store.file}; runs execute ${executor.where})\n` +
          `dashboard at ${server.url.replace(/graphql$/, '')}\n` +
          (token === undefined
            ? 'read-only: set PARETUNE_API_TOKEN to allow startRun, startExperiment, cancelRun and deleteRun\n'
            : 'mutations need "Authorization: Bearer $PARETUNE_API_TOKEN"\n'),
      );
      // Serve until SIGINT or SIGTERM; a run in progress stops after its current step and stays resumable.
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      io.stderr('paretune: stopping the API server\n');
      await server.close();
      await executor.close();
      store.close();
    });
}

export function registerSchema(program: Command, io: CliIo): void {
  program
    .command('schema')
    .description('print the GraphQL schema (SDL) that paretune serve exposes')
    .action(async () => {
      io.stdout(await apiSdl());
    });
}
