import { truncateSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cachedImageSplit } from '../../src/core/data/image-store.js';
import { tempDir } from '../helpers/index.js';

const image = (value: number): Uint8Array => new Uint8Array(2 * 2 * 3).fill(value);

describe('the on-disk image cache', () => {
  it('stores images written in any order and reads them back by index from disk', async () => {
    const base = join(tempDir(), 'cache', 'split');
    let builds = 0;
    const build = async (write: (i: number, p: Uint8Array) => void) => {
      builds++;
      for (const i of [2, 0, 1]) write(i, image(10 * (i + 1)));
      return Int32Array.from([7, 8, 9]);
    };
    const split = await cachedImageSplit(base, 3, 2, build);
    const batch = await split.read([2, 0]);
    expect([batch.pixels[0], batch.pixels[12]]).toEqual([30, 10]);
    expect([...batch.labels]).toEqual([9, 7]);
    expect(batch).toMatchObject({ count: 2, height: 2, width: 2, channels: 3 });
    await cachedImageSplit(base, 3, 2, build);
    expect(builds).toBe(1);
    truncateSync(`${base}.pixels`, 5); // a damaged entry is rebuilt, never served
    expect([...(await (await cachedImageSplit(base, 3, 2, build)).read([1])).pixels.subarray(0, 1)]).toEqual([20]);
    expect(builds).toBe(2);
    await expect(split.read([3])).rejects.toThrow('image index 3 is outside the split (0..2)');
  });

  it('refuses images of the wrong size and leaves no entry behind a failed build', async () => {
    const base = join(tempDir(), 'split');
    await expect(
      cachedImageSplit(base, 2, 2, async (write) => (write(0, new Uint8Array(5)), Int32Array.from([0, 0]))),
    ).rejects.toThrow('image 0 has 5 bytes, expected 12 (2x2 RGB)');
    let built = false;
    await cachedImageSplit(
      base,
      2,
      2,
      async (write) => ((built = true), write(0, image(1)), write(1, image(2)), Int32Array.from([0, 1])),
    );
    expect(built).toBe(true);
  });
});
