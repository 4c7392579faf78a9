import { applyAxisMap, correlate2d, gaussianBlur, scipyGaussianRadius, withData } from './image.js';
import type { AxisMap, Corrupt, Image } from './image.js';
import type { DefocusParameters, GlassParameters, ZoomParameters } from './parameters.js';

/**
 * The reference's defocus kernel: a disk of `radius` on the integer grid `-8..8` (`-radius..radius` above 8 px; the
 * radii there are integers), normalised, then blurred by OpenCV's `GaussianBlur` (3x3, or 5x5 on the larger grid)
 * with standard deviation `aliasBlur` against aliasing. Small radii give (a blurred) single pixel: CIFAR's first
 * severities are mostly the anti-aliasing blur.
 */
function diskKernel({ radius, aliasBlur }: DefocusParameters): { kernel: Float64Array; size: number } {
  const half = radius <= 8 ? 8 : radius;
  const size = 2 * half + 1;
  const disk = Float32Array.from({ length: size * size }, (_, i) =>
    (Math.floor(i / size) - half) ** 2 + ((i % size) - half) ** 2 <= radius ** 2 ? 1 : 0,
  );
  const inside = disk.reduce((a, b) => a + b, 0);
  const normalised = disk.map((v) => v / inside);
  const blurred = gaussianBlur(
    { data: normalised, height: size, width: size, channels: 1 },
    aliasBlur,
    radius <= 8 ? 1 : 2,
    'reflect101',
  );
  return { kernel: Float64Array.from(blurred.data), size };
}

/** Out-of-focus blur: correlation with an anti-aliased disk (OpenCV `filter2D`, mirrored edges). */
export const defocusBlur: Corrupt<DefocusParameters> = (image, parameters) => {
  const { kernel, size } = diskKernel(parameters);
  return correlate2d(image, kernel, size, 'reflect101');
};

/**
 * Frosted glass: Gaussian blur (scikit-image `gaussian`: truncated at 4 sigma, edges repeated), stored as 8 bits
 * (truncating, as the reference's `np.uint8` does), local pixel moves, and the blur again.
 *
 * The reference visits pixels from the bottom-right corner inward (rows and columns `side - maxDelta` down to
 * `maxDelta + 1`) and draws offsets from `[-maxDelta, maxDelta - 1]` (NumPy's `randint` excludes its upper bound).
 * Its "swap" assigns through NumPy views, so the visited pixel takes the neighbour's value while the neighbour keeps
 * its own: a copy, not an exchange. Both quirks are reproduced, since they shape the published datasets.
 */
export const glassBlur: Corrupt<GlassParameters> = (image, { sigma, maxDelta, iterations }, rng) => {
  const radius = scipyGaussianRadius(sigma, 4);
  const { height, width, channels } = image;
  const data = gaussianBlur(image, sigma, radius, 'nearest').data.map((v) => Math.floor(v * 255) / 255);
  for (let pass = 0; pass < iterations; pass++) {
    for (let y = height - maxDelta; y > maxDelta; y--) {
      for (let x = width - maxDelta; x > maxDelta; x--) {
        const dx = rng.int(-maxDelta, maxDelta - 1);
        const dy = rng.int(-maxDelta, maxDelta - 1);
        const from = ((y + dy) * width + x + dx) * channels;
        data.copyWithin((y * width + x) * channels, from, from + channels);
      }
    }
  }
  return gaussianBlur(withData(image, data), sigma, radius, 'nearest');
};

/** NumPy's `arange(start, stop, step)`: its length rule and its values `start + i * (first step as stored)`. */
function numpyArange(start: number, stop: number, step: number): number[] {
  const delta = start + step - start;
  return Array.from({ length: Math.ceil((stop - start) / step) }, (_, i) => start + i * delta);
}

/**
 * The reference's `clipped_zoom` along one axis of length `size`: crop the central `ceil(size / factor)` pixels,
 * enlarge them to `round(crop * factor)` with SciPy's `zoom(order=1)` (linear, corner pixels aligned), and keep the
 * central `size` pixels.
 */
function zoomMap(size: number, factor: number): AxisMap {
  const cropSize = Math.ceil(size / factor);
  const cropStart = Math.floor((size - cropSize) / 2);
  const zoomedSize = Math.round(cropSize * factor);
  const trim = Math.floor((zoomedSize - size) / 2);
  const scale = zoomedSize > 1 ? (cropSize - 1) / (zoomedSize - 1) : 0;
  return Array.from({ length: size }, (_, i) => {
    const position = (i + trim) * scale;
    const lower = Math.floor(position);
    const fraction = position - lower;
    return {
      sources: [cropStart + lower, cropStart + Math.min(lower + 1, cropSize - 1)],
      weights: [1 - fraction, fraction],
    };
  });
}

const clippedZoom = (image: Image, factor: number): Image =>
  applyAxisMap(applyAxisMap(image, 'y', zoomMap(image.height, factor)), 'x', zoomMap(image.width, factor));

/** Zoom blur: the mean of the image and its central zooms by each factor of `arange(1, stop, step)`. */
export const zoomBlur: Corrupt<ZoomParameters> = (image, { stop, step }) => {
  const factors = numpyArange(1, stop, step);
  const sum = Float64Array.from(image.data);
  for (const factor of factors) clippedZoom(image, factor).data.forEach((v, i) => (sum[i]! += v));
  return withData(
    image,
    Float32Array.from(sum, (v) => v / (factors.length + 1)),
  );
};
