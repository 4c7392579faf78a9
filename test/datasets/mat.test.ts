import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/contracts/index.js';
import { matNumbers, matStrings, readMat } from '../../src/plugins/datasets/shared/mat.js';
import { writeMat } from '../helpers/mat-writer.js';

const FILES = [
  'n02085620-Chihuahua/n02085620_10074.jpg',
  'n02086240-Shih-Tzu/n02086240_1011.jpg',
  'n02116738-African_hunting_dog/n02116738_10024.jpg',
  'ünïcödé/Ωmega.jpg',
];
const LABELS = [1, 5, 120, 7];

/** A 128-byte little-endian MAT v5 header. */
function header(text = 'MATLAB 5.0 MAT-file, hand-built', endian = 'IM', version = 0x0100): Buffer {
  const h = Buffer.alloc(128, ' ');
  h.write(text, 0, 'latin1');
  h.writeUInt16LE(version, 124);
  h.write(endian, 126, 'latin1');
  return h;
}

/** Little-endian uint32 words. */
const u32 = (...words: number[]): Buffer => Buffer.from(Uint32Array.from(words).buffer);
/** A small-form data element: byte count in the upper 16 bits of the tag, then up to 4 data bytes. */
const small = (type: number, data: number[]): Buffer =>
  Buffer.concat([u32(((data.length << 16) | type) >>> 0), Buffer.from([...data, 0, 0, 0, 0].slice(0, 4))]);

