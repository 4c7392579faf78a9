import type { Command } from 'commander';
import { datasetCatalog } from '../../core/data/catalog.js';
import { dataDir } from '../../core/paths.js';
import { PluginRegistry } from '../../core/registry/registry.js';
import { containerFor } from '../context.js';
import type { CliIo, GlobalOptions } from '../context.js';
import { parseJsonObject } from '../options.js';

const megabytes = (bytes: number | undefined): string => (bytes === undefined ? '' : `${(bytes / 1e6).toFixed(1)} MB`);

export function registerDatasets(program: Command, io: CliIo): void {
  program
    .command('datasets')
    .description('list the dataset plugins, their classes and splits, and whether their files are present locally')
    .option('--config <json>', 'dataset configs by name, e.g. \'{"imagefolder":{"path":"./photos"}}\'')
    .option('--json', 'print machine-readable JSON')
    .action(async (options: { config?: string; json?: boolean }, command: Command) => {
      const di = await containerFor(command.optsWithGlobals<GlobalOptions>(), io);
      const root = dataDir(io.env);
      const rows = datasetCatalog(di.resolve(PluginRegistry), root, parseJsonObject(options.config, '--config'));
      if (options.json) {
        io.stdout(`${JSON.stringify({ dataDir: root, datasets: rows }, null, 2)}\n`);
        return;
      }
      const lines = [`data directory ${root}`];
      for (const r of rows) {
        const status = !r.configured
          ? 'not configured (--config)'
          : r.present
            ? `present ${megabytes(r.bytes)}`
            : 'not present';
        const shape = r.configured ? `${r.numClasses} classes, splits ${(r.splits ?? []).join('/')}` : '';
        lines.push(`${r.name.padEnd(14)} ${status.padEnd(26)} ${shape}`);
        lines.push(`${''.padEnd(14)} ${r.detail}`);
      }
      io.stdout(`${lines.join('\n')}\n`);
    });
}
