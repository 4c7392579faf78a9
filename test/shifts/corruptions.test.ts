import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/core/contracts/index.js';
import { assertNoTensorLeaks } from '../../src/core/tensor/memory.js';
import { Rng } from '../../src/core/tensor/rng.js';
import { zoomBlur } from '../../src/plugins/shifts/corruptions/blur.js';
import {
  correlate2d,
  gaussianBlur,
  sampleBilinear,
  scipyGaussianRadius,
} from '../../src/plugins/shifts/corruptions/image.js';
import type { Border, Image } from '../../src/plugins/shifts/corruptions/image.js';
import { CORRUPTION_NAMES, corruptionsShift, parameterSetFor } from '../../src/plugins/shifts/corruptions/index.js';
import type { CorruptionName, CorruptionsConfig, ParameterSet } from '../../src/plugins/shifts/corruptions/index.js';

const SEVERITIES = [1, 2, 3, 4, 5];
const RANDOM: ReadonlySet<CorruptionName> = new Set([
  'gaussian_noise',
  'shot_noise',
  'impulse_noise',
  'glass_blur',
  'fog',
  'elastic_transform',
]);

const config = (overrides: object = {}): CorruptionsConfig => corruptionsShift.configSchema.parse(overrides);

/**
 * A deterministic test batch: horizontal and vertical gradients, diagonal stripes, a disc with curved edges and a
 * faint seeded texture (so that resampling grids do not line up with every edge); the second image is the negative.
 */
function syntheticBatch(side: number, count = 2, channels = 3): tf.Tensor4D {
  const texture = Rng.fromSeed(99);
  const values = new Float32Array(count * side * side * channels);
  for (let n = 0; n < count; n++) {
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const u = x / (side - 1);
        const v = y / (side - 1);
        const stripe = Math.sin(2 * Math.PI * 3.3 * (u + v)) > 0 ? 0.75 : 0.25;
        const pixel = (u - 0.6) ** 2 + (v - 0.4) ** 2 < 0.07 ? [0.9, 0.85, 0.8] : [u, v, stripe];
        for (let c = 0; c < channels; c++) {
          const value = n % 2 === 0 ? pixel[c % 3]! : 1 - pixel[c % 3]!;
          values[((n * side + y) * side + x) * channels + c] = Math.min(
            1,
            Math.max(0, value + 0.04 * texture.normal()),
          );
        }
      }
    }
  }
  return tf.tensor4d(values, [count, side, side, channels]);
}

async function corrupt(
  pixels: tf.Tensor4D,
  name: CorruptionName,
  severity: number,
  parameters: ParameterSet | 'auto',
  rng: Rng,
): Promise<Float32Array> {
  const out = await corruptionsShift.apply(pixels, { name, severity }, config({ parameters }), rng);
  expect(out.shape).toEqual(pixels.shape);
  const values = (await out.data()) as Float32Array;
  out.dispose();
  return values;
}

const meanAbsoluteChange = (a: Float32Array, b: Float32Array): number =>
  a.reduce((sum, v, i) => sum + Math.abs(v - b[i]!), 0) / a.length;

const expectNonDecreasing = (values: readonly number[]) =>
  values.slice(1).forEach((v, i) => expect(v, `severity ${i + 2} vs ${i + 1}`).toBeGreaterThanOrEqual(values[i]!));

/**
 * The mean absolute change from the clean image at severities 1-5 under CIFAR-10-C's parameters is non-decreasing,
 * except where the published parameters do not order it; there, what does hold.
 */
const CIFAR_ORDER: Partial<Record<CorruptionName, (change: readonly number[]) => void>> = {
  // Severities 1-3 shuffle pixels once and 4-5 twice; within one pass count only the blur grows, which on a textured
  // image can lower the change (it smooths the moved texture).
  glass_blur: ([s1, s2, s3, s4, s5]) => expect(Math.min(s4!, s5!)).toBeGreaterThan(Math.max(s1!, s2!, s3!)),
  // The affine range shrinks (2.56 -> 0.96 px) while the elastic amplitude grows (0 -> 3.2 px), so the total change
  // is not ordered (here it decreases); every severity still moves pixels.
  elastic_transform: (change) => change.forEach((v) => expect(v).toBeGreaterThan(0.02)),
};

