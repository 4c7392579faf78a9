import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { fileError, isDirectoryError, UserError } from '../contracts/errors.js';

/**
 * safetensors I/O (https://github.com/huggingface/safetensors): `[u64 LE header length N][N bytes JSON
 * header][data]`, the header mapping each tensor name to `{ dtype, shape, data_offsets: [begin, end] }`
 * relative to the data section. Written here (about a hundred lines) because no maintained npm package reads
 * it into typed arrays without holding the file twice; tensors are read one slice at a time.
 */

/** Dtypes read as float32. */
const BYTES_PER_ELEMENT = { F32: 4, F16: 2, BF16: 2 } as const;
export type FloatDtype = keyof typeof BYTES_PER_ELEMENT;

export interface TensorEntry {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  /** Byte range in the file (absolute). */
  readonly begin: number;
  readonly end: number;
}

export interface SafetensorsHeader {
  readonly file: string;
  readonly tensors: ReadonlyMap<string, TensorEntry>;
  readonly metadata: Readonly<Record<string, string>>;
}

export class CheckpointError extends UserError {
  override readonly name = 'CheckpointError';
}

function readExactly(fd: number, length: number, position: number): Buffer {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buffer, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return buffer.subarray(0, done);
}

/** Opens a file the user named, or throws a user error saying what it should have been. */
function openFile(file: string, flags: 'r' | 'w', expected: string): number {
  let fd: number;
  try {
    fd = openSync(file, flags);
  } catch (error) {
    throw fileError(error, file, expected);
  }
  // a directory opens for reading; only reading it fails
  if (fstatSync(fd).isDirectory()) {
    closeSync(fd);
    throw isDirectoryError(file, expected);
  }
  return fd;
}

/**
 * Parses and checks the header: every tensor's byte range must lie in the file and match its shape.
 * @param expected - what the file should be, for the message when it cannot be opened.
 */
export function readSafetensorsHeader(file: string, expected = 'a safetensors file'): SafetensorsHeader {
  const fd = openFile(file, 'r', expected);
  try {
    const size = fstatSync(fd).size;
    if (size < 8)
      throw new CheckpointError(`${file}: not a safetensors file (${size} bytes, the 8-byte header length is missing)`);
    const headerLength = Number(readExactly(fd, 8, 0).readBigUInt64LE(0));
    if (8 + headerLength > size) {
      throw new CheckpointError(
        `${file}: truncated or not safetensors: header of ${headerLength} bytes at byte offset 8 exceeds the file size ${size}`,
      );
    }
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(readExactly(fd, headerLength, 8).toString('utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new CheckpointError(
        `${file}: the header (bytes 8-${8 + headerLength}) is not valid JSON: ${(error as Error).message}`,
      );
    }
    const dataStart = 8 + headerLength;
    const tensors = new Map<string, TensorEntry>();
    for (const [name, value] of Object.entries(json)) {
      if (name === '__metadata__') continue;
      const entry = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
      const shape = entry.shape;
      const offsets = entry.data_offsets;
      if (typeof entry.dtype !== 'string' || !Array.isArray(shape) || !Array.isArray(offsets) || offsets.length !== 2) {
        throw new CheckpointError(`${file}: header entry for tensor '${name}' lacks dtype, shape or data_offsets`);
      }
      const [from, to] = offsets as [number, number];
      const begin = dataStart + from;
      const end = dataStart + to;
      if (end > size) {
        throw new CheckpointError(
          `${file}: truncated: tensor '${name}' spans byte offsets ${begin}-${end}, but the file ends at byte ${size}`,
        );
      }
      const width = BYTES_PER_ELEMENT[entry.dtype as FloatDtype];
      const count = (shape as number[]).reduce((a, b) => a * b, 1);
      if (width !== undefined && end - begin !== count * width) {
        throw new CheckpointError(
          `${file}: tensor '${name}' (${entry.dtype} [${shape.join(', ')}]) needs ${count * width} bytes but its data_offsets give ${end - begin}`,
        );
      }
      tensors.set(name, { name, dtype: entry.dtype, shape: shape as number[], begin, end });
    }
    return { file, tensors, metadata: (json['__metadata__'] ?? {}) as Record<string, string> };
  } finally {
    closeSync(fd);
  }
}

/** float16 bits to float32 value. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : Number.NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** Reads one tensor as float32 (from F32, F16 or BF16). */
export function readTensor(header: SafetensorsHeader, name: string): Float32Array {
  const entry = header.tensors.get(name);
  if (entry === undefined) throw new CheckpointError(`${header.file}: no tensor named '${name}'`);
  if (!(entry.dtype in BYTES_PER_ELEMENT)) {
    throw new CheckpointError(`${header.file}: tensor '${name}' has dtype ${entry.dtype}; expected F32, F16 or BF16`);
  }
  const fd = openSync(header.file, 'r');
  let bytes: Buffer;
  try {
    bytes = readExactly(fd, entry.end - entry.begin, entry.begin);
  } finally {
    closeSync(fd);
  }
  const count = (entry.end - entry.begin) / BYTES_PER_ELEMENT[entry.dtype as FloatDtype];
  const out = new Float32Array(count);
  if (entry.dtype === 'F32') {
    new Uint8Array(out.buffer).set(bytes);
  } else if (entry.dtype === 'BF16') {
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) bits[i] = bytes.readUInt16LE(2 * i) << 16;
  } else {
    for (let i = 0; i < count; i++) out[i] = halfToFloat(bytes.readUInt16LE(2 * i));
  }
  return out;
}

/** Writes float32 tensors (in the given order) with optional string metadata. */
export function writeSafetensors(
  file: string,
  tensors: ReadonlyMap<string, { readonly shape: readonly number[]; readonly data: Float32Array }>,
  metadata: Readonly<Record<string, string>> = {},
): void {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header['__metadata__'] = metadata;
  let offset = 0;
  for (const [name, { shape, data }] of tensors) {
    const count = shape.reduce((a, b) => a * b, 1);
    if (count !== data.length)
      throw new CheckpointError(
        `tensor '${name}': shape [${shape.join(', ')}] holds ${count} values, got ${data.length}`,
      );
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  // Space-pad so the data section starts 8-byte aligned, as the reference writer does.
  const headerBytes = Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, ' ')]);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(headerBytes.length));
  const fd = openFile(file, 'w', 'a path for a new safetensors file');
  try {
    writeSync(fd, length);
    writeSync(fd, headerBytes);
    for (const { data } of tensors.values())
      writeSync(fd, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  } finally {
    closeSync(fd);
  }
}
