import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Folders made by tempDir in this test file; setup.ts removes them when the file ends. */
export const createdDirs: string[] = [];

/** A fresh temporary directory, removed when the test file ends. */
export function tempDir(prefix = 'paretune-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  createdDirs.push(dir);
  return dir;
}
