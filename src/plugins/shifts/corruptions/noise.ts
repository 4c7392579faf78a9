import type { Rng } from '../../../core/tensor/index.js';
import { withData } from './image.js';
import type { Corrupt } from './image.js';

/** Adds independent Gaussian noise of standard deviation `std` to every value. */
export const gaussianNoise: Corrupt<number> = (image, std, rng) =>
  withData(
    image,
    image.data.map((v) => v + rng.normal(0, std)),
  );

/** Photon noise: each value becomes Poisson(value * photons) / photons. */
export const shotNoise: Corrupt<number> = (image, photons, rng) =>
  withData(
    image,
    image.data.map((v) => samplePoisson(v * photons, rng) / photons),
  );

/**
 * Salt-and-pepper noise: each value (each channel separately) is replaced with probability `amount`, by 0 or 1 with
 * equal odds, as scikit-image's `random_noise(mode='s&p')` does.
 */
export const impulseNoise: Corrupt<number> = (image, amount, rng) =>
  withData(
    image,
    image.data.map((v) => (rng.float() < amount ? (rng.float() < 0.5 ? 1 : 0) : v)),
  );

/** log(k!) exactly for small k; the Stirling series is accurate to double precision above. */
const LOG_FACTORIAL = new Float64Array(256);
for (let k = 1; k < LOG_FACTORIAL.length; k++) LOG_FACTORIAL[k] = LOG_FACTORIAL[k - 1]! + Math.log(k);

function logFactorial(k: number): number {
  if (k < LOG_FACTORIAL.length) return LOG_FACTORIAL[k]!;
  const n = k + 1;
  return (
    (n - 0.5) * Math.log(n) - n + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * n) - 1 / (360 * n ** 3) + 1 / (1260 * n ** 5)
  );
}

/**
 * A Poisson sample with mean `mean`, by the two methods NumPy uses: multiplying uniforms for small means, and
 * Hörmann's transformed rejection with squeeze (PTRS, 1993) from 10 up, which needs about one pair of uniforms per
 * sample however large the mean (CIFAR-10-C's shot noise reaches 500).
 */
function samplePoisson(mean: number, rng: Rng): number {
  if (mean <= 0) return 0;
  if (mean < 10) {
    const threshold = Math.exp(-mean);
    let count = 0;
    for (let product = rng.float(); product > threshold; product *= rng.float()) count++;
    return count;
  }
  const root = Math.sqrt(mean);
  const logMean = Math.log(mean);
  const b = 0.931 + 2.53 * root;
  const a = -0.059 + 0.02483 * b;
  const logInverseAlpha = Math.log(1.1239 + 1.1328 / (b - 3.4));
  const acceptBound = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = rng.float() - 0.5;
    const v = rng.float();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= acceptBound) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (Math.log(v) + logInverseAlpha - Math.log(a / (us * us) + b) <= -mean + k * logMean - logFactorial(k)) return k;
  }
}
