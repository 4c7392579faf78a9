import type { Command } from 'commander';
import { databaseFile, dataDir } from '../../core/paths.js';
import { PluginRegistry } from '../../core/registry/registry.js';
import { Store } from '../../core/store/store.js';
import { writeStaticSite } from '../../schema/static-site.js';
import { containerFor } from '../context.js';
import type { CliIo, GlobalOptions } from '../context.js';

export function registerSite(program: Command, io: CliIo): void {
  program
    .command('site')
    .description(
      "write the dashboard's leaderboards, Pareto plots and run pages as a static site (HTML, scripts and JSON) to publish with any web server",
    )
    .argument('<dir>', 'folder to write (new or empty, or a site written there before, which is replaced)')
    .option('--experiment <name>', 'only the runs of this experiment (name or id)')
    .option('--db <file>', 'database (default: PARETUNE_DB, else paretune.db in the data directory)')
    .action(async (dir: string, flags: { experiment?: string; db?: string }, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      const container = await containerFor(global, io);
      const store = Store.openExisting(flags.db ?? databaseFile(io.env));
      try {
        const site = await writeStaticSite({
          container,
          store,
          registry: container.resolve(PluginRegistry),
          dataDir: dataDir(io.env),
          dir,
          ...(flags.experiment === undefined ? {} : { experiment: flags.experiment }),
        });
        io.stdout(
          `wrote a static site to ${dir}: ${site.boards} leaderboard${site.boards === 1 ? '' : 's'} on ${site.datasets} dataset${site.datasets === 1 ? '' : 's'}, ${site.runs} run pages, ${site.answers} query answers\n` +
            `publish the folder with any static web server, e.g. python3 -m http.server --directory ${dir}\n`,
        );
      } finally {
        store.close();
      }
    });
}
