/**
 * Per-severity parameters of the common corruptions (Hendrycks & Dietterich, 2019), as set in the public
 * `hendrycks/robustness` repository: CIFAR-10-C in `ImageNet-C/create_c/make_cifar_c.py`, ImageNet-C in
 * `ImageNet-C/create_c/make_imagenet_c.py`. Lengths are in pixels of the 32 px and 224 px images they were made for.
 */

/** The implemented corruptions, in the benchmark's order (motion_blur, snow and frost are missing: see docs/shifts.md). */
export const CORRUPTION_NAMES = [
  'gaussian_noise',
  'shot_noise',
  'impulse_noise',
  'defocus_blur',
  'glass_blur',
  'zoom_blur',
  'fog',
  'brightness',
  'contrast',
  'elastic_transform',
  'pixelate',
  'jpeg_compression',
] as const;

export type CorruptionName = (typeof CORRUPTION_NAMES)[number];

/** `cifar`: CIFAR-10-C's parameters (32 px images); `imagenet`: ImageNet-C's (224 px images). */
export type ParameterSet = 'cifar' | 'imagenet';

/** Disk kernel of `radius` px, anti-aliased by a Gaussian of standard deviation `aliasBlur`. */
export interface DefocusParameters {
  readonly radius: number;
  readonly aliasBlur: number;
}

/** Gaussian blur `sigma`, then `iterations` passes moving pixels by up to `maxDelta` px, then the blur again. */
export interface GlassParameters {
  readonly sigma: number;
  readonly maxDelta: number;
  readonly iterations: number;
}

/** Zoom factors `numpy.arange(1, stop, step)`, averaged with the image. */
export interface ZoomParameters {
  readonly stop: number;
  readonly step: number;
}

/** Plasma fractal added with weight `thickness`; `wibbleDecay` is how fast its roughness falls with scale. */
export interface FogParameters {
  readonly thickness: number;
  readonly wibbleDecay: number;
}

/** Random affine moving anchors by up to `affine` px, then a smooth random displacement field (`alpha` px, smoothed by `sigma` px). */
export interface ElasticParameters {
  readonly alpha: number;
  readonly sigma: number;
  readonly affine: number;
}

/** The parameter each corruption takes at one severity. */
export interface CorruptionParameters {
  /** Standard deviation of the added noise. */
  readonly gaussian_noise: number;
  /** Photons per unit intensity: Poisson(x * c) / c. */
  readonly shot_noise: number;
  /** Fraction of values replaced by 0 or 1. */
  readonly impulse_noise: number;
  readonly defocus_blur: DefocusParameters;
  readonly glass_blur: GlassParameters;
  readonly zoom_blur: ZoomParameters;
  readonly fog: FogParameters;
  /** Added to the HSV value. */
  readonly brightness: number;
  /** Factor on the deviation from each channel's mean. */
  readonly contrast: number;
  readonly elastic_transform: ElasticParameters;
  /** Side of the downsampled image as a fraction of the original's. */
  readonly pixelate: number;
  /** JPEG quality (1-100). */
  readonly jpeg_compression: number;
}

/** Severities 1..5. */
type BySeverity<P> = readonly [P, P, P, P, P];

const defocus = (radius: number, aliasBlur: number): DefocusParameters => ({ radius, aliasBlur });
const glass = (sigma: number, maxDelta: number, iterations: number): GlassParameters => ({
  sigma,
  maxDelta,
  iterations,
});
const zoom = (stop: number, step: number): ZoomParameters => ({ stop, step });
const fog = (thickness: number, wibbleDecay: number): FogParameters => ({ thickness, wibbleDecay });
const elastic = (alpha: number, sigma: number, affine: number): ElasticParameters => ({ alpha, sigma, affine });

/** The source writes elastic parameters as multiples of the image side: 32 for CIFAR and 244 (sic, for 224) for ImageNet. */
const CIFAR_SIDE = 32;
const IMAGENET_SIDE = 244;

