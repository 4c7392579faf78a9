import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { inspectCheckpoint, loadCheckpoint, saveCheckpoint } from '../../src/core/model/checkpoint.js';
import { readSafetensorsHeader, readTensor, writeSafetensors } from '../../src/core/model/safetensors.js';
import { Rng } from '../../src/core/tensor/rng.js';
import { VIT_REFERENCE_DIR, tempDir } from '../helpers/fixtures.js';

const FIXTURE = join(VIT_REFERENCE_DIR, 'model.safetensors');
type Tensors = Map<string, { shape: readonly number[]; data: Float32Array }>;

function fixtureTensors(): Tensors {
  const header = readSafetensorsHeader(FIXTURE);
  return new Map(
    [...header.tensors.values()].map((e) => [e.name, { shape: e.shape, data: readTensor(header, e.name) }]),
  );
}

/** Writes tensors renamed by `rename` (undefined drops a tensor) into a new folder; returns the file. */
function rewrite(
  tensors: Tensors,
  rename: (name: string) => string | undefined,
  extra: Tensors = new Map(),
  config?: object,
): string {
  const dir = tempDir();
  const out: Tensors = new Map();
  for (const [name, t] of tensors) {
    const renamed = rename(name);
    if (renamed !== undefined) out.set(renamed, t);
  }
  for (const [name, t] of extra) out.set(name, t);
  writeSafetensors(join(dir, 'model.safetensors'), out);
  if (config !== undefined) writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return join(dir, 'model.safetensors');
}

const pixels = (): tf.Tensor4D => tf.tensor4d(Rng.fromSeed(1).uniformArray(2 * 16 * 16 * 3), [2, 16, 16, 3]);

function outputs(file: string, numClasses?: number): { logits: Float32Array; cls: Float32Array; freshHead: boolean } {
  const { model, freshHead } = loadCheckpoint(file, { rng: Rng.fromSeed(0), numClasses, overrides: { numHeads: 4 } });
  const x = pixels();
  const { logits, cls } = tf.tidy(() => model.forward(x));
  const result = { logits: logits.dataSync() as Float32Array, cls: cls.dataSync() as Float32Array, freshHead };
  tf.dispose([x, logits, cls]);
  model.dispose();
  return result;
}

