import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tar from 'tar';
import { tempDir } from './temp.js';

/** A CIFAR binary archive with `records` per batch file; record i has label i % classes and pixel bytes (i + offset) % 251. */
export async function cifarArchive(
  dir: string,
  name: string,
  folder: string,
  batches: Record<string, number>,
  labelBytes: 1 | 2,
  cut = 0,
): Promise<void> {
  const root = join(tempDir(), folder);
  mkdirSync(root);
  for (const [file, records] of Object.entries(batches)) {
    const bytes = Buffer.alloc(records * (labelBytes + 3072));
    for (let i = 0; i < records; i++) {
      const offset = i * (labelBytes + 3072);
      bytes[offset] = i % 20;
      if (labelBytes === 2) bytes[offset + 1] = (i * 3) % 100;
      for (let p = 0; p < 3072; p++) bytes[offset + labelBytes + p] = (i + p) % 251;
    }
    writeFileSync(join(root, file), bytes.subarray(0, bytes.length - cut));
  }
  mkdirSync(dir, { recursive: true });
  await tar.c({ gzip: true, file: join(dir, name), cwd: join(root, '..'), portable: true }, [folder]);
}