/** As {@link CIFAR_ORDER}, for ImageNet-C's parameters on a 224 px image. */
const IMAGENET_ORDER: Partial<Record<CorruptionName, (change: readonly number[]) => void>> = {
  // Passes x offsets are (2x1, 1x2, 3x2, 2x3, 2x4): not ordered; severity 5 (largest offsets and blur) is the strongest.
  glass_blur: (change) => expect(change[4]).toBe(Math.max(...change)),
  // Severities 3 and 4 share the thickness 2.5 and differ only in the fractal's roughness, so their order is chance.
  fog: ([s1, s2, s3, s4, s5]) => {
    expectNonDecreasing([s1!, s2!, s3!]);
    expectNonDecreasing([s4!, s5!]);
    expect(s5).toBe(Math.max(s1!, s2!, s3!, s4!, s5!));
  },
  // Severities 1-2 are large smooth warps, 3-5 small local ones with one smoothness and affine range and a growing
  // amplitude: ordered over 3-5 only.
  elastic_transform: ([, , s3, s4, s5]) => expectNonDecreasing([s3!, s4!, s5!]),
};

describe('corruptions shift: config and variants', () => {
  it('defaults to every implemented corruption at severities 1-5 with automatic parameters', async () => {
    expect(config()).toEqual({ corruptions: [...CORRUPTION_NAMES], severities: SEVERITIES, parameters: 'auto' });
    expect(CORRUPTION_NAMES.length).toBeGreaterThanOrEqual(10);
  });

  it('refuses an unknown corruption, severities 0 and 6 and unknown keys, naming the field', async () => {
    const path = (value: object) => corruptionsShift.configSchema.safeParse(value).error?.issues[0]?.path;
    expect(path({ corruptions: ['gaussian_noise', 'motion_blur'] })).toEqual(['corruptions', 1]);
    expect(path({ severities: [0] })).toEqual(['severities', 0]);
    expect(path({ severities: [1, 6] })).toEqual(['severities', 1]);
    expect(path({ severities: [2.5] })).toEqual(['severities', 0]);
    expect(path({ parameters: 'svhn' })).toEqual(['parameters']);
    expect(() =>
      parseConfig(corruptionsShift.configSchema, { corruptions: ['frost'] }, "shift 'corruptions' config"),
    ).toThrow(ConfigError);
    expect(() => parseConfig(corruptionsShift.configSchema, { corruptions: ['frost'] }, 'c')).toThrow(
      /field 'corruptions\[0\]'/,
    );
    expect(() => parseConfig(corruptionsShift.configSchema, { severities: [6] }, 'c')).toThrow(
      /field 'severities\[0\]'/,
    );
    expect(path({ severity: 3 })).toEqual([]);
  });

  it('gives the cross product of corruptions and severities', async () => {
    expect(corruptionsShift.variants(config({ corruptions: ['fog', 'contrast'], severities: [2, 5] }))).toEqual([
      { name: 'fog', severity: 2 },
      { name: 'fog', severity: 5 },
      { name: 'contrast', severity: 2 },
      { name: 'contrast', severity: 5 },
    ]);
    const all = corruptionsShift.variants(config());
    expect(all).toHaveLength(CORRUPTION_NAMES.length * 5);
    expect(new Set(all.map((v) => `${v.name}/${v.severity}`)).size).toBe(all.length);
  });

  it('picks CIFAR-10-C parameters up to 64 px and ImageNet-C parameters above, unless told', async () => {
    expect(parameterSetFor('auto', 32, 32)).toBe('cifar');
    expect(parameterSetFor('auto', 64, 48)).toBe('cifar');
    expect(parameterSetFor('auto', 64, 65)).toBe('imagenet');
    expect(parameterSetFor('auto', 224, 224)).toBe('imagenet');
    expect(parameterSetFor('imagenet', 32, 32)).toBe('imagenet');
    const small = syntheticBatch(32, 1);
    const rng = () => Rng.fromSeed(0);
    expect(await corrupt(small, 'contrast', 1, 'auto', rng())).toEqual(
      await corrupt(small, 'contrast', 1, 'cifar', rng()),
    );
    expect(await corrupt(small, 'contrast', 1, 'auto', rng())).not.toEqual(
      await corrupt(small, 'contrast', 1, 'imagenet', rng()),
    );
    small.dispose();
  });

  it('refuses variants it does not know', async () => {
    const pixels = syntheticBatch(8, 1);
    expect(() => corruptionsShift.apply(pixels, { name: 'frost', severity: 1 }, config(), Rng.fromSeed(0))).toThrow(
      /unknown corruption 'frost'/,
    );
    expect(() => corruptionsShift.apply(pixels, { name: 'fog' }, config(), Rng.fromSeed(0))).toThrow(
      /severity from 1 to 5/,
    );
    expect(() => corruptionsShift.apply(pixels, { name: 'fog', severity: 6 }, config(), Rng.fromSeed(0))).toThrow(
      /severity from 1 to 5/,
    );
    pixels.dispose();
  });
});

