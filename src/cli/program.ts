import { Command, CommanderError } from 'commander';
import { isUserError } from '../core/contracts/errors.js';
import { RunFailedError } from '../core/runs/runner.js';
import { RunStoppedError } from '../core/training/trainer.js';
import { PARETUNE_VERSION } from '../core/version.js';
import { registerDatasets } from './commands/datasets.js';
import { registerDemo } from './commands/demo.js';
import { registerEvaluate } from './commands/evaluate.js';
import { registerExperiment } from './commands/experiment.js';
import { registerExport } from './commands/export.js';
import { registerInfo } from './commands/info.js';
import { registerParams } from './commands/params.js';
import { registerPlugin } from './commands/plugin.js';
import { registerRun } from './commands/run.js';
import { registerRuns } from './commands/runs.js';
import { registerSchema, registerServe } from './commands/serve.js';
import { registerSite } from './commands/site.js';
import { registerWorker } from './commands/worker.js';
import type { CliIo } from './context.js';
import { collect } from './options.js';

/** The `paretune` command tree (also read by the test that checks every shell example of the docs against it). */
export function buildProgram(io: CliIo): Command {
  const program = new Command('paretune')
    .description(
      'Measure what fine-tuning does to a vision model: clean accuracy, adversarial robustness, distribution shift, Pareto frontiers.',
    )
    .version(PARETUNE_VERSION)
    .option(
      '--backend <name>',
      'TensorFlow.js backend: node-gpu, webgpu, node, wasm or cpu (default: first that loads; env PARETUNE_BACKEND)',
    )
    .option('--plugin <module>', 'load a plugin module (npm package name or path); repeatable', collect, [])
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();
  registerInfo(program, io);
  registerParams(program, io);
  registerRun(program, io);
  registerRuns(program, io);
  registerExperiment(program, io);
  registerExport(program, io);
  registerEvaluate(program, io);
  registerDatasets(program, io);
  registerDemo(program, io);
  registerServe(program, io);
  registerSchema(program, io);
  registerSite(program, io);
  registerWorker(program, io);
  registerPlugin(program, io);
  return program;
}

/** Runs the CLI on `argv` (without the node and script entries) and returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    await buildProgram(io).parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    // A run that failed after measuring reports its cause; the points were already shown.
    const cause = error instanceof RunFailedError ? error.cause : error;
    if (cause instanceof RunStoppedError) {
      io.stderr(`paretune: ${cause.message}\n`);
      return 130; // the shell's convention for a command ended by Ctrl-C
    }
    if (isUserError(cause)) {
      io.stderr(`paretune: ${cause.message}\n`);
      return 1;
    }
    io.stderr(`paretune: internal error: ${(cause as Error).stack ?? String(cause)}\n`);
    return 70;
  }
}
