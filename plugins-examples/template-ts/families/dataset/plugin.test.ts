import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { checkPlugin, useBackend } from 'paretune/testing';
import plugin from '../src/index.js';

await useBackend('wasm');

// A generous timeout: the checks do real tensor work (the attack suite first trains its tiny classifier).
it(`${plugin.family} '${plugin.meta.name}' passes paretune's conformance suite`, async () => {
  // A dataset with files would put test copies of them here, under datasets/<name>/.
  const dataDir = mkdtempSync(join(tmpdir(), 'my-plugin-'));
  try {
    expect(await checkPlugin(plugin, { dataDir })).toEqual([]);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 120_000);
