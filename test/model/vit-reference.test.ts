import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../src/core/model/checkpoint.js';
import { Rng } from '../../src/core/tensor/rng.js';
import { relativeError, VIT_REFERENCE_DIR, vitReference } from '../helpers/fixtures.js';

const dir = VIT_REFERENCE_DIR;
const expected = vitReference;

describe.each(['wasm', 'cpu'])('ViT against the independent PyTorch reference on %s', (backend) => {
  const previous = tf.getBackend();
  afterAll(async () => {
    await tf.setBackend(previous);
  });

  it('reproduces logits, CLS features, loss and the pixel gradient', async () => {
    await tf.setBackend(backend);
    expect(
      createHash('sha256')
        .update(readFileSync(join(dir, 'model.safetensors')))
        .digest('hex'),
    ).toBe(expected.weights.sha256);
    const { model, info, freshHead } = loadCheckpoint(join(dir, 'model.safetensors'), {
      rng: Rng.fromSeed(0),
      overrides: { numHeads: expected.config.num_attention_heads },
    });
    expect(info.layout).toBe('hf-classification');
    expect(freshHead).toBe(false);
    const pixels = tf.tensor4d(expected.pixels.data, expected.pixels.shape as [number, number, number, number]);
    const labels = tf.oneHot(tf.tensor1d(expected.labels, 'int32'), model.numClasses);
    const { logits, cls } = tf.tidy(() => model.forward(pixels));
    const lossOf = (x: tf.Tensor4D): tf.Scalar => tf.losses.softmaxCrossEntropy(labels, model.logits(x)) as tf.Scalar;
    const { value: loss, grad } = tf.tidy(() => tf.valueAndGrad(lossOf)(pixels));

    expect(relativeError(logits.dataSync(), expected.logits.data)).toBeLessThanOrEqual(1e-4);
    expect(relativeError(cls.dataSync(), expected.cls_features.data)).toBeLessThanOrEqual(1e-4);
    expect(loss.dataSync()[0]).toBeCloseTo(expected.loss, 4);
    expect(grad.shape).toEqual(expected.grad_pixels.shape);
    expect(relativeError(grad.dataSync(), expected.grad_pixels.data)).toBeLessThanOrEqual(1e-3);
    tf.dispose([pixels, labels, logits, cls, loss, grad]);
    model.dispose();
  });
});
