import { rmSync } from 'node:fs';
import { afterAll } from 'vitest';
import { selectBackend } from '../../src/core/tensor/backend.js';
import { createdDirs } from '../helpers/temp.js';

// Each file of this suite runs in its own process on the webgpu backend, forced so that a software adapter
// (lavapipe in CI) is used too. Without an adapter the suite is skipped with a note, except in CI, where it fails.
try {
  await selectBackend({ name: 'webgpu', source: 'the webgpu test suite' });
} catch (error) {
  if (process.env['CI'] === 'true') throw error;
  console.warn(`webgpu tests skipped: ${(error as Error).message} (.ci/setup-lavapipe.sh installs a software driver)`);
}

afterAll(() => {
  for (const dir of createdDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
