import { deflateSync } from 'node:zlib';

/**
 * A variable to write: `string[]` is an N x 1 cell of char rows, `number[]` an N x 1 double array, and
 * `{ uint8, dims }` a uint8 array of any shape (values in column-major order).
 */
export type MatVariable =
  readonly string[] | readonly number[] | { readonly uint8: Uint8Array; readonly dims: readonly number[] };

export interface MatWriteOptions {
  /** Each variable in its own miCOMPRESSED (zlib) element, as MATLAB -v7 and scipy's do_compression write. */
  readonly compress?: boolean;
  /** Char data as miUINT16 (MATLAB's own choice, default) or miUTF8. */
  readonly chars?: 'uint16' | 'utf8';
  /** Double data as miDOUBLE (default) or miUINT8, as MATLAB stores small whole numbers of a double array. */
  readonly doubles?: 'double' | 'uint8';
}

const MI = {
  INT8: 1,
  UINT8: 2,
  UINT16: 4,
  INT32: 5,
  UINT32: 6,
  DOUBLE: 9,
  MATRIX: 14,
  COMPRESSED: 15,
  UTF8: 16,
} as const;

/** A data element: the small form when the data fits in 4 bytes (as MATLAB writes names like 'a'), else tag + data + padding. */
function element(type: number, data: Buffer): Buffer {
  if (data.length <= 4 && type !== MI.MATRIX && data.length > 0) {
    const small = Buffer.alloc(8);
    small.writeUInt32LE(((data.length << 16) | type) >>> 0, 0);
    data.copy(small, 4);
    return small;
  }
  const tag = Buffer.alloc(8);
  tag.writeUInt32LE(type, 0);
  tag.writeUInt32LE(data.length, 4);
  return Buffer.concat([tag, data, Buffer.alloc((8 - (data.length % 8)) % 8)]);
}

function matrix(name: string, classId: number, dims: readonly number[], body: readonly Buffer[]): Buffer {
  const flags = Buffer.alloc(8);
  flags.writeUInt32LE(classId, 0);
  const dimData = Buffer.alloc(4 * dims.length);
  dims.forEach((d, i) => dimData.writeInt32LE(d, 4 * i));
  return element(
    MI.MATRIX,
    Buffer.concat([
      element(MI.UINT32, flags),
      element(MI.INT32, dimData),
      element(MI.INT8, Buffer.from(name, 'latin1')),
      ...body,
    ]),
  );
}

/** A 1 x N char row (column-major order is the string's own order), or 0 x 0 when empty. */
function charRow(text: string, chars: 'uint16' | 'utf8'): Buffer {
  const data =
    chars === 'utf8'
      ? Buffer.from(text, 'utf8')
      : Buffer.from(Uint16Array.from({ length: text.length }, (_, i) => text.charCodeAt(i)).buffer);
  return matrix('', 4, text.length === 0 ? [0, 0] : [1, text.length], [
    element(chars === 'utf8' ? MI.UTF8 : MI.UINT16, data),
  ]);
}

function variable(name: string, value: MatVariable, options: MatWriteOptions): Buffer {
  if ('uint8' in value) return matrix(name, 9, value.dims, [element(MI.UINT8, Buffer.from(value.uint8))]);
  const n = value.length;
  if (!value.some((v) => typeof v === 'number'))
    return matrix(
      name,
      1,
      [n, 1],
      (value as readonly string[]).map((s) => charRow(s, options.chars ?? 'uint16')),
    );
  const numbers = value as readonly number[];
  const data =
    options.doubles === 'uint8'
      ? Buffer.from(Uint8Array.from(numbers))
      : Buffer.from(Float64Array.from(numbers).buffer);
  return matrix(name, 6, [n, 1], [element(options.doubles === 'uint8' ? MI.UINT8 : MI.DOUBLE, data)]);
}

/** A little-endian MATLAB Level 5 MAT-file holding `vars`, in the layout scipy.io.savemat and MATLAB write. */
export function writeMat(vars: Readonly<Record<string, MatVariable>>, options: MatWriteOptions = {}): Buffer {
  const header = Buffer.alloc(128, ' ');
  header.write('MATLAB 5.0 MAT-file, Platform: paretune test, Created on: Thu Jan  1 00:00:00 2026', 0, 'latin1');
  header.fill(0, 116, 124); // subsystem data offset: none
  header.writeUInt16LE(0x0100, 124);
  header.write('IM', 126, 'latin1');
  const elements = Object.entries(vars).map(([name, value]) => {
    const raw = variable(name, value, options);
    if (!options.compress) return raw;
    const packed = deflateSync(raw);
    const tag = Buffer.alloc(8);
    tag.writeUInt32LE(MI.COMPRESSED, 0);
    tag.writeUInt32LE(packed.length, 4);
    return Buffer.concat([tag, packed]); // compressed elements are not padded
  });
  return Buffer.concat([header, ...elements]);
}
