import { inflateSync } from 'node:zlib';
import { ConfigError } from '../../../core/contracts/index.js';

/**
 * A MATLAB array from a Level 5 MAT-file. Cells are in column-major order; a char array is one string a row.
 * Numeric arrays of any class hold their real part as numbers (MATLAB may store a double array as miUINT8 and so on).
 */
export type MatArray =
  | { readonly kind: 'cell'; readonly dims: readonly number[]; readonly cells: readonly MatArray[] }
  | { readonly kind: 'char'; readonly dims: readonly number[]; readonly rows: readonly string[] }
  | {
      readonly kind: 'numeric';
      readonly className: string;
      readonly dims: readonly number[];
      readonly data: Float64Array;
    }
  /** Structs, objects, sparse arrays and the like: not read (skipped whole). */
  | { readonly kind: 'unsupported'; readonly className: string; readonly dims: readonly number[] };

const CLASSES = [
  '',
  'cell',
  'struct',
  'object',
  'char',
  'sparse',
  'double',
  'single',
  'int8',
  'uint8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
  'function',
  'opaque',
];
const MI = {
  INT8: 1,
  UINT8: 2,
  UINT16: 4,
  INT32: 5,
  UINT32: 6,
  MATRIX: 14,
  COMPRESSED: 15,
  UTF8: 16,
  UTF16: 17,
  UTF32: 18,
} as const;
/** Element size and reader of each numeric data type. */
const NUMERIC: Readonly<Record<number, readonly [number, (b: Buffer, at: number) => number]>> = {
  1: [1, (b, at) => b.readInt8(at)],
  2: [1, (b, at) => b.readUInt8(at)],
  3: [2, (b, at) => b.readInt16LE(at)],
  4: [2, (b, at) => b.readUInt16LE(at)],
  5: [4, (b, at) => b.readInt32LE(at)],
  6: [4, (b, at) => b.readUInt32LE(at)],
  7: [4, (b, at) => b.readFloatLE(at)],
  9: [8, (b, at) => b.readDoubleLE(at)],
  12: [8, (b, at) => Number(b.readBigInt64LE(at))],
  13: [8, (b, at) => Number(b.readBigUInt64LE(at))],
};

/** Where errors point: the file, and how to name a byte offset of the buffer being parsed. */
interface Context {
  readonly origin: string;
  readonly where: (offset: number) => string;
}

/** A data element: its type and data bytes `[start, end)`, and where the next element begins. */
interface Element {
  readonly at: number;
  readonly type: number;
  readonly start: number;
  readonly end: number;
  readonly next: number;
}

function fail(ctx: Context, at: number, problem: string): never {
  throw new ConfigError(`${ctx.origin}: ${problem} at ${ctx.where(at)}`);
}

/** The element at `at` (8-byte tag, or the small form: byte count in the upper 16 bits, data in 4 bytes), padded to 8 bytes. */
function element(buf: Buffer, at: number, limit: number, ctx: Context): Element {
  if (limit - at < 8) fail(ctx, at, `truncated MAT file: a data element tag needs 8 bytes, only ${limit - at} remain`);
  const tag = buf.readUInt32LE(at);
  if (tag >>> 16 !== 0) {
    const bytes = tag >>> 16;
    if (bytes > 4) fail(ctx, at, `malformed MAT file: a small data element claims ${bytes} bytes (at most 4)`);
    return { at, type: tag & 0xffff, start: at + 4, end: at + 4 + bytes, next: at + 8 };
  }
  const bytes = buf.readUInt32LE(at + 4);
  if (bytes > limit - at - 8)
    fail(
      ctx,
      at,
      `truncated MAT file: a data element of type ${tag} needs ${bytes} bytes, only ${limit - at - 8} remain`,
    );
  // Compressed elements are not padded; the others are padded to a multiple of 8 (tolerated when missing at the very end).
  const padded = tag === MI.COMPRESSED ? bytes : bytes + ((8 - (bytes % 8)) % 8);
  return { at, type: tag, start: at + 8, end: at + 8 + bytes, next: Math.min(at + 8 + padded, limit) };
}

function numbers(buf: Buffer, el: Element, ctx: Context): Float64Array {
  const numeric = NUMERIC[el.type];
  if (numeric === undefined) fail(ctx, el.at, `malformed MAT file: data type ${el.type} is not numeric`);
  const [size, read] = numeric;
  if ((el.end - el.start) % size !== 0)
    fail(ctx, el.at, `malformed MAT file: ${el.end - el.start} bytes is not a whole number of ${size}-byte values`);
  return Float64Array.from({ length: (el.end - el.start) / size }, (_, i) => read(buf, el.start + i * size));
}

