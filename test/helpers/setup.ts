import { selectBackend } from '../../src/core/tensor/backend.js';

// Every test file runs on the backend production would pick (wasm on a machine without native TensorFlow).
await selectBackend();