describe.each(CORRUPTION_NAMES)('%s on 32 px images (CIFAR-10-C parameters)', (name) => {
  const pixels = syntheticBatch(32);
  const clean = pixels.dataSync() as Float32Array;
  afterAll(() => pixels.dispose());

  it('keeps the shape, stays in [0,1] and repeats itself exactly with one seed', async () => {
    for (const severity of SEVERITIES) {
      const out = await corrupt(pixels, name, severity, 'cifar', Rng.fromSeed(5));
      expect(
        out.every((v) => v >= 0 && v <= 1),
        `severity ${severity} in [0,1]`,
      ).toBe(true);
      expect(await corrupt(pixels, name, severity, 'cifar', Rng.fromSeed(5))).toEqual(out);
      const otherSeed = await corrupt(pixels, name, severity, 'cifar', Rng.fromSeed(6));
      if (RANDOM.has(name)) expect(otherSeed, `severity ${severity}, another seed`).not.toEqual(out);
      else expect(otherSeed, `severity ${severity} ignores the seed`).toEqual(out);
    }
  });

  it('changes the image more with severity', async () => {
    const change: number[] = [];
    for (const severity of SEVERITIES)
      change.push(meanAbsoluteChange(await corrupt(pixels, name, severity, 'cifar', Rng.fromSeed(7)), clean));
    expect(change[0]).toBeGreaterThan(0);
    (CIFAR_ORDER[name] ?? expectNonDecreasing)(change);
  });
});

describe('ImageNet-C parameters on a 224 px image', () => {
  const pixels = syntheticBatch(224, 1);
  const clean = pixels.dataSync() as Float32Array;
  afterAll(() => pixels.dispose());

  it.each(CORRUPTION_NAMES)(
    '%s keeps the shape, stays in [0,1] and changes the image more with severity',
    async (name) => {
      const outputs: Float32Array[] = [];
      for (const severity of SEVERITIES) outputs.push(await corrupt(pixels, name, severity, 'auto', Rng.fromSeed(7)));
      outputs.forEach((out, i) =>
        expect(
          out.every((v) => v >= 0 && v <= 1),
          `severity ${i + 1} in [0,1]`,
        ).toBe(true),
      );
      const change = outputs.map((out) => meanAbsoluteChange(out, clean));
      expect(change[0]).toBeGreaterThan(0);
      (IMAGENET_ORDER[name] ?? expectNonDecreasing)(change);
    },
  );
});

