import { describe, expect, it } from 'vitest';
import { BACKEND_CHAIN, backendRequest, chooseBackend, selectBackend } from '../../src/core/tensor/backend.js';
import type { BackendLoaders } from '../../src/core/tensor/backend.js';
import * as tf from '@tensorflow/tfjs';

const missing = async (): Promise<string> => {
  throw Object.assign(new Error("Cannot find package '@tensorflow/tfjs-node-gpu' imported from /x.js"), {
    code: 'ERR_MODULE_NOT_FOUND',
  });
};
// What tfjs-node throws when its package is present but its install script never fetched libtensorflow.
const addonMissing = async (): Promise<string> => {
  throw new Error(
    "Cannot find module '/app/node_modules/@tensorflow/tfjs-node/lib/napi-v8/tfjs_binding.node'\nRequire stack:\n- /app/node_modules/@tensorflow/tfjs-node/dist/index.js\n- /app/x.js",
  );
};
const noAdapter = async (): Promise<string> => {
  throw new Error('no WebGPU adapter: Dawn found no Vulkan driver for a GPU (docs/gpu.md)');
};
const wasm = async (): Promise<string> => {
  await import('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  return 'wasm';
};
const cpu = async (): Promise<string> => {
  await tf.setBackend('cpu');
  return 'cpu';
};

describe('backend selection', () => {
  it('tries node-gpu, webgpu, node, wasm, cpu in that order', () => {
    expect(BACKEND_CHAIN).toEqual(['node-gpu', 'webgpu', 'node', 'wasm', 'cpu']);
  });

  it('falls through failed native loads with one line each and picks the first that loads', async () => {
    const loaders: BackendLoaders = { 'node-gpu': missing, webgpu: noAdapter, node: addonMissing, wasm, cpu };
    const selection = await chooseBackend(undefined, loaders);
    expect(selection.name).toBe('wasm');
    expect(selection.tfBackend).toBe('wasm');
    expect(selection.attempts.map((a) => [a.backend, a.ok])).toEqual([
      ['node-gpu', false],
      ['webgpu', false],
      ['node', false],
      ['wasm', true],
    ]);
    expect(selection.attempts[0]?.detail).toBe('not installed (optional dependency)');
    expect(selection.attempts[1]?.detail).toContain('no WebGPU adapter');
    expect(selection.attempts[2]?.detail).toBe(
      "Cannot find module '/app/node_modules/@tensorflow/tfjs-node/lib/napi-v8/tfjs_binding.node'",
    );
    expect(selection.reason).toContain('node: Cannot find module');
  });

  it('honours a request and fails clearly when the requested backend cannot load', async () => {
    const loaders: BackendLoaders = { 'node-gpu': missing, webgpu: noAdapter, node: addonMissing, wasm, cpu };
    const selection = await chooseBackend({ name: 'cpu', source: '--backend' }, loaders);
    expect(selection).toMatchObject({ name: 'cpu', tfBackend: 'cpu', reason: 'requested by --backend' });
    await expect(chooseBackend({ name: 'node-gpu', source: 'PARETUNE_BACKEND' }, loaders)).rejects.toThrow(
      "backend 'node-gpu' (requested by PARETUNE_BACKEND) is unavailable: not installed (optional dependency)",
    );
    await expect(chooseBackend({ name: 'cuda', source: '--backend' }, loaders)).rejects.toThrow(
      "unknown backend 'cuda' (from --backend); expected one of: node-gpu, webgpu, node, wasm, cpu",
    );
  });

  it('takes the flag over PARETUNE_BACKEND', () => {
    expect(backendRequest('cpu', { PARETUNE_BACKEND: 'wasm' })).toEqual({ name: 'cpu', source: '--backend' });
    expect(backendRequest(undefined, { PARETUNE_BACKEND: 'wasm' })).toEqual({
      name: 'wasm',
      source: 'PARETUNE_BACKEND',
    });
    expect(backendRequest(undefined, {})).toBeUndefined();
  });

  it('selects once per process: the real chain gives wasm on a machine without native TensorFlow', async () => {
    const first = await selectBackend();
    expect(first.name).toBe('wasm');
    expect(await selectBackend()).toBe(first);
    expect(await selectBackend({ name: 'wasm', source: '--backend' })).toBe(first);
    await expect(selectBackend({ name: 'cpu', source: '--backend' })).rejects.toThrow(
      "this process already runs on 'wasm'",
    );
  });
});
