#!/usr/bin/env node
import { releaseWebGpu } from '../core/tensor/webgpu.js';
import { runCli } from './program.js';

const exitCode = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  cwd: process.cwd(),
  env: process.env,
});
process.exitCode = exitCode;
// Dawn (the webgpu backend) would keep the process alive.
releaseWebGpu();