/** The characters of a char array's data (miUINT16 / miUTF16 code units, miUTF8, miUTF32, or one byte each). */
function characters(buf: Buffer, el: Element, ctx: Context): string[] {
  const data = buf.subarray(el.start, el.end);
  switch (el.type) {
    case MI.UINT16:
    case MI.UTF16:
      return Array.from({ length: data.length >> 1 }, (_, i) => String.fromCharCode(data.readUInt16LE(2 * i)));
    case MI.UTF8:
      return Array.from(data.toString('utf8'));
    case MI.UTF32:
      return Array.from({ length: data.length >> 2 }, (_, i) => String.fromCodePoint(data.readUInt32LE(4 * i)));
    case MI.UINT8:
    case MI.INT8:
      return Array.from(data.toString('latin1'));
    default:
      return fail(ctx, el.at, `malformed MAT file: data type ${el.type} cannot hold characters`);
  }
}

/** A miMATRIX's contents `[start, end)`: array flags, dimensions, name, then cells or data. */
function matrix(buf: Buffer, start: number, end: number, ctx: Context): { name: string; value: MatArray } {
  // An empty miMATRIX element is how some writers store [] (e.g. an empty cell).
  if (start === end)
    return { name: '', value: { kind: 'numeric', className: 'double', dims: [0, 0], data: new Float64Array(0) } };
  const flags = element(buf, start, end, ctx);
  if (flags.type !== MI.UINT32 || flags.end - flags.start !== 8)
    fail(ctx, start, 'malformed MAT file: a matrix does not start with its array flags');
  const dimsEl = element(buf, flags.next, end, ctx);
  if (dimsEl.type !== MI.INT32 || (dimsEl.end - dimsEl.start) % 4 !== 0)
    fail(ctx, dimsEl.at, 'malformed MAT file: expected the dimensions (miINT32)');
  const nameEl = element(buf, dimsEl.next, end, ctx);
  if (nameEl.type !== MI.INT8 && nameEl.type !== MI.UINT8)
    fail(ctx, nameEl.at, 'malformed MAT file: expected the array name (miINT8)');
  const classId = buf.readUInt32LE(flags.start) & 0xff;
  const className = CLASSES[classId] ?? `class ${classId}`;
  const dims = Array.from({ length: (dimsEl.end - dimsEl.start) / 4 }, (_, i) => buf.readInt32LE(dimsEl.start + 4 * i));
  const name = buf.toString('latin1', nameEl.start, nameEl.end);
  const count = dims.reduce((a, b) => a * b, 1);
  if (className === 'cell') {
    const cells: MatArray[] = [];
    for (let i = 0, at = nameEl.next; i < count; i++) {
      const cell = element(buf, at, end, ctx);
      if (cell.type !== MI.MATRIX)
        fail(ctx, cell.at, `malformed MAT file: cell ${i + 1} of '${name}' is data type ${cell.type}, not a matrix`);
      cells.push(matrix(buf, cell.start, cell.end, ctx).value);
      at = cell.next;
    }
    return { name, value: { kind: 'cell', dims, cells } };
  }
  if (className === 'char') {
    const chars = count === 0 ? [] : characters(buf, element(buf, nameEl.next, end, ctx), ctx);
    if (chars.length !== count)
      fail(
        ctx,
        nameEl.next,
        `malformed MAT file: char array '${name}' of size ${dims.join('x')} holds ${chars.length} characters`,
      );
    const rows = dims[0] ?? 0;
    const cols = rows === 0 ? 0 : count / rows;
    return {
      name,
      value: {
        kind: 'char',
        dims,
        rows: Array.from({ length: rows }, (_, r) =>
          Array.from({ length: cols }, (_column, c) => chars[r + c * rows]).join(''),
        ),
      },
    };
  }
  if (classId >= 6 && classId <= 15) {
    const data = numbers(buf, element(buf, nameEl.next, end, ctx), ctx);
    if (data.length !== count)
      fail(
        ctx,
        nameEl.next,
        `malformed MAT file: ${className} array '${name}' of size ${dims.join('x')} holds ${data.length} values`,
      );
    return { name, value: { kind: 'numeric', className, dims, data } };
  }
  return { name, value: { kind: 'unsupported', className, dims } };
}

