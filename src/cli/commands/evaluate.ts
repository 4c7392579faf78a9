import type { Command } from 'commander';
import { cacheDir, dataDir } from '../../core/paths.js';
import { PluginRegistry } from '../../core/registry/registry.js';
import { evaluateModel } from '../../core/runs/evaluate.js';
import { containerFor } from '../context.js';
import type { CliIo, GlobalOptions } from '../context.js';
import {
  addMeasurementOptions,
  attackRefs,
  parseJsonObject,
  parseNumber,
  parsePositiveInt,
  shiftRefs,
} from '../options.js';
import type { MeasurementFlags } from '../options.js';
import { progressBars } from '../progress.js';

interface EvaluateFlags extends MeasurementFlags {
  weights: string;
  adapter?: string;
  dataset: string;
  datasetConfig?: string;
  split?: string;
  sample?: string;
  batchSize?: string;
  microBatch?: string;
  seed?: string;
  json?: boolean;
}

export function registerEvaluate(program: Command, io: CliIo): void {
  const evaluateCommand = program
    .command('evaluate')
    .description('measure clean accuracy, PGD robustness and shifts of an existing checkpoint, without training')
    .requiredOption('--weights <source>', 'checkpoint: safetensors file or folder, hf:<owner>/<repo>, or preset')
    .option(
      '--adapter <file>',
      'fine-tuned parameters saved by `paretune run --save-adaptation` (applied on top of --weights)',
    )
    .requiredOption('--dataset <name>', 'dataset plugin')
    .option('--dataset-config <json>', 'dataset config')
    .option('--split <name>', "split to evaluate (default 'all' for an image folder, else 'test')");
  addMeasurementOptions(evaluateCommand)
    .option('--sample <n>', "images to evaluate (seeded sample), or 'all' (default all)")
    .option('--batch-size <n>', 'evaluation batch size (default 64)')
    .option('--micro-batch <n>', 'images per forward or attack pass (default: what fits the backend)')
    .option('--seed <n>', 'seed (default 0)')
    .option('--json', 'print the result as JSON')
    .action(async (flags: EvaluateFlags, command: Command) => {
      const di = await containerFor(command.optsWithGlobals<GlobalOptions>(), io);
      const attacks = attackRefs(flags);
      const spec = {
        model: flags.weights,
        ...(flags.adapter === undefined ? {} : { adaptation: flags.adapter }),
        dataset:
          flags.datasetConfig === undefined
            ? flags.dataset
            : { name: flags.dataset, config: parseJsonObject(flags.datasetConfig, '--dataset-config') },
        ...(flags.split === undefined ? {} : { split: flags.split }),
        ...(attacks === undefined ? {} : { attacks }),
        shifts: shiftRefs(flags),
        ...(flags.sample === undefined
          ? {}
          : { sample: flags.sample === 'all' ? 'all' : parsePositiveInt(flags.sample, '--sample') }),
        ...(flags.batchSize === undefined ? {} : { batchSize: parsePositiveInt(flags.batchSize, '--batch-size') }),
        ...(flags.microBatch === undefined ? {} : { microBatch: parsePositiveInt(flags.microBatch, '--micro-batch') }),
        ...(flags.seed === undefined ? {} : { seed: parseNumber(flags.seed, '--seed') }),
      };
      const downloads = progressBars();
      try {
        const result = await evaluateModel(spec, {
          registry: di.resolve(PluginRegistry),
          cacheDir: cacheDir(io.env),
          dataDir: dataDir(io.env),
          onProgress: downloads,
        });
        if (flags.json) {
          io.stdout(`${JSON.stringify(result, null, 2)}\n`);
          return;
        }
        const lines = [`model ${result.model}`];
        for (const p of result.points) {
          const { split, ...rest } = p.context;
          const detail = Object.entries(rest)
            .map(
              ([k, v]) =>
                `${k}=${typeof v === 'number' && k === 'eps' ? `${v.toFixed(5)} (${(v * 255).toFixed(2)}/255)` : v}`,
            )
            .join(' ');
          lines.push(
            `${p.name.padEnd(10)} ${p.value.toFixed(4)}  ${split} (${p.count} images)${detail === '' ? '' : `  ${detail}`}`,
          );
        }
        io.stdout(`${lines.join('\n')}\n`);
      } finally {
        downloads.stop();
      }
    });
}
