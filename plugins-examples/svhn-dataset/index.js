import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { ConfigError, definePlugin, memorySplit, z } from 'paretune/plugin';

const URL_BASE = 'http://ufldl.stanford.edu/housenumbers';
const FILES = { train: 'train_32x32.mat', test: 'test_32x32.mat', extra: 'extra_32x32.mat' };

/** MAT v5 data types this reader understands: byte size and typed-array constructor of each numeric type. */
const TYPES = {
  1: Int8Array,
  2: Uint8Array,
  3: Int16Array,
  4: Uint16Array,
  5: Int32Array,
  6: Uint32Array,
  7: Float32Array,
  9: Float64Array,
};
const MATRIX = 14;
const COMPRESSED = 15;

/** One data element at `at`: type, data bytes and where the next element starts (small elements pack data into the tag). */
function element(buf, at, file) {
  if (at + 8 > buf.length) throw new ConfigError(`${file}: truncated MAT file at byte ${at}`);
  const first = buf.readUInt32LE(at);
  if (first >>> 16 !== 0)
    return { type: first & 0xffff, data: buf.subarray(at + 4, at + 4 + (first >>> 16)), next: at + 8 };
  const size = buf.readUInt32LE(at + 4);
  if (at + 8 + size > buf.length)
    throw new ConfigError(`${file}: truncated MAT file: an element at byte ${at} needs ${size} bytes`);
  const padded = first === COMPRESSED ? size : Math.ceil(size / 8) * 8;
  return { type: first, data: buf.subarray(at + 8, at + 8 + size), next: at + 8 + padded };
}

/** The numeric arrays of a MATLAB 5.0 MAT-file by name, as `{ dims, values }` in column-major order (other kinds skipped). */
export function readNumericMat(bytes, file) {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = buf.toString('latin1', 0, Math.min(116, buf.length));
  if (!header.startsWith('MATLAB 5.0 MAT-file')) {
    throw new ConfigError(
      `${file}: not a MATLAB 5.0 MAT-file${header.startsWith('MATLAB 7.3') ? ' (7.3 is HDF5; save with -v7)' : ''}`,
    );
  }
  if (buf.toString('latin1', 126, 128) !== 'IM')
    throw new ConfigError(`${file}: only little-endian MAT-files are supported`);
  const arrays = new Map();
  const walk = (data, at) => {
    while (at < data.length) {
      const el = element(data, at, file);
      if (el.type === COMPRESSED) walk(inflateSync(el.data), 0);
      else if (el.type === MATRIX) {
        const flags = element(el.data, 0, file);
        const dims = element(el.data, flags.next, file);
        const name = element(el.data, dims.next, file);
        const classId = flags.data.readUInt32LE(0) & 0xff;
        const shape = Array.from({ length: dims.data.length / 4 }, (_, i) => dims.data.readInt32LE(4 * i));
        if (classId >= 6 && classId <= 13) {
          const real = element(el.data, name.next, file);
          const Type = TYPES[real.type];
          if (Type === undefined)
            throw new ConfigError(
              `${file}: array '${name.data.toString('latin1')}' has MAT data type ${real.type}, which this reader does not handle`,
            );
          // Copy into an aligned buffer: typed arrays need offsets that are multiples of their element size.
          const values = new Type(Uint8Array.from(real.data).buffer);
          arrays.set(name.data.toString('latin1'), { dims: shape, values });
        }
      }
      at = el.next;
    }
  };
  walk(buf, 128);
  return arrays;
}

/** SVHN's `X` (32 x 32 x 3 x N, column-major) as N RGB images, row-major HWC; `y` 1..10 as labels 0..9 (10 is the digit 0). */
export function svhnImages(arrays, file) {
  const X = arrays.get('X');
  const y = arrays.get('y');
  if (X === undefined || y === undefined)
    throw new ConfigError(
      `${file}: expected variables 'X' and 'y' (found: ${[...arrays.keys()].join(', ') || 'none'})`,
    );
  const [height, width, channels, count] = X.dims;
  if (X.dims.length !== 4 || channels !== 3)
    throw new ConfigError(`${file}: 'X' is ${X.dims.join('x')}, expected height x width x 3 x N`);
  if (y.values.length !== count)
    throw new ConfigError(`${file}: 'y' holds ${y.values.length} labels for ${count} images`);
  const pixels = new Uint8Array(count * height * width * 3);
  const plane = height * width;
  for (let n = 0; n < count; n++) {
    for (let c = 0; c < 3; c++) {
      for (let col = 0; col < width; col++) {
        for (let row = 0; row < height; row++) {
          pixels[((n * height + row) * width + col) * 3 + c] = X.values[row + height * col + plane * c + plane * 3 * n];
        }
      }
    }
  }
  const labels = Int32Array.from(y.values, (v, i) => {
    if (!(v >= 1 && v <= 10)) throw new ConfigError(`${file}: label ${v} of image ${i + 1} is outside 1..10`);
    return v % 10;
  });
  return { pixels, labels, height, width };
}

/**
 * The Street View House Numbers (Netzer et al., 2011), cropped digits: 32 x 32 RGB, 10 classes, 73,257 training and
 * 26,032 test images (plus 531,131 `extra`), from the official MATLAB files train_32x32.mat and test_32x32.mat
 * (downloaded, or read from `dir`).
 */
export default definePlugin({
  family: 'dataset',
  meta: {
    name: 'svhn',
    version: '1.0.0',
    apiVersion: 1,
    description: 'SVHN cropped digits (32x32 RGB, 10 classes) from the official MATLAB files.',
  },
  configSchema: z.object({ dir: z.string().min(1).optional() }).strict(),
  describe: () => ({
    numClasses: 10,
    classNames: Array.from({ length: 10 }, (_, d) => String(d)),
    splits: ['train', 'test', 'extra'],
    nativeResolution: 32,
  }),
  availability({ dir }, files) {
    const paths = [FILES.train, FILES.test].map((f) => join(dir ?? files.dir, f));
    const present = paths.every((p) => existsSync(p));
    return present
      ? { present, bytes: paths.reduce((sum, p) => sum + statSync(p).size, 0), detail: dir ?? files.dir }
      : {
          present,
          detail: `missing; paretune downloads ${FILES.train} and ${FILES.test} into ${files.dir}, or set dir`,
        };
  },
  async open(split, { dir }, { imageSize, files }) {
    const name = FILES[split];
    if (name === undefined) throw new ConfigError(`svhn has no split '${split}' (splits: train, test, extra)`);
    const path = await files.fetch(
      dir === undefined
        ? { name, urls: [`${URL_BASE}/${name}`], localPaths: [] }
        : { name, urls: [], localPaths: [join(dir, name)], hint: `the config's dir (${dir}) must hold ${name}` },
    );
    const images = svhnImages(readNumericMat(await readFile(path), path), path);
    return { ...memorySplit(images, imageSize, files), source: path };
  },
});
