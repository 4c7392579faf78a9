import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';
import * as tar from 'tar';
import { tempDir } from './temp.js';

/** A CIFAR binary archive with `records` per batch file; record i has label i % classes and pixel bytes (i + offset) % 251. */
export async function cifarArchive(
  dir: string,
  name: string,
  folder: string,
  batches: Record<string, number>,
  labelBytes: 1 | 2,
  cut = 0,
): Promise<void> {
  const root = join(tempDir(), folder);
  mkdirSync(root);
  for (const [file, records] of Object.entries(batches)) {
    const bytes = Buffer.alloc(records * (labelBytes + 3072));
    for (let i = 0; i < records; i++) {
      const offset = i * (labelBytes + 3072);
      bytes[offset] = i % 20;
      if (labelBytes === 2) bytes[offset + 1] = (i * 3) % 100;
      for (let p = 0; p < 3072; p++) bytes[offset + labelBytes + p] = (i + p) % 251;
    }
    writeFileSync(join(root, file), bytes.subarray(0, bytes.length - cut));
  }
  mkdirSync(dir, { recursive: true });
  await tar.c({ gzip: true, file: join(dir, name), cwd: join(root, '..'), portable: true }, [folder]);
}

/** Writes `files` (path -> contents) under a fresh folder and packs them into `archive` (gzip-compressed if `gzip`). */
export async function packTar(archive: string, files: Record<string, Buffer | string>, gzip: boolean): Promise<void> {
  const root = tempDir();
  for (const [path, contents] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), contents);
  }
  mkdirSync(join(archive, '..'), { recursive: true });
  await tar.c({ gzip, file: archive, cwd: root, portable: true }, Object.keys(files));
}

/** A small (20x14) solid-colour JPEG whose red channel encodes `red`; gray (one channel) if asked. */
export function solidJpeg(red: number, grayscale = false): Promise<Buffer> {
  const image = sharp({ create: { width: 20, height: 14, channels: 3, background: { r: red, g: 80, b: 160 } } });
  return (grayscale ? image.grayscale() : image).jpeg({ quality: 95 }).toBuffer();
}

/** An IDX file as Fashion-MNIST ships it: big-endian magic and dimensions, then bytes; gzip-compressed. */
export function idxFile(magic: number, dims: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return gzipSync(Buffer.concat([header, data]));
}

/** The four Fashion-MNIST files in `dir`, the same images and labels for train and t10k. */
export function fashionMnistFiles(dir: string, images: Uint8Array, labels: Uint8Array): void {
  for (const prefix of ['train', 't10k']) {
    writeFileSync(join(dir, `${prefix}-images-idx3-ubyte.gz`), idxFile(0x803, [labels.length, 28, 28], images));
    writeFileSync(join(dir, `${prefix}-labels-idx1-ubyte.gz`), idxFile(0x801, [labels.length], labels));
  }
}

/**
 * One folder per class under `root` with `count` images each: image i is `img<i>.jpg` when i % 3 is 0, else a PNG
 * (RGBA when i is odd), 12 + i by 9 pixels, red 200 for the class `cat` and 10 for the others.
 */
export async function imageFolderTree(root: string, classes: Record<string, number>): Promise<void> {
  for (const [name, count] of Object.entries(classes)) {
    mkdirSync(join(root, name), { recursive: true });
    for (let i = 0; i < count; i++) {
      const colour = { r: name === 'cat' ? 200 : 10, g: 20 * i, b: 50 };
      const image = sharp({
        create: { width: 12 + i, height: 9, channels: i % 2 === 0 ? 3 : 4, background: colour },
      });
      await (i % 3 === 0 ? image.jpeg() : image.png()).toFile(
        join(root, name, `img${i}.${i % 3 === 0 ? 'jpg' : 'png'}`),
      );
    }
  }
}