describe('checkpoint loading', () => {
  const tensors = fixtureTensors();
  const reference = outputs(FIXTURE);

  it('infers the architecture from shapes, and the heads from config.json when present', () => {
    const info = inspectCheckpoint(FIXTURE, { numHeads: 4 });
    expect(info.config).toMatchObject({
      imageSize: 16,
      patchSize: 4,
      numChannels: 3,
      hiddenSize: 32,
      numLayers: 2,
      intermediateSize: 64,
      numClasses: 5,
      numHeads: 4,
    });
    expect(() => inspectCheckpoint(FIXTURE)).toThrow(
      'put a config.json with num_attention_heads beside the checkpoint',
    );
    const withConfig = rewrite(tensors, (n) => n, new Map(), {
      num_attention_heads: 4,
      layer_norm_eps: 1e-12,
      hidden_size: 32,
    });
    expect(inspectCheckpoint(withConfig).config.numHeads).toBe(4);
    const wrong = rewrite(tensors, (n) => n, new Map(), { num_attention_heads: 4, hidden_size: 64 });
    expect(() => inspectCheckpoint(wrong)).toThrow('config.json says hidden_size = 64, but the tensors give 32');
  });

  it('loads the in21k backbone layout (no prefix, pooler ignored) with a fresh head and the same features', () => {
    const pooler: Tensors = new Map([
      ['pooler.dense.weight', { shape: [32, 32], data: new Float32Array(32 * 32).fill(9) }],
      ['pooler.dense.bias', { shape: [32], data: new Float32Array(32) }],
    ]);
    const file = rewrite(tensors, (n) => (n.startsWith('classifier.') ? undefined : n.replace(/^vit\./, '')), pooler);
    expect(inspectCheckpoint(file, { numHeads: 4 }).layout).toBe('hf-backbone');
    const out = outputs(file, 7);
    expect(out.freshHead).toBe(true);
    expect(out.logits.length).toBe(2 * 7);
    expect(out.cls).toEqual(reference.cls);
  });

  it('saves a backbone without its head, so a model of the same class count loads it with a fresh head', async () => {
    const { model } = loadCheckpoint(FIXTURE, { rng: Rng.fromSeed(0), overrides: { numHeads: 4 } });
    const dir = tempDir();
    const file = await saveCheckpoint(model, dir, { head: false });
    model.dispose();
    const info = inspectCheckpoint(file);
    expect(info).toMatchObject({ layout: 'hf-backbone', hasHead: false });
    expect(info.config).toMatchObject({ numHeads: 4, numClasses: 0 });
    const out = outputs(file, 5);
    expect(out.freshHead).toBe(true);
    expect(out.cls).toEqual(reference.cls);
    expect(out.logits).not.toEqual(reference.logits);
    const again = loadCheckpoint(FIXTURE, { rng: Rng.fromSeed(0), overrides: { numHeads: 4 } }).model;
    const withHead = await saveCheckpoint(again, tempDir());
    again.dispose();
    expect(outputs(withHead, 5)).toEqual({ ...reference, freshHead: false });
  });

  it('loads timm names, splitting the fused qkv projection, to identical logits', () => {
    const timm: Tensors = new Map();
    const map: Record<string, string> = {
      'vit.embeddings.cls_token': 'cls_token',
      'vit.embeddings.position_embeddings': 'pos_embed',
      'vit.embeddings.patch_embeddings.projection.weight': 'patch_embed.proj.weight',
      'vit.embeddings.patch_embeddings.projection.bias': 'patch_embed.proj.bias',
      'vit.layernorm.weight': 'norm.weight',
      'vit.layernorm.bias': 'norm.bias',
      'classifier.weight': 'head.weight',
      'classifier.bias': 'head.bias',
    };
    const block: Record<string, string> = {
      layernorm_before: 'norm1',
      'attention.output.dense': 'attn.proj',
      layernorm_after: 'norm2',
      'intermediate.dense': 'mlp.fc1',
      'output.dense': 'mlp.fc2',
    };
    for (const [name, t] of tensors) {
      const m = /^vit\.encoder\.layer\.(\d+)\.(.+)\.(weight|bias)$/.exec(name);
      if (m === null) timm.set(map[name] as string, t);
      else if (block[m[2] as string] !== undefined) timm.set(`blocks.${m[1]}.${block[m[2] as string]}.${m[3]}`, t);
    }
    for (const layer of [0, 1]) {
      for (const kind of ['weight', 'bias']) {
        const parts = ['query', 'key', 'value'].map((s) =>
          tensors.get(`vit.encoder.layer.${layer}.attention.attention.${s}.${kind}`)!,
        );
        const data = new Float32Array(parts.reduce((n, p) => n + p.data.length, 0));
        parts.reduce((offset, p) => (data.set(p.data, offset), offset + p.data.length), 0);
        timm.set(`blocks.${layer}.attn.qkv.${kind}`, { shape: [96, ...parts[0]!.shape.slice(1)], data });
      }
    }
    const file = rewrite(timm, (n) => n, new Map(), { num_attention_heads: 4, layer_norm_eps: 1e-12 });
    expect(inspectCheckpoint(file).layout).toBe('timm');
    expect(outputs(file).logits).toEqual(reference.logits);
  });

  it('names the missing tensor, and the tensor with a wrong shape', () => {
    const missing = rewrite(tensors, (n) => (n === 'vit.encoder.layer.1.attention.attention.key.bias' ? undefined : n));
    expect(() => outputs(missing)).toThrow(
      "missing tensor 'vit.encoder.layer.1.attention.attention.key.bias' (parameter 'encoder.layer.1.attention.attention.key.bias', shape [32])",
    );
    const reshaped = new Map(tensors);
    reshaped.set('vit.encoder.layer.0.output.dense.weight', {
      shape: [64, 32],
      data: tensors.get('vit.encoder.layer.0.output.dense.weight')!.data,
    });
    expect(() => outputs(rewrite(reshaped, (n) => n))).toThrow(
      "tensor 'vit.encoder.layer.0.output.dense.weight' has shape [64, 32], expected [32, 64]",
    );
    const unknown = rewrite(tensors, (n) => n.replace(/^vit\./, 'model.'));
    expect(() => outputs(unknown)).toThrow('not a ViT checkpoint paretune knows');
  });
});
