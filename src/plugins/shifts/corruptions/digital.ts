import { decode, encode } from 'jpeg-js';
import type { Rng } from '../../../core/tensor/index.js';
import { applyAxisMap, gaussianBlur, sampleBilinear, scipyGaussianRadius, withData } from './image.js';
import type { AxisMap, Corrupt, Image } from './image.js';
import type { ElasticParameters } from './parameters.js';

/** Contrast: pulls every value toward its channel's mean over the image by `factor`. */
export const contrast: Corrupt<number> = (image, factor) => {
  const { data, channels } = image;
  const means = new Float64Array(channels);
  data.forEach((v, i) => (means[i % channels]! += v / (data.length / channels)));
  return withData(
    image,
    data.map((v, i) => (v - means[i % channels]!) * factor + means[i % channels]!),
  );
};

type Point = readonly [x: number, y: number];
/** `[a, b, c, d, e, f]`: (x, y) maps to (a x + b y + c, d x + e y + f). */
type Affine = readonly [number, number, number, number, number, number];

/** The affine map taking the triangle `from` onto `to` (OpenCV's `getAffineTransform`), by Cramer's rule. */
function affineThrough(from: readonly [Point, Point, Point], to: readonly [Point, Point, Point]): Affine {
  const [[x0, y0], [x1, y1], [x2, y2]] = from;
  const det = x0 * (y1 - y2) - y0 * (x1 - x2) + (x1 * y2 - x2 * y1);
  const solve = (v0: number, v1: number, v2: number) =>
    [
      (v0 * (y1 - y2) - y0 * (v1 - v2) + (v1 * y2 - v2 * y1)) / det,
      (x0 * (v1 - v2) - v0 * (x1 - x2) + (x1 * v2 - x2 * v1)) / det,
      (x0 * (y1 * v2 - y2 * v1) - y0 * (x1 * v2 - x2 * v1) + v0 * (x1 * y2 - x2 * y1)) / det,
    ] as const;
  return [...solve(to[0][0], to[1][0], to[2][0]), ...solve(to[0][1], to[1][1], to[2][1])];
}

/**
 * A field of uniform noise in [-1,1], smoothed by a Gaussian of `sigma` px (SciPy `gaussian_filter`, truncated at 3
 * sigma, reflected edges) and scaled by `alpha`: one coordinate of the elastic displacement.
 */
function displacementField(height: number, width: number, { alpha, sigma }: ElasticParameters, rng: Rng): Float32Array {
  const noise = { data: rng.uniformArray(height * width, -1, 1), height, width, channels: 1 };
  return gaussianBlur(noise, sigma, scipyGaussianRadius(sigma, 3), 'reflect').data.map((v) => v * alpha);
}

/**
 * Elastic transform (after Simard et al., 2003, as the reference does it): a random affine warp that moves three
 * anchors around the centre by up to `affine` px each (OpenCV `warpAffine`, bilinear, mirrored edges), then a
 * smooth random displacement of every pixel (SciPy `map_coordinates(order=1, mode='reflect')`).
 */
export const elasticTransform: Corrupt<ElasticParameters> = (image, parameters, rng) => {
  const { height, width, channels } = image;
  const cx = Math.floor(width / 2);
  const cy = Math.floor(height / 2);
  const reach = Math.floor(Math.min(height, width) / 3);
  const anchors: [Point, Point, Point] = [
    [cx + reach, cy + reach],
    [cx + reach, cy - reach],
    [cx - reach, cy - reach],
  ];
  const jitter = rng.uniformArray(6, -parameters.affine, parameters.affine);
  const moved = anchors.map(([x, y], i): Point => [x + jitter[2 * i]!, y + jitter[2 * i + 1]!]) as [
    Point,
    Point,
    Point,
  ];
  // warpAffine maps each output pixel back into the source, i.e. through the inverse of anchors -> moved.
  const [a, b, c, d, e, f] = affineThrough(moved, anchors);
  const warped = withData(image, new Float32Array(image.data.length));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++)
      sampleBilinear(
        image,
        d * x + e * y + f,
        a * x + b * y + c,
        'reflect101',
        warped.data,
        (y * width + x) * channels,
      );
  }
  const dx = displacementField(height, width, parameters, rng);
  const dy = displacementField(height, width, parameters, rng);
  const out = new Float32Array(image.data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const pixel = y * width + x;
      sampleBilinear(warped, y + dy[pixel]!, x + dx[pixel]!, 'reflect', out, pixel * channels);
    }
  }
  return withData(image, out);
};

/**
 * Pillow's `resize(..., Image.BOX)` along one axis: output pixel i averages, with equal weights, the input pixels
 * whose centres fall in its footprint `((i + 0.5) * scale -+ scale / 2]`; enlarging, it repeats the nearest pixel.
 */
function boxResizeMap(inSize: number, outSize: number): AxisMap {
  const scale = inSize / outSize;
  const footprint = Math.max(scale, 1);
  return Array.from({ length: outSize }, (_, i) => {
    const centre = (i + 0.5) * scale;
    const first = Math.max(Math.trunc(centre - footprint / 2 + 0.5), 0);
    const end = Math.min(Math.trunc(centre + footprint / 2 + 0.5), inSize);
    const sources: number[] = [];
    for (let s = first; s < end; s++) {
      const t = (s - centre + 0.5) / footprint;
      if (t > -0.5 && t <= 0.5) sources.push(s);
    }
    return { sources, weights: sources.map(() => 1 / sources.length) };
  });
}

const boxResize = (image: Image, height: number, width: number): Image =>
  applyAxisMap(applyAxisMap(image, 'x', boxResizeMap(image.width, width)), 'y', boxResizeMap(image.height, height));

/** Pixelation: box-downsample to `fraction` of each side (rounded down), then box-upsample back. */
export const pixelate: Corrupt<number> = (image, fraction) => {
  const small = boxResize(image, Math.floor(image.height * fraction), Math.floor(image.width * fraction));
  return boxResize(small, image.height, image.width);
};

/**
 * JPEG round trip at `quality` with jpeg-js (baseline, IJG quantisation tables scaled by quality like libjpeg).
 * RGB images are encoded as they are; single-channel ones as grey RGB and read back from the red channel.
 */
export const jpegCompression: Corrupt<number> = (image, quality) => {
  const { data, height, width, channels } = image;
  if (channels !== 1 && channels !== 3) throw new Error(`jpeg_compression needs 1 or 3 channels, got ${channels}`);
  const rgba = new Uint8Array(height * width * 4);
  for (let p = 0; p < height * width; p++) {
    for (let c = 0; c < 3; c++)
      rgba[p * 4 + c] = Math.round(Math.min(1, Math.max(0, data[p * channels + (channels === 3 ? c : 0)]!)) * 255);
    rgba[p * 4 + 3] = 255;
  }
  const decoded = decode(encode({ data: rgba, width, height }, quality).data, { useTArray: true, formatAsRGBA: false });
  return withData(
    image,
    Float32Array.from(
      { length: data.length },
      (_, i) => decoded.data[Math.floor(i / channels) * 3 + (i % channels)]! / 255,
    ),
  );
};