/** Reads the top-level elements of `buf` from `at` into `vars`, inflating miCOMPRESSED elements. */
function readElements(buf: Buffer, at: number, ctx: Context, vars: Map<string, MatArray>): void {
  while (at < buf.length) {
    const el = element(buf, at, buf.length, ctx);
    if (el.type === MI.COMPRESSED) {
      let inflated: Buffer;
      try {
        inflated = inflateSync(buf.subarray(el.start, el.end));
      } catch (error) {
        fail(ctx, el.at, `corrupt compressed data element (zlib: ${(error as Error).message})`);
      }
      readElements(
        inflated,
        0,
        { origin: ctx.origin, where: (offset) => `byte ${offset} of the compressed element at ${ctx.where(el.at)}` },
        vars,
      );
    } else if (el.type === MI.MATRIX) {
      const { name, value } = matrix(buf, el.start, el.end, ctx);
      vars.set(name, value);
    }
    at = el.next;
  }
}

/**
 * Parses a MATLAB Level 5 MAT-file (little-endian; raw or with miCOMPRESSED elements, as MATLAB -v6/-v7 and
 * scipy.io.savemat write it) into its variables by name. Errors name `origin` and the byte offset.
 */
export function readMat(bytes: Uint8Array, origin: string): Map<string, MatArray> {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 128)
    throw new ConfigError(`${origin}: truncated MAT file: the header needs 128 bytes, found ${buf.length}`);
  const text = buf.toString('latin1', 0, 116);
  if (text.startsWith('MATLAB 7.3'))
    throw new ConfigError(`${origin}: MATLAB 7.3 (HDF5) MAT-files are not supported; save with -v7 or -v6`);
  if (!text.startsWith('MATLAB 5.0 MAT-file'))
    throw new ConfigError(`${origin}: not a MATLAB 5.0 MAT-file (the header starts '${text.slice(0, 19)}')`);
  const endian = buf.toString('latin1', 126, 128);
  if (endian === 'MI')
    throw new ConfigError(`${origin}: big-endian MAT-files are not supported (endian indicator 'MI')`);
  if (endian !== 'IM')
    throw new ConfigError(
      `${origin}: malformed MAT file: endian indicator '${endian}' at byte 126 is neither 'IM' nor 'MI'`,
    );
  const version = buf.readUInt16LE(124);
  if (version !== 0x0100)
    throw new ConfigError(
      `${origin}: unsupported MAT-file version 0x${version.toString(16)} at byte 124 (expected 0x0100)`,
    );
  const vars = new Map<string, MatArray>();
  readElements(buf, 128, { origin, where: (offset) => `byte ${offset}` }, vars);
  return vars;
}

/** The strings of variable `name`, a cell array (any shape, column-major) of char rows, e.g. scipy's N x 1 cell of paths. */
export function matStrings(vars: ReadonlyMap<string, MatArray>, name: string, origin: string): string[] {
  const value = vars.get(name);
  if (value === undefined)
    throw new ConfigError(`${origin}: no variable '${name}' (variables: ${[...vars.keys()].join(', ') || 'none'})`);
  if (value.kind !== 'cell')
    throw new ConfigError(
      `${origin}: variable '${name}' is a ${value.kind === 'char' ? 'char' : value.className} array, expected a cell array of strings`,
    );
  return value.cells.map((cell, i) => {
    if (cell.kind === 'char' && cell.rows.length <= 1) return cell.rows[0] ?? '';
    // scipy writes a cell of single strings; some writers nest each string in a 1x1 cell.
    if (
      cell.kind === 'cell' &&
      cell.cells.length === 1 &&
      cell.cells[0]?.kind === 'char' &&
      cell.cells[0].rows.length <= 1
    )
      return cell.cells[0].rows[0] ?? '';
    throw new ConfigError(`${origin}: cell ${i + 1} of '${name}' is not a single string`);
  });
}

/** The values of numeric variable `name`, in column-major order. */
export function matNumbers(vars: ReadonlyMap<string, MatArray>, name: string, origin: string): Float64Array {
  const value = vars.get(name);
  if (value === undefined)
    throw new ConfigError(`${origin}: no variable '${name}' (variables: ${[...vars.keys()].join(', ') || 'none'})`);
  if (value.kind !== 'numeric')
    throw new ConfigError(
      `${origin}: variable '${name}' is a ${value.kind === 'char' ? 'char' : value.kind === 'cell' ? 'cell' : value.className} array, expected numbers`,
    );
  return value.data;
}
