import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { decodeImage } from '../src/core/data/images.js';
import { Rng } from '../src/core/tensor/rng.js';

/** JPEG decode + resize throughput (images/s) to 32 and 224 px, on photo-sized inputs (about 500x375, quality 85). */
export async function benchDecode(count = 120): Promise<void> {
  const rng = Rng.fromSeed(0);
  const jpegs: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const width = 400 + rng.int(0, 160);
    const height = 300 + rng.int(0, 150);
    const noise = Uint8Array.from({ length: width * height * 3 }, (_, k) =>
      k % 3 === 0 ? (k / 3) % 256 : rng.int(0, 255),
    );
    jpegs.push(
      await sharp(noise, { raw: { width, height, channels: 3 } })
        .jpeg({ quality: 85 })
        .toBuffer(),
    );
  }
  for (const size of [32, 224]) {
    const start = performance.now();
    for (const [i, jpeg] of jpegs.entries()) await decodeImage(jpeg, size, `image ${i}`);
    const seconds = (performance.now() - start) / 1000;
    console.log(
      `decode + resize JPEG (about 500x375) to ${String(size).padStart(3)} px: ${(count / seconds).toFixed(0).padStart(5)} images/s`,
    );
  }
}
