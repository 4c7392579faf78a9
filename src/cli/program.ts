import { Command, CommanderError } from 'commander';
import { ConfigError } from '../core/contracts/config.js';
import { CheckpointError } from '../core/model/safetensors.js';
import { PluginError } from '../core/contracts/plugin.js';
import { BackendError } from '../core/tensor/backend.js';
import { PARETUNE_VERSION } from '../core/version.js';
import { registerDemo } from './commands/demo.js';
import { registerInfo } from './commands/info.js';
import { registerParams } from './commands/params.js';
import type { CliIo } from './context.js';

/** Errors caused by the user's input or machine: shown as one line, without a stack trace. */
const USER_ERRORS = [ConfigError, PluginError, BackendError, CheckpointError];

function buildProgram(io: CliIo): Command {
  const program = new Command('paretune')
    .description('Measure what fine-tuning does to a vision model: clean accuracy, adversarial robustness, distribution shift, Pareto frontiers.')
    .version(PARETUNE_VERSION)
    .option('--backend <name>', 'TensorFlow.js backend: node-gpu, node, wasm or cpu (default: first that loads; env PARETUNE_BACKEND)')
    .option('--plugin <module>', 'load a plugin module (npm package name or path); repeatable', (value: string, all: string[]) => [...all, value], [])
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();
  registerInfo(program, io);
  registerParams(program, io);
  registerDemo(program, io);
  return program;
}

/** Runs the CLI on `argv` (without the node and script entries) and returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    await buildProgram(io).parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (USER_ERRORS.some((type) => error instanceof type)) {
      io.stderr(`paretune: ${(error as Error).message}\n`);
      return 1;
    }
    io.stderr(`paretune: internal error: ${(error as Error).stack ?? String(error)}\n`);
    return 70;
  }
}