describe('corruptions shift: behaviour', () => {
  it('draws fresh randomness for each batch from one rng, and leaks no tensors', async () => {
    const pixels = syntheticBatch(16);
    const rng = Rng.fromSeed(3);
    expect(await corrupt(pixels, 'gaussian_noise', 3, 'cifar', rng)).not.toEqual(
      await corrupt(pixels, 'gaussian_noise', 3, 'cifar', rng),
    );
    await assertNoTensorLeaks(2, async () => {
      for (const name of CORRUPTION_NAMES)
        (await corruptionsShift.apply(pixels, { name, severity: 3 }, config(), rng)).dispose();
    });
    pixels.dispose();
  });

  it('works on single-channel images; JPEG refuses other channel counts than 1 and 3', async () => {
    const grey = syntheticBatch(16, 1, 1);
    for (const name of CORRUPTION_NAMES) {
      const out = await corrupt(grey, name, 3, 'cifar', Rng.fromSeed(1));
      expect(
        out.every((v) => v >= 0 && v <= 1),
        name,
      ).toBe(true);
    }
    const fourChannels = syntheticBatch(16, 1, 4);
    await expect(
      corruptionsShift.apply(fourChannels, { name: 'jpeg_compression', severity: 1 }, config(), Rng.fromSeed(0)),
    ).rejects.toThrow(/1 or 3 channels/);
    tf.dispose([grey, fourChannels]);
  });

  it('leaves a uniform image uniform under the blurs and pixelation', async () => {
    const flat = tf.fill([1, 32, 32, 3], 0.4) as tf.Tensor4D;
    for (const name of ['defocus_blur', 'zoom_blur', 'pixelate'] as const) {
      for (const severity of SEVERITIES) {
        const out = await corrupt(flat, name, severity, 'cifar', Rng.fromSeed(0));
        expect(
          out.every((v) => Math.abs(v - 0.4) < 1e-6),
          `${name} ${severity}`,
        ).toBe(true);
      }
    }
    flat.dispose();
  });

  it('brightness equals the HSV round trip of the reference (value + c, clipped)', async () => {
    const pixels = syntheticBatch(16, 1);
    const clean = pixels.dataSync();
    const out = await corrupt(pixels, 'brightness', 4, 'cifar', Rng.fromSeed(0));
    for (let p = 0; p < clean.length; p += 3) {
      const [h, s, v] = rgbToHsv(clean[p]!, clean[p + 1]!, clean[p + 2]!);
      const expected = hsvToRgb(h, s, Math.min(1, v + 0.2));
      expected.forEach((e, c) => expect(out[p + c]).toBeCloseTo(e, 5));
    }
    pixels.dispose();
  });

  it('impulse noise replaces about the given fraction of values by 0 or 1; shot noise keeps the mean with variance x/c', async () => {
    const grey = tf.fill([1, 64, 64, 3], 0.3) as tf.Tensor4D;
    const impulse = await corrupt(grey, 'impulse_noise', 5, 'cifar', Rng.fromSeed(2));
    const replaced = impulse.filter((v) => Math.abs(v - 0.3) > 1e-6);
    expect(replaced.every((v) => v === 0 || v === 1)).toBe(true);
    expect(replaced.length / impulse.length).toBeCloseTo(0.07, 2);
    // Photon counts 500 (mean 150: transformed rejection) and 12 (mean 3.6: multiplication method).
    for (const [set, photons] of [
      ['cifar', 500],
      ['imagenet', 12],
    ] as const) {
      const shot = await corrupt(grey, 'shot_noise', set === 'cifar' ? 1 : 3, set, Rng.fromSeed(2));
      const mean = shot.reduce((a, b) => a + b, 0) / shot.length;
      const variance = shot.reduce((a, b) => a + (b - mean) ** 2, 0) / shot.length;
      expect(mean).toBeCloseTo(0.3, 2);
      expect(variance / (0.3 / photons)).toBeGreaterThan(0.9);
      expect(variance / (0.3 / photons)).toBeLessThan(1.1);
    }
    grey.dispose();
  });

  it('pixelate box-samples like Pillow: down to 30 px and back averages columns 7-8 and 23-24', async () => {
    const ramp = tf.tensor4d(
      Float32Array.from({ length: 32 * 32 }, (_, i) => (i % 32) / 31),
      [1, 32, 32, 1],
    );
    const row = Array.from(
      (await corrupt(ramp, 'pixelate', 1, 'cifar', Rng.fromSeed(0))).slice(0, 32),
      (v) => Math.round(v * 31 * 2) / 2,
    );
    const expected = Array.from({ length: 32 }, (_, x) => ([7, 8].includes(x) ? 7.5 : [23, 24].includes(x) ? 23.5 : x));
    expect(row).toEqual(expected);
    ramp.dispose();
  });
});

