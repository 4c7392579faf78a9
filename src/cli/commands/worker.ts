import type { Command } from 'commander';
import { ConfigError } from '../../core/contracts/config.js';
import { startWorker } from '../../core/execution/distributed.js';
import { cacheDir, dataDir } from '../../core/paths.js';
import { PluginRegistry } from '../../core/registry/registry.js';
import { containerFor } from '../context.js';
import type { CliIo, GlobalOptions } from '../context.js';
import { parsePositiveInt } from '../options.js';

/** The Redis URL from --redis or PARETUNE_REDIS_URL, if any. */
export function redisUrl(flag: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  return flag ?? (env['PARETUNE_REDIS_URL'] || undefined);
}

export function registerWorker(program: Command, io: CliIo): void {
  program
    .command('worker')
    .description(
      'take run jobs from Redis (queued by `experiment --redis` or the API server) and execute them here; needs the datasets and checkpoints the runs name',
    )
    .option('--redis <url>', 'Redis URL (default: PARETUNE_REDIS_URL)')
    .option('--concurrency <n>', 'runs at a time in this process', '1')
    .option(
      '--lock-duration <ms>',
      'how long a job stays locked without a heartbeat before it counts as stalled and is retried elsewhere',
      '30000',
    )
    .action(async (flags: { redis?: string; concurrency: string; lockDuration: string }, command: Command) => {
      const url = redisUrl(flags.redis, io.env);
      if (url === undefined) throw new ConfigError('paretune worker needs --redis <url> or PARETUNE_REDIS_URL');
      const container = await containerFor(command.optsWithGlobals<GlobalOptions>(), io);
      const worker = await startWorker({
        url,
        registry: container.resolve(PluginRegistry),
        cacheDir: cacheDir(io.env),
        dataDir: dataDir(io.env),
        concurrency: parsePositiveInt(flags.concurrency, '--concurrency'),
        lockDurationMs: parsePositiveInt(flags.lockDuration, '--lock-duration'),
        log: (line) => io.stderr(line),
        onConnection: (line) => io.stderr(line),
      });
      io.stdout(`paretune worker ready on ${url} (pid ${process.pid})\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      io.stderr(
        'paretune worker: finishing; a run in progress is retried from its last checkpoint by another worker\n',
      );
      await worker.close();
    });
}