describe('readMat (MATLAB Level 5)', () => {
  it.each([
    { compress: false, chars: 'uint16', doubles: 'double' },
    { compress: true, chars: 'uint16', doubles: 'double' },
    { compress: true, chars: 'utf8', doubles: 'uint8' },
    { compress: false, chars: 'utf8', doubles: 'uint8' },
  ] as const)('reads back cells of strings and N x 1 doubles written with %o', (options) => {
    const bytes = writeMat(
      { file_list: FILES, annotation_list: FILES.map((f) => f.replace(/\.jpg$/, '')), labels: LABELS },
      options,
    );
    expect(bytes.readUInt32LE(128)).toBe(options.compress ? 15 : 14);
    const vars = readMat(bytes, 'x.mat');
    expect([...vars.keys()]).toEqual(['file_list', 'annotation_list', 'labels']);
    expect(matStrings(vars, 'file_list', 'x.mat')).toEqual(FILES);
    expect(matStrings(vars, 'annotation_list', 'x.mat')[2]).toBe('n02116738-African_hunting_dog/n02116738_10024');
    expect([...matNumbers(vars, 'labels', 'x.mat')]).toEqual(LABELS);
    expect(vars.get('file_list')).toMatchObject({ kind: 'cell', dims: [4, 1] });
    expect(vars.get('labels')).toMatchObject({ kind: 'numeric', className: 'double', dims: [4, 1] });
    expect(() => matNumbers(vars, 'file_list', 'x.mat')).toThrow(
      "x.mat: variable 'file_list' is a cell array, expected numbers",
    );
    expect(() => matStrings(vars, 'nothing', 'x.mat')).toThrow(
      "x.mat: no variable 'nothing' (variables: file_list, annotation_list, labels)",
    );
  });

  it('reads hand-built bytes: small data elements, miUTF8 and miINT8 chars, a column-major 2-row char array, miUINT8 doubles', () => {
    const matrix = (...parts: Buffer[]): Buffer => {
      const body = Buffer.concat(parts);
      return Buffer.concat([u32(14, body.length), body]);
    };
    const flags = (classId: number): Buffer => Buffer.concat([u32(6, 8), u32(classId, 0)]);
    // 'a' = 'dög': 1x3 char, name and the 4 UTF-8 bytes each in a small element.
    const a = matrix(flags(4), u32(5, 8, 1, 3), small(1, [0x61]), small(16, [0x64, 0xc3, 0xb6, 0x67]));
    // 'm' = ['ab'; 'cd']: 2x2 char, column-major 'acbd' as miINT8 in a small element.
    const m = matrix(flags(4), u32(5, 8, 2, 2), small(1, [0x6d]), small(1, [0x61, 0x63, 0x62, 0x64]));
    // 'n' = [7; 250]: 2x1 double stored as miUINT8 (as MATLAB saves small whole numbers).
    const n = matrix(flags(6), u32(5, 8, 2, 1), small(1, [0x6e]), small(2, [7, 250]));
    // 'c' = {'hi'}: 1x1 cell holding a 1x2 char in miUINT16 (4 bytes: a small element too).
    const hi = matrix(flags(4), u32(5, 8, 1, 2), u32(1, 0), small(4, [0x68, 0, 0x69, 0]));
    const c = matrix(flags(1), u32(5, 8, 1, 1), small(1, [0x63]), hi);
    const vars = readMat(Buffer.concat([header(), a, m, n, c]), 'hand.mat');
    expect(vars.get('a')).toEqual({ kind: 'char', dims: [1, 3], rows: ['dög'] });
    expect(vars.get('m')).toEqual({ kind: 'char', dims: [2, 2], rows: ['ab', 'cd'] });
    expect([...matNumbers(vars, 'n', 'hand.mat')]).toEqual([7, 250]);
    expect(matStrings(vars, 'c', 'hand.mat')).toEqual(['hi']);
  });

  it('names the file and the byte offset of truncated or malformed input', () => {
    const plain = writeMat({ file_list: FILES, labels: LABELS });
    expect(() => readMat(plain.subarray(0, plain.length - 20), 'cut.mat')).toThrow(
      /^cut\.mat: truncated MAT file: a data element of type 14 needs \d+ bytes, only \d+ remain at byte \d+$/,
    );
    expect(() => readMat(plain.subarray(0, 300), 'cut.mat')).toThrow(
      'cut.mat: truncated MAT file: a data element of type 14 needs',
    );
    expect(() => readMat(plain.subarray(0, 300), 'cut.mat')).toThrow(/remain at byte 128$/);
    expect(() => readMat(plain.subarray(0, 132), 'cut.mat')).toThrow(
      'cut.mat: truncated MAT file: a data element tag needs 8 bytes, only 4 remain at byte 128',
    );
    expect(() => readMat(plain.subarray(0, 100), 'cut.mat')).toThrow(ConfigError);
    expect(() => readMat(plain.subarray(0, 100), 'cut.mat')).toThrow(
      'cut.mat: truncated MAT file: the header needs 128 bytes, found 100',
    );
    const packed = writeMat({ file_list: FILES }, { compress: true });
    expect(() => readMat(packed.subarray(0, packed.length - 5), 'z.mat')).toThrow(
      /^z\.mat: truncated MAT file: a data element of type 15 needs \d+ bytes, only \d+ remain at byte 128$/,
    );
    // A complete zlib stream whose matrix inside is cut short: the offset is given inside the compressed element.
    const inner = plain.subarray(128, 200);
    const cutInside = Buffer.concat([header(), u32(15, deflateSync(inner).length), deflateSync(inner)]);
    expect(() => readMat(cutInside, 'in.mat')).toThrow(
      /^in\.mat: truncated MAT file: .* at byte 0 of the compressed element at byte 128$/,
    );
    const garbage = Buffer.concat([header(), u32(15, 8), Buffer.alloc(8, 0x55)]);
    expect(() => readMat(garbage, 'g.mat')).toThrow(
      /^g\.mat: corrupt compressed data element \(zlib: .*\) at byte 128$/,
    );
  });

  it('rejects big-endian, v7.3 (HDF5) and non-MAT files with a clear message', () => {
    expect(() => readMat(header(undefined, 'MI'), 'be.mat')).toThrow(
      "be.mat: big-endian MAT-files are not supported (endian indicator 'MI')",
    );
    expect(() => readMat(header('MATLAB 7.3 MAT-file, Platform: GLNXA64'), 'h5.mat')).toThrow(
      'h5.mat: MATLAB 7.3 (HDF5) MAT-files are not supported',
    );
    expect(() => readMat(Buffer.alloc(200, 1), 'junk.mat')).toThrow('junk.mat: not a MATLAB 5.0 MAT-file');
    expect(() => readMat(header(undefined, 'IM', 0x0200), 'v.mat')).toThrow(
      'v.mat: unsupported MAT-file version 0x200 at byte 124',
    );
    expect(readMat(header(), 'empty.mat').size).toBe(0);
  });
});
