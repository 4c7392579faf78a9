/**
 * The tensor runtime: the TensorFlow.js instance paretune runs on, backend selection, the seeded random
 * source and memory checks. Plugins import TensorFlow.js from here (`paretune/tensor`) so that they share
 * paretune's single tfjs-core and its active backend.
 *
 * @packageDocumentation
 */
export * as tf from '@tensorflow/tfjs-core';
export { BACKEND_CHAIN, BackendError, backendRequest, selectBackend } from './backend.js';
export type { BackendAttempt, BackendName, BackendRequest, BackendSelection } from './backend.js';
export { Rng } from './rng.js';
export type { RngState } from './rng.js';
export { dense, gelu, layerNorm, matMul, softmax, sumTensors } from './ops.js';
export { microBatchRanges } from './micro-batch.js';
export { newVariable } from './variables.js';
export { assertNoTensorLeaks, TensorLeakError } from './memory.js';
