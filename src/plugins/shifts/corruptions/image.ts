import type { Rng } from '../../../core/tensor/index.js';

/** One image as floats, row-major `height x width x channels` (one row of an NHWC batch). */
export interface Image {
  readonly data: Float32Array;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

/** A corruption at one severity's parameter. Never mutates its input; the result may leave [0,1] (the caller clips). */
export type Corrupt<P> = (image: Image, parameter: P, rng: Rng) => Image;

/** `image`'s geometry with other values. */
export const withData = (image: Image, data: Float32Array): Image => ({
  data,
  height: image.height,
  width: image.width,
  channels: image.channels,
});

/**
 * How filters read past an edge (`abcd` is the row):
 * - `reflect101`: `dcb|abcd|cba`, OpenCV's default (BORDER_REFLECT_101; SciPy's `mirror`);
 * - `reflect`: `cba|abcd|dcb`, SciPy's `reflect` (half-sample symmetric);
 * - `nearest`: `aaa|abcd|ddd`, SciPy's `nearest`, scikit-image's default for `gaussian`.
 */
export type Border = 'reflect101' | 'reflect' | 'nearest';

/** The in-range index that position `i` of an axis of length `n` reads under `border`; periodic, so any distance works. */
function borderIndex(i: number, n: number, border: Border): number {
  if (i >= 0 && i < n) return i;
  if (border === 'nearest' || n === 1) return i < 0 ? 0 : n - 1;
  const period = border === 'reflect' ? 2 * n : 2 * n - 2;
  const m = ((i % period) + period) % period;
  if (m < n) return m;
  return border === 'reflect' ? period - 1 - m : period - m;
}

/** One output position of a linear map along an axis: `sum_k weights[k] * input[sources[k]]`. */
interface AxisTaps {
  readonly sources: readonly number[];
  readonly weights: readonly number[];
}

/** A linear map along one axis, one entry per output position (its length is the output's size on that axis). */
export type AxisMap = readonly AxisTaps[];

/** Applies `map` along `axis` (`y`: down the columns, `x`: along the rows) to every channel. */
export function applyAxisMap(image: Image, axis: 'y' | 'x', map: AxisMap): Image {
  const { data, height, width, channels } = image;
  const outHeight = axis === 'y' ? map.length : height;
  const outWidth = axis === 'x' ? map.length : width;
  const stride = axis === 'y' ? width * channels : channels;
  const out = new Float32Array(outHeight * outWidth * channels);
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      const { sources, weights } = map[axis === 'y' ? y : x]!;
      const base = axis === 'y' ? x * channels : y * width * channels;
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let k = 0; k < sources.length; k++) sum += weights[k]! * data[base + sources[k]! * stride + c]!;
        out[(y * outWidth + x) * channels + c] = sum;
      }
    }
  }
  return { data: out, height: outHeight, width: outWidth, channels };
}

/**
 * Correlation of an axis of length `size` with the centred kernel `taps`, edges read through `border`. Taps that
 * land on one source (a kernel wider than the axis reflects onto itself) are merged, so cost is at most `size` per position.
 */
function convolutionMap(size: number, taps: Float64Array, border: Border): AxisMap {
  const radius = (taps.length - 1) / 2;
  const merged = new Float64Array(size);
  return Array.from({ length: size }, (_, position) => {
    merged.fill(0);
    taps.forEach((weight, k) => (merged[borderIndex(position + k - radius, size, border)]! += weight));
    const sources: number[] = [];
    const weights: number[] = [];
    merged.forEach((weight, source) => {
      if (weight === 0) return;
      sources.push(source);
      weights.push(weight);
    });
    return { sources, weights };
  });
}

/** The Gaussian of standard deviation `sigma` sampled at `-radius..radius`, normalised to sum 1. */
function gaussianTaps(sigma: number, radius: number): Float64Array {
  if (radius === 0) return Float64Array.of(1);
  const taps = Float64Array.from({ length: 2 * radius + 1 }, (_, k) => Math.exp(-0.5 * ((k - radius) / sigma) ** 2));
  const total = taps.reduce((a, b) => a + b, 0);
  return taps.map((t) => t / total);
}

/** SciPy's Gaussian kernel radius for `truncate` standard deviations (`gaussian_filter`, what scikit-image calls). */
export const scipyGaussianRadius = (sigma: number, truncate: number): number => Math.floor(truncate * sigma + 0.5);

/** Separable Gaussian blur of every channel (not across channels), kernel `-radius..radius`. */
export function gaussianBlur(image: Image, sigma: number, radius: number, border: Border): Image {
  const taps = gaussianTaps(sigma, radius);
  const blurredY = applyAxisMap(image, 'y', convolutionMap(image.height, taps, border));
  return applyAxisMap(blurredY, 'x', convolutionMap(image.width, taps, border));
}

/** Correlation of every channel with a square `size x size` kernel (row-major), edges read through `border`. */
export function correlate2d(image: Image, kernel: Float64Array, size: number, border: Border): Image {
  const { data, height, width, channels } = image;
  const radius = (size - 1) / 2;
  const neighbours = (n: number) =>
    Int32Array.from({ length: n * size }, (_, i) => borderIndex(Math.floor(i / size) + (i % size) - radius, n, border));
  const rows = neighbours(height);
  const columns = neighbours(width);
  // Disk kernels are mostly zeros on their square grid: visit only the non-zero taps.
  const taps = Array.from(kernel, (weight, k) => ({ ky: Math.floor(k / size), kx: k % size, weight })).filter(
    (tap) => tap.weight !== 0,
  );
  const sums = new Float64Array(channels);
  const out = new Float32Array(data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      sums.fill(0);
      for (const { ky, kx, weight } of taps) {
        const source = (rows[y * size + ky]! * width + columns[x * size + kx]!) * channels;
        for (let c = 0; c < channels; c++) sums[c]! += weight * data[source + c]!;
      }
      out.set(sums, (y * width + x) * channels);
    }
  }
  return withData(image, out);
}

/**
 * Writes the image at fractional position (`y`, `x`) into `out[offset..offset+channels)`: bilinear interpolation over
 * the image extended through `border` (OpenCV `INTER_LINEAR`, SciPy `map_coordinates(order=1)`).
 */
export function sampleBilinear(
  image: Image,
  y: number,
  x: number,
  border: Border,
  out: Float32Array,
  offset: number,
): void {
  const { data, height, width, channels } = image;
  const y0 = Math.floor(y);
  const x0 = Math.floor(x);
  const fy = y - y0;
  const fx = x - x0;
  const top = borderIndex(y0, height, border) * width;
  const bottom = borderIndex(y0 + 1, height, border) * width;
  const left = borderIndex(x0, width, border);
  const right = borderIndex(x0 + 1, width, border);
  for (let c = 0; c < channels; c++) {
    const upper = (1 - fx) * data[(top + left) * channels + c]! + fx * data[(top + right) * channels + c]!;
    const lower = (1 - fx) * data[(bottom + left) * channels + c]! + fx * data[(bottom + right) * channels + c]!;
    out[offset + c] = (1 - fy) * upper + fy * lower;
  }
}
