import * as tf from '@tensorflow/tfjs-core';
import type { MatMulCall } from './native.js';

/** Sizes of one BatchMatMul as the native kernel takes them, without the tensors' addresses. */
export type MatMulPlan = Omit<MatMulCall, 'a' | 'b' | 'out'> & { readonly outShape: number[] };

/**
 * How the native kernel computes `matMul(a, b, transposeA, transposeB)` for these shapes, or undefined where the
 * stock kernel must: shapes that do not multiply (it throws tfjs's error), an empty result, or batch dimensions
 * that broadcast other than one side having a single matrix. 2-D products without transpose flags run here too:
 * the native kernel matches XNNPACK on the model's dense layers and beats it where B is a fresh tensor (XNNPACK
 * packs B again for every new tensor, as in each weight gradient).
 */
export function planBatchMatMul(
  aShape: readonly number[],
  bShape: readonly number[],
  transposeA: boolean,
  transposeB: boolean,
): MatMulPlan | undefined {
  const [aRank, bRank] = [aShape.length, bShape.length];
  if (aRank < 2 || bRank < 2) return undefined;
  const [aRows, aCols] = [aShape[aRank - 2] as number, aShape[aRank - 1] as number];
  const [bRows, bCols] = [bShape[bRank - 2] as number, bShape[bRank - 1] as number];
  const [m, k] = transposeA ? [aCols, aRows] : [aRows, aCols];
  const [kB, n] = transposeB ? [bCols, bRows] : [bRows, bCols];
  if (k !== kB) return undefined;
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(aShape.slice(0, -2), bShape.slice(0, -2));
  const batch = tf.util.sizeFromShape(outer);
  const [batchA, batchB] = [tf.util.sizeFromShape(aShape.slice(0, -2)), tf.util.sizeFromShape(bShape.slice(0, -2))];
  if (batch * m * n === 0) return undefined;
  if ((batchA !== batch && batchA !== 1) || (batchB !== batch && batchB !== 1)) return undefined;
  return {
    outShape: [...outer, m, n],
    batch,
    aBatchStride: batchA === 1 ? 0 : m * k,
    bBatchStride: batchB === 1 ? 0 : k * n,
    m,
    n,
    k,
    transposeA,
    transposeB,
  };
}
