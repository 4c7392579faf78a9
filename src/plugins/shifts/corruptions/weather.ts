import type { Rng } from '../../../core/tensor/index.js';
import { withData } from './image.js';
import type { Corrupt } from './image.js';
import type { FogParameters } from './parameters.js';

/**
 * A `size x size` (power of two) heightmap in [0,1] by the diamond-square algorithm on a torus, as the reference's
 * `plasma_fractal`: each level sets square centres, then edge midpoints, to the mean of their four neighbours plus
 * uniform noise of amplitude `wibble^2` (`wibble` starts at 100 and is divided by `wibbleDecay` per level).
 */
function plasmaFractal(size: number, wibbleDecay: number, rng: Rng): Float64Array {
  const map = new Float64Array(size * size);
  const at = (row: number, column: number) =>
    map[(((row % size) + size) % size) * size + (((column % size) + size) % size)]!;
  let wibble = 100;
  const displaced = (sum: number) => sum / 4 + wibble * wibble * (2 * rng.float() - 1);
  for (let step = size; step >= 2; step /= 2) {
    const half = step / 2;
    for (let top = 0; top < size; top += step) {
      for (let left = 0; left < size; left += step) {
        map[(top + half) * size + left + half] = displaced(
          at(top, left) + at(top + step, left) + at(top, left + step) + at(top + step, left + step),
        );
      }
    }
    for (let top = 0; top < size; top += step) {
      for (let left = 0; left < size; left += step) {
        map[top * size + left + half] = displaced(
          at(top - half, left + half) + at(top + half, left + half) + at(top, left) + at(top, left + step),
        );
      }
    }
    for (let top = 0; top < size; top += step) {
      for (let left = 0; left < size; left += step) {
        map[(top + half) * size + left] = displaced(
          at(top + half, left - half) + at(top + half, left + half) + at(top, left) + at(top + step, left),
        );
      }
    }
    wibble /= wibbleDecay;
  }
  const min = map.reduce((a, b) => Math.min(a, b));
  const max = map.reduce((a, b) => Math.max(a, b)) - min;
  return map.map((v) => (v - min) / max);
}

/**
 * Fog: adds `thickness` times a plasma fractal (the same for every channel), then rescales so that the image's
 * brightest value stays put: `(x + t * plasma) * max / (max + t)`. The fractal is the smallest power of two covering
 * the image (32 for CIFAR, 256 for ImageNet's 224, as in the reference), cropped at the top left.
 */
export const fog: Corrupt<FogParameters> = (image, { thickness, wibbleDecay }, rng) => {
  const { data, height, width, channels } = image;
  let size = 1;
  while (size < Math.max(height, width)) size *= 2;
  const plasma = plasmaFractal(size, wibbleDecay, rng);
  const max = data.reduce((a, b) => Math.max(a, b));
  const scale = max / (max + thickness);
  return withData(
    image,
    data.map((v, i) => {
      const pixel = Math.floor(i / channels);
      return (v + thickness * plasma[Math.floor(pixel / width) * size + (pixel % width)]!) * scale;
    }),
  );
};

/**
 * Brightness: adds `amount` to the HSV value (the largest channel), clipped at 1, hue and saturation kept. That round
 * trip through HSV scales every channel of a pixel by `newValue / value` (a black pixel becomes grey `amount`), which
 * is how it is computed here, for any number of channels.
 */
export const brightness: Corrupt<number> = (image, amount) => {
  const { data, channels } = image;
  const out = new Float32Array(data.length);
  for (let p = 0; p < data.length; p += channels) {
    const pixel = data.subarray(p, p + channels);
    const value = pixel.reduce((a, b) => Math.max(a, b));
    const brighter = Math.min(1, value + amount);
    pixel.forEach((v, c) => (out[p + c] = value > 0 ? (v * brighter) / value : brighter));
  }
  return withData(image, out);
};
