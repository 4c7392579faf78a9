import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import type { ParquetRow } from '../../src/core/contracts/index.js';
import { parquetInfo, readParquet } from '../../src/core/data/parquet.js';
import { tempDir } from '../helpers/index.js';

/** The HF image layout: an optional struct {bytes: binary, path: string}, then an INT64 label and a string column. */
const SCHEMA = [
  { name: 'root', num_children: 3 },
  { name: 'image', repetition_type: 'OPTIONAL' as const, num_children: 2 },
  { name: 'bytes', type: 'BYTE_ARRAY' as const, repetition_type: 'OPTIONAL' as const },
  { name: 'path', type: 'BYTE_ARRAY' as const, converted_type: 'UTF8' as const, repetition_type: 'OPTIONAL' as const },
  { name: 'label', type: 'INT64' as const, repetition_type: 'OPTIONAL' as const },
  { name: 'text', type: 'BYTE_ARRAY' as const, converted_type: 'UTF8' as const, repetition_type: 'OPTIONAL' as const },
];

/** Bytes that are not valid UTF-8 (0xff, 0xc3 alone, 0x00), as in encoded images. */
const bytesOf = (i: number): Uint8Array => Uint8Array.from([0xff, 0xd8, i, 0xc3, 0x00, 0x80, 255 - i]);

function writeFixture(path: string, rows: number, codec: 'SNAPPY' | 'UNCOMPRESSED' = 'SNAPPY'): void {
  parquetWriteFile({
    filename: path,
    schema: SCHEMA,
    codec,
    columnData: [
      {
        name: 'image',
        data: Array.from({ length: rows }, (_, i) => ({ bytes: bytesOf(i), path: i === 1 ? null : `img_${i}.jpg` })),
      },
      { name: 'label', data: Array.from({ length: rows }, (_, i) => (i === rows - 1 ? 2n ** 60n : BigInt(i * 10))) },
      { name: 'text', data: Array.from({ length: rows }, (_, i) => `class ${i}`) },
    ],
    rowGroupSize: 4,
    kvMetadata: [
      { key: 'huggingface', value: '{"info":{"features":{"label":{"names":["a","b"],"_type":"ClassLabel"}}}}' },
    ],
  });
}

describe('readParquet', () => {
  it('streams row groups with binary kept binary, strings as strings and INT64 as numbers where exact', async () => {
    for (const codec of ['SNAPPY', 'UNCOMPRESSED'] as const) {
      const path = join(tempDir(), 'data.parquet');
      writeFixture(path, 10, codec);
      const groups: { offset: number; rows: readonly ParquetRow[] }[] = [];
      const info = await readParquet(
        path,
        ['image', 'label', 'text'],
        (rows, offset) => void groups.push({ offset, rows }),
      );
      expect(info).toMatchObject({ path, rows: 10, rowGroups: [4, 4, 2], columns: ['image', 'label', 'text'] });
      expect(JSON.parse(info.metadata['huggingface'] as string).info.features.label.names).toEqual(['a', 'b']);
      expect(groups.map((g) => [g.offset, g.rows.length])).toEqual([
        [0, 4],
        [4, 4],
        [8, 2],
      ]);
      const rows = groups.flatMap((g) => g.rows);
      rows.forEach((row, i) => {
        const image = row['image'] as { bytes: Uint8Array; path: string | null };
        expect(image.bytes).toBeInstanceOf(Uint8Array);
        expect([...image.bytes]).toEqual([...bytesOf(i)]);
        expect(image.path).toBe(i === 1 ? null : `img_${i}.jpg`);
        expect(row['text']).toBe(`class ${i}`);
      });
      expect(rows.slice(0, 9).map((r) => r['label'])).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80]);
      expect(rows[9]?.['label']).toBe(2n ** 60n); // beyond 2^53: stays a bigint
    }
  });

  it('reads only the requested columns and skips row groups that accept declines', async () => {
    const path = join(tempDir(), 'data.parquet');
    writeFixture(path, 10);
    const seen: number[] = [];
    const ranges: [number, number][] = [];
    await readParquet(
      path,
      ['label'],
      (rows, offset) => {
        expect(Object.keys(rows[0] as object)).toEqual(['label']);
        seen.push(offset);
      },
      (start, end) => (ranges.push([start, end]), start !== 4),
    );
    expect(ranges).toEqual([
      [0, 4],
      [4, 8],
      [8, 10],
    ]);
    expect(seen).toEqual([0, 8]);
    expect((await parquetInfo(path)).rowGroups).toEqual([4, 4, 2]);
  });

  it('names the file for a corrupt or truncated file and for a missing column', async () => {
    const dir = tempDir();
    const path = join(dir, 'data.parquet');
    writeFixture(path, 10);
    await expect(readParquet(path, ['pixels'], () => undefined)).rejects.toThrow(
      `${path}: no column 'pixels' (columns: image, label, text)`,
    );
    const garbage = join(dir, 'garbage.parquet');
    writeFileSync(garbage, 'this is not parquet at all, just some text long enough');
    await expect(readParquet(garbage, ['label'], () => undefined)).rejects.toThrow(
      `${garbage}: not a readable parquet file`,
    );
    const truncated = join(dir, 'truncated.parquet');
    writeFileSync(truncated, readFileSync(path).subarray(0, 200));
    await expect(parquetInfo(truncated)).rejects.toThrow(`${truncated}: not a readable parquet file`);
  });

  it('rejects with the visit error and stops reading', async () => {
    const path = join(tempDir(), 'data.parquet');
    writeFixture(path, 10);
    const offsets: number[] = [];
    await expect(
      readParquet(path, ['label'], (_rows, offset) => {
        offsets.push(offset);
        if (offset === 4) throw new Error('bad row group');
      }),
    ).rejects.toThrow('bad row group');
    expect(offsets).toEqual([0, 4]);
  });
});