export const PARAMETERS: {
  readonly [K in CorruptionName]: Readonly<Record<ParameterSet, BySeverity<CorruptionParameters[K]>>>;
} = {
  gaussian_noise: {
    cifar: [0.04, 0.06, 0.08, 0.09, 0.1],
    imagenet: [0.08, 0.12, 0.18, 0.26, 0.38],
  },
  shot_noise: {
    cifar: [500, 250, 100, 75, 50],
    imagenet: [60, 25, 12, 5, 3],
  },
  impulse_noise: {
    cifar: [0.01, 0.02, 0.03, 0.05, 0.07],
    imagenet: [0.03, 0.06, 0.09, 0.17, 0.27],
  },
  defocus_blur: {
    cifar: [defocus(0.3, 0.4), defocus(0.4, 0.5), defocus(0.5, 0.6), defocus(1, 0.2), defocus(1.5, 0.1)],
    imagenet: [defocus(3, 0.1), defocus(4, 0.5), defocus(6, 0.5), defocus(8, 0.5), defocus(10, 0.5)],
  },
  glass_blur: {
    cifar: [glass(0.05, 1, 1), glass(0.25, 1, 1), glass(0.4, 1, 1), glass(0.25, 1, 2), glass(0.4, 1, 2)],
    imagenet: [glass(0.7, 1, 2), glass(0.9, 2, 1), glass(1, 2, 3), glass(1.1, 3, 2), glass(1.5, 4, 2)],
  },
  zoom_blur: {
    cifar: [zoom(1.06, 0.01), zoom(1.11, 0.01), zoom(1.16, 0.01), zoom(1.21, 0.01), zoom(1.26, 0.01)],
    imagenet: [zoom(1.11, 0.01), zoom(1.16, 0.01), zoom(1.21, 0.02), zoom(1.26, 0.02), zoom(1.31, 0.03)],
  },
  fog: {
    cifar: [fog(0.2, 3), fog(0.5, 3), fog(0.75, 2.5), fog(1, 2), fog(1.5, 1.75)],
    imagenet: [fog(1.5, 2), fog(2, 2), fog(2.5, 1.7), fog(2.5, 1.5), fog(3, 1.4)],
  },
  brightness: {
    cifar: [0.05, 0.1, 0.15, 0.2, 0.3],
    imagenet: [0.1, 0.2, 0.3, 0.4, 0.5],
  },
  contrast: {
    cifar: [0.75, 0.5, 0.4, 0.3, 0.15],
    imagenet: [0.4, 0.3, 0.2, 0.1, 0.05],
  },
  elastic_transform: {
    cifar: [
      elastic(CIFAR_SIDE * 0, CIFAR_SIDE * 0, CIFAR_SIDE * 0.08),
      elastic(CIFAR_SIDE * 0.05, CIFAR_SIDE * 0.2, CIFAR_SIDE * 0.07),
      elastic(CIFAR_SIDE * 0.08, CIFAR_SIDE * 0.06, CIFAR_SIDE * 0.06),
      elastic(CIFAR_SIDE * 0.1, CIFAR_SIDE * 0.04, CIFAR_SIDE * 0.05),
      elastic(CIFAR_SIDE * 0.1, CIFAR_SIDE * 0.03, CIFAR_SIDE * 0.03),
    ],
    imagenet: [
      elastic(IMAGENET_SIDE * 2, IMAGENET_SIDE * 0.7, IMAGENET_SIDE * 0.1),
      elastic(IMAGENET_SIDE * 2, IMAGENET_SIDE * 0.08, IMAGENET_SIDE * 0.2),
      elastic(IMAGENET_SIDE * 0.05, IMAGENET_SIDE * 0.01, IMAGENET_SIDE * 0.02),
      elastic(IMAGENET_SIDE * 0.07, IMAGENET_SIDE * 0.01, IMAGENET_SIDE * 0.02),
      elastic(IMAGENET_SIDE * 0.12, IMAGENET_SIDE * 0.01, IMAGENET_SIDE * 0.02),
    ],
  },
  pixelate: {
    cifar: [0.95, 0.9, 0.85, 0.75, 0.65],
    imagenet: [0.6, 0.5, 0.4, 0.3, 0.25],
  },
  jpeg_compression: {
    cifar: [80, 65, 58, 50, 40],
    imagenet: [25, 18, 15, 10, 7],
  },
};
