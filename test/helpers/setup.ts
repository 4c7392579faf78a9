import { rmSync } from 'node:fs';
import { afterAll } from 'vitest';
import { selectBackend } from '../../src/core/tensor/backend.js';
import { createdDirs } from './temp.js';

// Every test file runs on the backend production would pick (wasm on a machine without native TensorFlow).
await selectBackend();

// Test files leave nothing in the temporary directory.
afterAll(() => {
  for (const dir of createdDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
