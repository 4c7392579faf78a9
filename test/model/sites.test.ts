import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { Adaptation } from '../../src/core/contracts/index.js';
import { logitsOf, lossOn, tinyBatch, tinyModel } from '../helpers/index.js';

describe('model sites for prompt- and prefix-style strategies', () => {
  it('runs token-sequence and key/value hooks, and their parameters receive gradients', () => {
    const model = tinyModel();
    const { pixels, labels } = tinyBatch();
    const before = logitsOf(model, pixels);
    const prompt = tf.variable(tf.randomNormal([1, 2, 16], 0, 0.5, 'float32', 7));
    const prefix = tf.variable(tf.randomNormal([1, 3, 16], 0, 0.5, 'float32', 8));
    const seen: string[] = [];
    const adaptation: Adaptation = {
      trains: () => false,
      added: new Map([
        ['prompt.tokens', prompt],
        ['prefix.kv', prefix],
      ]),
      hooks: {
        tokens(sequence) {
          seen.push(`tokens ${sequence.shape.join('x')}`);
          const batch = sequence.shape[0];
          return tf.concat([sequence, tf.broadcastTo(prompt, [batch, 2, 16])], 1) as tf.Tensor3D;
        },
        keysValues(layer, keys, values) {
          seen.push(`kv ${layer} ${keys.shape.join('x')}`);
          const extra = tf.broadcastTo(prefix, [keys.shape[0], 3, 16]) as tf.Tensor3D;
          return {
            keys: tf.concat([keys, extra], 1) as tf.Tensor3D,
            values: tf.concat([values, extra], 1) as tf.Tensor3D,
          };
        },
      },
    };
    model.addAdaptation(adaptation);
    const after = logitsOf(model, pixels);
    expect(seen).toEqual(['tokens 6x5x16', 'kv 0 6x7x16', 'kv 1 6x7x16']);
    expect(after).not.toEqual(before);
    const { grads } = tf.variableGrads(() => lossOn(model, pixels, labels), [prompt, prefix]);
    for (const v of [prompt, prefix])
      expect(tf.tidy(() => tf.max(tf.abs(grads[v.name] as tf.Tensor)).dataSync()[0])).toBeGreaterThan(0);
    tf.dispose([...Object.values(grads), pixels, labels]);
    model.dispose();
  });
});
