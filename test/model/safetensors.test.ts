import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSafetensorsHeader, readTensor, writeSafetensors } from '../../src/core/model/safetensors.js';
import { tempDir } from '../helpers/fixtures.js';

/** A safetensors file built byte by byte, as another writer would. */
function rawFile(entries: Record<string, { dtype: string; shape: number[]; bytes: Buffer }>, cut = 0): string {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const [name, e] of Object.entries(entries)) {
    header[name] = { dtype: e.dtype, shape: e.shape, data_offsets: [offset, offset + e.bytes.length] };
    offset += e.bytes.length;
  }
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  const file = join(tempDir(), 'raw.safetensors');
  const all = Buffer.concat([length, json, ...Object.values(entries).map((e) => e.bytes)]);
  writeFileSync(file, all.subarray(0, all.length - cut));
  return file;
}

describe('safetensors', () => {
  it('round-trips float32 tensors and metadata with an 8-byte aligned data section', () => {
    const file = join(tempDir(), 'a.safetensors');
    const a = Float32Array.from([1.5, -2, 3.25, 0, 1e-8, 7]);
    writeSafetensors(
      file,
      new Map([
        ['layer.weight', { shape: [2, 3], data: a }],
        ['layer.bias', { shape: [3], data: Float32Array.from([1, 2, 3]) }],
      ]),
      { format: 'x' },
    );
    const header = readSafetensorsHeader(file);
    expect(Number(readFileSync(file).readBigUInt64LE(0)) % 8).toBe(0);
    expect(header.metadata).toEqual({ format: 'x' });
    expect(header.tensors.get('layer.weight')?.shape).toEqual([2, 3]);
    expect(readTensor(header, 'layer.weight')).toEqual(a);
    expect(readTensor(header, 'layer.bias')).toEqual(Float32Array.from([1, 2, 3]));
  });

  it('reads F16 and BF16 as float32', () => {
    const f16 = Buffer.alloc(8);
    [0x3c00, 0xc000, 0x3555, 0x0001].forEach((h, i) => f16.writeUInt16LE(h, 2 * i)); // 1, -2, ~1/3, smallest subnormal
    const bf16 = Buffer.alloc(6);
    [0x3f80, 0xc0a0, 0x7f80].forEach((h, i) => bf16.writeUInt16LE(h, 2 * i)); // 1, -5, +inf
    const header = readSafetensorsHeader(
      rawFile({ h: { dtype: 'F16', shape: [4], bytes: f16 }, b: { dtype: 'BF16', shape: [3], bytes: bf16 } }),
    );
    const h = readTensor(header, 'h');
    expect([h[0], h[1], h[3]]).toEqual([1, -2, 2 ** -24]);
    expect(h[2]).toBeCloseTo(1 / 3, 3);
    expect(readTensor(header, 'b')).toEqual(Float32Array.from([1, -5, Infinity]));
  });

  it('names the tensor and byte offsets of a truncated file', () => {
    const file = rawFile(
      {
        a: { dtype: 'F32', shape: [2], bytes: Buffer.alloc(8) },
        b: { dtype: 'F32', shape: [4], bytes: Buffer.alloc(16) },
      },
      5,
    );
    expect(() => readSafetensorsHeader(file)).toThrow(
      /truncated: tensor 'b' spans byte offsets \d+-\d+, but the file ends at byte \d+/,
    );
  });

  it('names the tensor of an unknown dtype and of a size that does not match its shape', () => {
    const header = readSafetensorsHeader(rawFile({ ids: { dtype: 'I64', shape: [2], bytes: Buffer.alloc(16) } }));
    expect(() => readTensor(header, 'ids')).toThrow("tensor 'ids' has dtype I64; expected F32, F16 or BF16");
    expect(() => readSafetensorsHeader(rawFile({ w: { dtype: 'F32', shape: [3], bytes: Buffer.alloc(8) } }))).toThrow(
      "tensor 'w' (F32 [3]) needs 12 bytes but its data_offsets give 8",
    );
  });

  it('rejects files that are not safetensors', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'short'), 'abc');
    expect(() => readSafetensorsHeader(join(dir, 'short'))).toThrow('8-byte header length is missing');
    const big = Buffer.alloc(16);
    big.writeBigUInt64LE(1000n);
    writeFileSync(join(dir, 'big'), big);
    expect(() => readSafetensorsHeader(join(dir, 'big'))).toThrow(
      'header of 1000 bytes at byte offset 8 exceeds the file size 16',
    );
  });
});
