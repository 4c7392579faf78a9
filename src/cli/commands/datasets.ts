import type { Command } from 'commander';
import { ConfigError } from '../../core/contracts/config.js';
import { datasetFiles } from '../../core/data/files.js';
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
      const registry = di.resolve(PluginRegistry);
      const configs = parseJsonObject(options.config, '--config');
      const root = dataDir(io.env);
      const rows = registry.list('dataset').map(({ plugin, origin }) => {
        const name = plugin.meta.name;
        const row = { name, version: plugin.meta.version, origin, description: plugin.meta.description };
        const parsed = plugin.configSchema.safeParse(configs[name] ?? {});
        if (!parsed.success) return { ...row, configured: false, detail: 'needs a config (--config)' };
        try {
          const description = plugin.describe(parsed.data);
          const availability = plugin.availability?.(parsed.data, datasetFiles(root, name)) ?? { present: false, detail: 'the plugin does not report availability' };
          return { ...row, configured: true, classes: description.numClasses, splits: description.splits, ...availability };
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error;
          return { ...row, configured: false, detail: error.message };
        }
      });
      if (options.json) {
        io.stdout(`${JSON.stringify({ dataDir: root, datasets: rows }, null, 2)}\n`);
        return;
      }
      const lines = [`data directory ${root}`];
      for (const r of rows) {
        const status = !r.configured ? 'not configured' : 'present' in r && r.present ? `present ${megabytes(r.bytes)}` : 'not present';
        const shape = r.configured && 'classes' in r ? `${r.classes} classes, splits ${(r.splits ?? []).join('/')}` : '';
        lines.push(`${r.name.padEnd(14)} ${status.padEnd(20)} ${shape}`);
        lines.push(`${''.padEnd(14)} ${r.detail}`);
      }
      io.stdout(`${lines.join('\n')}\n`);
    });
}
