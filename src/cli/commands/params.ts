import type { Command } from 'commander';
import { parametersForArchitecture } from '../../core/model/adapt.js';
import type { ParameterRow } from '../../core/model/adapt.js';
import { resolvePlugin } from '../../core/runs/spec.js';
import { architectureOf } from '../../core/model/source.js';
import { cacheDir } from '../../core/paths.js';
import { PluginRegistry } from '../../core/registry/registry.js';
import { Rng } from '../../core/tensor/rng.js';
import { containerFor } from '../context.js';
import type { CliIo, GlobalOptions } from '../context.js';
import { collect, nameList, parseJsonObject, parsePositiveInt, pluginRefs } from '../options.js';
import { progressBars } from '../progress.js';

const group = (n: number): string => n.toLocaleString('en-US');

interface ParamsOptions {
  model: string;
  classes?: number;
  strategy: string[];
  config?: string;
  list?: boolean;
  json?: boolean;
}

/** One line per parameter: name, shape, whether it trains (and whether a strategy added it). */
function parameterLines(rows: readonly ParameterRow[]): string[] {
  const nameWidth = Math.max(...rows.map((r) => r.name.length), 'parameter'.length);
  const shapes = rows.map((r) => `[${r.shape.join(', ')}]`);
  const shapeWidth = Math.max(...shapes.map((s) => s.length), 'shape'.length);
  return [
    `${'parameter'.padEnd(nameWidth)}  ${'shape'.padEnd(shapeWidth)}  trains`,
    ...rows.map((r, i) => {
      const trains = `${r.trains ? 'yes' : 'no'}${r.added ? ' (added)' : ''}`;
      return `${r.name.padEnd(nameWidth)}  ${(shapes[i] as string).padEnd(shapeWidth)}  ${trains}`;
    }),
  ];
}

export function registerParams(program: Command, io: CliIo): void {
  program
    .command('params')
    .description(
      'count (--list: list) trainable, added and total parameters of a model adapted with a strategy ' +
        '(no weights are loaded for presets)',
    )
    .requiredOption('--model <source>', 'preset name, safetensors checkpoint (file or folder), or hf:<owner>/<repo>')
    .option('--classes <n>', 'classes of the classification head', (v) => parsePositiveInt(v, '--classes'))
    .requiredOption('--strategy <name>', 'strategy; stack with + or by repeating the flag', collect, [])
    .option('--config <json>', 'strategy configs by name, e.g. \'{"lora":{"rank":4}}\'')
    .option('--list', 'also list every parameter with its shape and whether it trains')
    .option('--json', 'print machine-readable JSON (with --list, a parameters array)')
    .action(async (options: ParamsOptions, command: Command) => {
      const di = await containerFor(command.optsWithGlobals<GlobalOptions>(), io);
      const registry = di.resolve(PluginRegistry);
      const refs = pluginRefs(nameList(options.strategy), parseJsonObject(options.config, '--config'), '--config');
      const uses = refs.map((ref) => resolvePlugin(registry, 'strategy', ref));
      const progress = progressBars();
      const architecture = await architectureOf(options.model, {
        numClasses: options.classes,
        cacheDir: cacheDir(io.env),
        onProgress: progress,
      });
      progress.stop();
      const { counts, parameters } = parametersForArchitecture(architecture, uses, Rng.fromSeed(0));
      const strategies = uses.map((u) => ({
        name: u.plugin.meta.name,
        version: u.plugin.meta.version,
        config: u.config,
      }));
      if (options.json) {
        const listed = options.list ? { parameters } : {};
        const report = { model: options.model, architecture, strategies, ...counts, ...listed };
        io.stdout(`${JSON.stringify(report, null, 2)}\n`);
        return;
      }
      const a = architecture;
      io.stdout(
        [
          `model      ${options.model}: ${a.imageSize} px, patch ${a.patchSize}, hidden ${a.hiddenSize}, ${a.numLayers} layers, ${a.numHeads} heads, MLP ${a.intermediateSize}, ${a.numClasses} classes`,
          ...strategies.map((s) => `strategy   ${s.name}@${s.version} ${JSON.stringify(s.config)}`),
          ...(options.list ? parameterLines(parameters) : []),
          `trainable params: ${group(counts.trainable)} || added params: ${group(counts.added)} || all params: ${group(counts.total)} || trainable%: ${counts.trainablePercent.toFixed(4)}`,
        ].join('\n') + '\n',
      );
    });
}
