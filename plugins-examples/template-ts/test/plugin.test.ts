import { expect, it } from 'vitest';
import { checkPlugin, useBackend } from 'paretune/testing';
import plugin from '../src/index.js';

await useBackend('wasm');

// A generous timeout: the checks do real tensor work (the attack suite first trains its tiny classifier).
it(`${plugin.family} '${plugin.meta.name}' passes paretune's conformance suite`, async () => {
  expect(await checkPlugin(plugin)).toEqual([]);
}, 120_000);
