/**
 * `npm run bench [backend]`: throughput on the selected backend, printed as tables.
 * - runtime primitives: why the fast-path rules exist (only 2-D matMuls without transpose flags are fast on wasm);
 * - model: forward, training-step and PGD-step images/s for the CPU bench model and a larger preset;
 * - an evaluation point, image decoding, and the kernel profiles of a training step and a PGD step.
 * Record results with machine, backend and date in docs/benchmarks.md.
 */
import { backendRequest, selectBackend } from '../src/core/tensor/backend.js';
import { benchDecode } from './decode.js';
import { benchEvaluationPoint } from './evaluation.js';
import { benchModels } from './model.js';
import { benchPrimitives } from './primitives.js';
import { profileSteps } from './profile.js';
import { releaseWebGpu } from '../src/core/tensor/webgpu.js';

const backend = await selectBackend(backendRequest(process.argv[2]));
console.log(
  `backend: ${backend.name} (${backend.attempts.at(-1)?.detail}); node ${process.version}; ${new Date().toISOString().slice(0, 10)}\n`,
);
await benchPrimitives();
console.log();
await benchModels();
console.log();
await benchEvaluationPoint();
console.log();
await benchDecode();
console.log();
await profileSteps();
releaseWebGpu();
