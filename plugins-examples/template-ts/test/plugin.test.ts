import { expect, it } from 'vitest';
import { checkPlugin, useBackend } from 'paretune/testing';
import plugin from '../src/index.js';

await useBackend('wasm');

it(`${plugin.family} '${plugin.meta.name}' passes paretune's conformance suite`, async () => {
  expect(await checkPlugin(plugin)).toEqual([]);
});
