import { definePlugin, z } from '../../../core/contracts/index.js';
import type { ShiftVariant } from '../../../core/contracts/index.js';
import { tf } from '../../../core/tensor/index.js';
import type { Rng } from '../../../core/tensor/index.js';
import { defocusBlur, glassBlur, zoomBlur } from './blur.js';
import { contrast, elasticTransform, jpegCompression, pixelate } from './digital.js';
import type { Corrupt, Image } from './image.js';
import { gaussianNoise, impulseNoise, shotNoise } from './noise.js';
import { CORRUPTION_NAMES, PARAMETERS } from './parameters.js';
import type { CorruptionName, CorruptionParameters, ParameterSet } from './parameters.js';
import { brightness, fog } from './weather.js';

export { CORRUPTION_NAMES } from './parameters.js';
export type { CorruptionName, ParameterSet } from './parameters.js';

const CORRUPTIONS: { readonly [K in CorruptionName]: Corrupt<CorruptionParameters[K]> } = {
  gaussian_noise: gaussianNoise,
  shot_noise: shotNoise,
  impulse_noise: impulseNoise,
  defocus_blur: defocusBlur,
  glass_blur: glassBlur,
  zoom_blur: zoomBlur,
  fog,
  brightness,
  contrast,
  elastic_transform: elasticTransform,
  pixelate,
  jpeg_compression: jpegCompression,
};

/** Images up to this side (px) get CIFAR-10-C's parameters under `parameters: 'auto'`, larger ones ImageNet-C's. */
const AUTO_CIFAR_MAX_SIDE = 64;

const configSchema = z
  .object({
    /** Which corruptions to evaluate; default all implemented ones. */
    corruptions: z
      .array(z.enum(CORRUPTION_NAMES))
      .min(1)
      .default([...CORRUPTION_NAMES]),
    /** Severities 1 (mildest) to 5. */
    severities: z.array(z.number().int().min(1).max(5)).min(1).default([1, 2, 3, 4, 5]),
    /** Parameter tables: CIFAR-10-C's, ImageNet-C's, or `auto` (CIFAR-10-C up to 64 px on the longer side). */
    parameters: z.enum(['auto', 'cifar', 'imagenet']).default('auto'),
  })
  .strict();

export type CorruptionsConfig = z.infer<typeof configSchema>;

const isCorruptionName = (name: string): name is CorruptionName =>
  (CORRUPTION_NAMES as readonly string[]).includes(name);

/** The parameter set for images of this size under the configured choice. */
export function parameterSetFor(choice: CorruptionsConfig['parameters'], height: number, width: number): ParameterSet {
  if (choice !== 'auto') return choice;
  return Math.max(height, width) <= AUTO_CIFAR_MAX_SIDE ? 'cifar' : 'imagenet';
}

function corrupt<K extends CorruptionName>(
  name: K,
  image: Image,
  set: ParameterSet,
  severity: number,
  rng: Rng,
): Image {
  return CORRUPTIONS[name](image, PARAMETERS[name][set][severity - 1]!, rng);
}

/**
 * The common corruptions of CIFAR-10-C and ImageNet-C (Hendrycks & Dietterich, 2019) at severities 1-5, with the
 * benchmark's per-severity parameters; works on any image size and channel count (JPEG: 1 or 3 channels).
 * Randomness is drawn from `rng` image by image in batch order, so the same seed and batches give the same output and
 * successive batches get fresh noise. Implemented and missing corruptions, parameter tables and deviations from
 * the reference code: docs/shifts.md.
 */
export const corruptionsShift = definePlugin({
  family: 'shift',
  kind: 'pixel',
  meta: {
    name: 'corruptions',
    version: '0.1.0',
    apiVersion: 1,
    description:
      'Common corruptions (CIFAR-10-C / ImageNet-C): noise, blur, weather and digital distortions at severities 1-5.',
  },
  configSchema,
  variants: (config: CorruptionsConfig): ShiftVariant[] =>
    config.corruptions.flatMap((name) => config.severities.map((severity) => ({ name, severity }))),
  apply(pixels: tf.Tensor4D, variant: ShiftVariant, config: CorruptionsConfig, rng: Rng): Promise<tf.Tensor4D> {
    const { name, severity } = variant;
    if (!isCorruptionName(name))
      throw new Error(`unknown corruption '${name}'; expected one of ${CORRUPTION_NAMES.join(', ')}`);
    if (severity === undefined || !Number.isInteger(severity) || severity < 1 || severity > 5) {
      throw new Error(`corruption '${name}' needs a severity from 1 to 5, got ${severity}`);
    }
    return corruptBatch(
      pixels,
      name,
      parameterSetFor(config.parameters, pixels.shape[1], pixels.shape[2]),
      severity,
      rng,
    );
  },
});

/** The corruption applied image by image on the CPU (read asynchronously: GPU backends have no synchronous read). */
async function corruptBatch(
  pixels: tf.Tensor4D,
  name: CorruptionName,
  set: ParameterSet,
  severity: number,
  rng: Rng,
): Promise<tf.Tensor4D> {
  const [batch, height, width, channels] = pixels.shape;
  const input = await pixels.data();
  const output = new Float32Array(input.length);
  const size = height * width * channels;
  for (let i = 0; i < batch; i++) {
    const image: Image = { data: Float32Array.from(input.subarray(i * size, (i + 1) * size)), height, width, channels };
    const corrupted = corrupt(name, image, set, severity, rng).data;
    for (let j = 0; j < size; j++) output[i * size + j] = Math.min(1, Math.max(0, corrupted[j]!));
  }
  return tf.tensor4d(output, pixels.shape);
}