describe('corruption helpers against SciPy (values from scipy.ndimage 1.17)', () => {
  const plane = (values: number[], height: number, width: number): Image => ({
    data: Float32Array.from(values),
    height,
    width,
    channels: 1,
  });
  const ramp = plane(
    Array.from({ length: 15 }, (_, i) => i),
    3,
    5,
  );
  const close = (actual: Float32Array, expected: number[], digits = 4) =>
    expected.forEach((e, i) => expect(actual[i]).toBeCloseTo(e, digits));

  it('gaussianBlur matches gaussian_filter (nearest, truncate 4; reflect, truncate 3 with a kernel wider than the image)', async () => {
    close(
      gaussianBlur(ramp, 1, scipyGaussianRadius(1, 4), 'nearest').data,
      [
        2.15921, 2.858548, 3.795425, 4.732303, 5.431641, 5.363785, 6.063123, 7, 7.936877, 8.636215, 8.568359, 9.267697,
        10.204575, 11.141452, 11.84079,
      ],
    );
    close(
      gaussianBlur(ramp, 2, scipyGaussianRadius(2, 3), 'reflect').data,
      [
        5.581965, 5.911066, 6.443423, 6.97578, 7.304881, 6.138542, 6.467643, 7, 7.532357, 7.861458, 6.695119, 7.02422,
        7.556577, 8.088934, 8.418035,
      ],
    );
  });

  it('correlate2d matches correlate (mirror) and sampleBilinear matches map_coordinates (order 1, reflect and mirror)', async () => {
    const kernel = Float64Array.of(0, 1, 0, 1, 2, 3, 0, 0, 1);
    close(
      correlate2d(ramp, kernel, 3, 'reflect101').data,
      [15, 21, 29, 37, 37, 45, 51, 59, 67, 67, 75, 81, 89, 97, 97],
    );
    const points = [
      [-1.25, 0.5],
      [2.75, 4.5],
      [1.5, -2.25],
      [3.5, 6],
    ] as const;
    const sample = (border: Border) =>
      points.map(([y, x]) => {
        const out = new Float32Array(1);
        sampleBilinear(ramp, y, x, border, out, 0);
        return out[0]!;
      });
    expect(sample('reflect').map((v) => +v.toFixed(4))).toEqual([1.75, 14, 8.75, 10.5]);
    expect(sample('reflect101').map((v) => +v.toFixed(4))).toEqual([6.75, 9.75, 9.75, 4.5]);
  });

  it('zoomBlur matches the reference clipped_zoom average (scipy zoom, order 1)', async () => {
    const image = plane(
      Array.from({ length: 36 }, (_, i) => ((i * 7) % 11) / 10),
      6,
      6,
    );
    close(
      zoomBlur(image, { stop: 1.3, step: 0.1 }, Rng.fromSeed(0)).data,
      [
        0, 0.602, 0.412, 0.706, 0.75067, 0.48, 0.774, 0.54464, 0.24, 0.534, 0.57867, 0.308, 0.756, 0.412, 0.70942,
        0.58787, 0.43111, 0.60044, 0.584, 0.24, 0.688, 0.652, 0.308, 0.44067, 0.412, 0.60431, 0.55804, 0.48, 0.60924,
        0.37378, 0.24, 0.74422, 0.55422, 0.308, 0.52133, 0.52444,
      ],
    );
  });
});

/** scikit-image's rgb2hsv for one pixel. */
function rgbToHsv(r: number, g: number, b: number): [number, number, number] {
  const v = Math.max(r, g, b);
  const delta = v - Math.min(r, g, b);
  if (delta === 0) return [0, 0, v];
  const h = v === b ? 4 + (r - g) / delta : v === g ? 2 + (b - r) / delta : (g - b) / delta;
  return [(((h / 6) % 1) + 1) % 1, delta / v, v];
}

/** scikit-image's hsv2rgb for one pixel. */
function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
  const sector = Math.floor(h * 6);
  const f = h * 6 - sector;
  const p = v * (1 - s);
  const q = v * (1 - f * s);
  const t = v * (1 - (1 - f) * s);
  return (
    [
      [v, t, p],
      [q, v, p],
      [p, v, t],
      [p, q, v],
      [t, p, v],
      [v, p, q],
    ] as const
  )[sector % 6]!.slice() as [number, number, number];
}
