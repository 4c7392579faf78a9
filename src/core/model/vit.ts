import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../contracts/config.js';
import type { Adaptation } from '../contracts/strategy.js';
import type { AdaptableModel, Classifier, LinearSite, ParameterInfo, ResidualSite } from '../contracts/model.js';
import type { Rng } from '../tensor/rng.js';
import { dense, gelu, layerNorm, softmax } from '../tensor/ops.js';
import { blockPrefix, linearName } from '../contracts/model.js';
import { baseParameters, isHead, numPatches, sizeOf } from './architecture.js';
import type { ViTConfig } from './architecture.js';

const PATCH_WEIGHT = 'embeddings.patch_embeddings.projection.weight';

/** Whether a parameter is a linear weight (stored `[in, out]` here, `[out, in]` in PyTorch). */
const isLinearWeight = (info: ParameterInfo): boolean => info.shape.length === 2 && info.name.endsWith('.weight');

/** The shape a parameter is kept in for the fast path (linear weights transposed, patch conv as a matrix). */
function internalShape(info: ParameterInfo): number[] {
  if (info.name === PATCH_WEIGHT) {
    const [d, c, p] = info.shape as [number, number, number, number];
    return [p * p * c, d];
  }
  if (isLinearWeight(info)) return [info.shape[1] as number, info.shape[0] as number];
  return [...info.shape];
}

/** PyTorch layout -> internal layout (patch conv `[D, C, p, p]` -> rows ordered (py, px, c)). */
function toInternal(info: ParameterInfo, values: Float32Array): tf.Tensor {
  return tf.tidy(() => {
    const t = tf.tensor(values, [...info.shape]);
    if (info.name === PATCH_WEIGHT) return tf.reshape(tf.transpose(t, [2, 3, 1, 0]), internalShape(info));
    if (isLinearWeight(info)) return tf.transpose(t);
    return t;
  });
}

/** Internal layout -> PyTorch layout. */
function toPyTorch(info: ParameterInfo, t: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    if (info.name === PATCH_WEIGHT) {
      const [d, c, p] = info.shape as [number, number, number, number];
      return tf.transpose(tf.reshape(t, [p, p, c, d]), [3, 2, 0, 1]);
    }
    if (isLinearWeight(info)) return tf.transpose(t);
    return t.clone();
  });
}

/** Hugging Face ViT initialisation: truncated normal (std 0.02) for weights and tokens, zero biases, unit LayerNorm. */
function initialValues(info: ParameterInfo, rng: Rng): Float32Array {
  const n = sizeOf(info.shape);
  const isNorm = info.name.includes('layernorm');
  if (isNorm && info.name.endsWith('.weight')) return new Float32Array(n).fill(1);
  if (info.name.endsWith('.bias')) return new Float32Array(n);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let z: number;
    do z = rng.normal();
    while (Math.abs(z) > 2);
    out[i] = 0.02 * z;
  }
  return out;
}

/** Output of a forward pass. */
export type ViTOutput = {
  /** `[batch, numClasses]`. */
  readonly logits: tf.Tensor2D;
  /** CLS token after the final LayerNorm, `[batch, hidden]`. */
  readonly cls: tf.Tensor2D;
};

/**
 * A Vision Transformer as in Hugging Face `transformers` (pre-norm blocks, exact GELU, no dropout), taking
 * [0,1] NHWC pixels and normalising them itself. Parameters are named as in `ViTForImageClassification`
 * without the `vit.` prefix; linear layers run on the wasm fast path (2-D matMuls, explicit transposes).
 * Strategies attach through {@link VisionTransformer.addAdaptation}: their hooks run at the named sites and
 * their `trains` predicates decide which base parameters train (the head always trains).
 */
export class VisionTransformer implements AdaptableModel, Classifier {
  readonly parameters: readonly ParameterInfo[];
  private readonly infos: ReadonlyMap<string, ParameterInfo>;
  private readonly variables = new Map<string, tf.Variable>();
  private readonly adaptations: Adaptation[] = [];
  private readonly mean: tf.Tensor1D;
  /** While positive, every weight is treated as frozen (no weight gradients): attacks and evaluation. */
  private frozenDepth = 0;
  private readonly std: tf.Tensor1D;

  /**
   * @param values - base parameters in PyTorch layout by Hugging Face name; every parameter must be present.
   */
  constructor(
    readonly architecture: ViTConfig,
    values: ReadonlyMap<string, Float32Array>,
  ) {
    const { hiddenSize, numHeads, imageSize, patchSize } = architecture;
    if (hiddenSize % numHeads !== 0)
      throw new ConfigError(`model config: hidden size ${hiddenSize} is not divisible by ${numHeads} heads`);
    if (imageSize % patchSize !== 0)
      throw new ConfigError(`model config: image size ${imageSize} is not divisible by patch size ${patchSize}`);
    this.parameters = baseParameters(architecture);
    this.infos = new Map(this.parameters.map((p) => [p.name, p]));
    for (const info of this.parameters) {
      const data = values.get(info.name);
      if (data === undefined) throw new RangeError(`no value for parameter '${info.name}'`);
      this.variables.set(
        info.name,
        tf.tidy(() => tf.variable(toInternal(info, data), isHead(info.name))),
      );
    }
    this.mean = tf.tensor1d([...architecture.mean]);
    this.std = tf.tensor1d([...architecture.std]);
  }

  /** A randomly initialised model (Hugging Face's initialisation), e.g. for small presets without weights. */
  static random(architecture: ViTConfig, rng: Rng): VisionTransformer {
    const values = new Map(baseParameters(architecture).map((info) => [info.name, initialValues(info, rng)]));
    return new VisionTransformer(architecture, values);
  }

  /** Fresh head values for `numClasses` (normal, std 0.02; zero bias), as a new head is initialised. */
  static headValues(architecture: ViTConfig, rng: Rng): Map<string, Float32Array> {
    const head = baseParameters(architecture).filter((p) => isHead(p.name));
    return new Map(head.map((info) => [info.name, initialValues(info, rng)]));
  }

  get numClasses(): number {
    return this.architecture.numClasses;
  }

  /** Attaches a strategy's adaptation: its hooks run after those already attached. */
  addAdaptation(adaptation: Adaptation): void {
    this.adaptations.push(adaptation);
    for (const [name, variable] of this.variables) {
      variable.trainable = isHead(name) || this.adaptations.some((a) => a.trains(name));
    }
  }

  /**
   * Runs `fn` with every base weight treated as frozen, so gradients (e.g. an attack's, with respect to the
   * pixels) cost no weight-gradient work. Training state is untouched.
   */
  async withFrozenWeights<T>(fn: () => Promise<T> | T): Promise<T> {
    this.frozenDepth++;
    try {
      return await fn();
    } finally {
      this.frozenDepth--;
    }
  }

  private trains(v: tf.Variable): boolean {
    return v.trainable && this.frozenDepth === 0;
  }

  /** Base parameters that train, by name. */
  trainableBaseNames(): string[] {
    return [...this.variables].filter(([, v]) => v.trainable).map(([name]) => name);
  }

  /** Parameters added by the attached adaptations, by name. */
  addedVariables(): Map<string, tf.Variable> {
    const added = new Map<string, tf.Variable>();
    for (const a of this.adaptations) for (const [name, v] of a.added) added.set(name, v);
    return added;
  }

  /** Everything the optimiser updates, by name: trainable base parameters, then added parameters. */
  trainableParameters(): { name: string; variable: tf.Variable }[] {
    const base = [...this.variables].filter(([, v]) => v.trainable);
    return [...base, ...this.addedVariables()].map(([name, variable]) => ({ name, variable }));
  }

  /** The variables of {@link VisionTransformer.trainableParameters}. */
  trainableVariables(): tf.Variable[] {
    return this.trainableParameters().map((p) => p.variable);
  }

  /** A base parameter's value in PyTorch layout. */
  async read(name: string): Promise<Float32Array> {
    const info = this.info(name);
    const t = toPyTorch(info, this.variables.get(name) as tf.Variable);
    const data = (await t.data()) as Float32Array;
    t.dispose();
    return data;
  }

  /** Sets a base parameter from a value in PyTorch layout. */
  write(name: string, values: Float32Array): void {
    const info = this.info(name);
    if (values.length !== sizeOf(info.shape)) {
      throw new RangeError(
        `parameter '${name}' holds ${sizeOf(info.shape)} values [${info.shape.join(', ')}], got ${values.length}`,
      );
    }
    const t = toInternal(info, values);
    (this.variables.get(name) as tf.Variable).assign(t);
    t.dispose();
  }

  private info(name: string): ParameterInfo {
    const info = this.infos.get(name);
    if (info === undefined) throw new RangeError(`the model has no parameter '${name}'`);
    return info;
  }

  private v<T extends tf.Tensor>(name: string): T {
    return this.variables.get(name) as unknown as T;
  }

  private linear(site: LinearSite, layer: number | undefined, x: tf.Tensor2D): tf.Tensor2D {
    const name = linearName(site, layer);
    const w = this.variables.get(`${name}.weight`) as tf.Variable;
    const b = this.variables.get(`${name}.bias`) as tf.Variable;
    let out: tf.Tensor = dense(x, w as tf.Tensor2D, b as tf.Tensor1D, this.trains(w), this.trains(b));
    for (const a of this.adaptations) if (a.hooks.linear) out = a.hooks.linear(site, layer, x, out);
    return out as tf.Tensor2D;
  }

  private residual(site: ResidualSite, layer: number, x: tf.Tensor2D): tf.Tensor2D {
    let out: tf.Tensor = x;
    for (const a of this.adaptations) if (a.hooks.residual) out = a.hooks.residual(site, layer, out);
    return out as tf.Tensor2D;
  }

  private layerNorm(x: tf.Tensor2D, name: string): tf.Tensor2D {
    return layerNorm(x, this.v(`${name}.weight`), this.v(`${name}.bias`), this.architecture.layerNormEps);
  }

  /** Normalised pixels `[B, H, W, C]` -> patch rows `[B * patches, p * p * C]` ordered (py, px, c). */
  private patches(pixels: tf.Tensor4D): tf.Tensor2D {
    const { patchSize: p, imageSize, numChannels: c } = this.architecture;
    const [batch, height, width, channels] = pixels.shape;
    if (height !== imageSize || width !== imageSize || channels !== c) {
      throw new RangeError(
        `expected pixels [batch, ${imageSize}, ${imageSize}, ${c}], got [${pixels.shape.join(', ')}]`,
      );
    }
    const g = imageSize / p;
    const normalised = tf.div(tf.sub(pixels, this.mean), this.std);
    const rows = tf.reshape(normalised, [batch * g, p, g, p * c]);
    return tf.reshape(tf.transpose(rows, [0, 2, 1, 3]), [batch * g * g, p * p * c]);
  }

  /** Multi-head attention of queries `[B*T, D]` over keys/values `[B, Tk, D]`; returns `[B*T, D]`. */
  private attention(
    q: tf.Tensor2D,
    keys: tf.Tensor3D,
    values: tf.Tensor3D,
    batch: number,
    tokens: number,
  ): tf.Tensor2D {
    const { hiddenSize: d, numHeads: h } = this.architecture;
    const dh = d / h;
    const tk = keys.shape[1];
    const qh = tf.reshape(
      tf.transpose(tf.reshape(tf.mul(q, 1 / Math.sqrt(dh)), [batch, tokens, h, dh]), [0, 2, 1, 3]),
      [batch * h, tokens, dh],
    );
    const khT = tf.reshape(tf.transpose(tf.reshape(keys, [batch, tk, h, dh]), [0, 2, 3, 1]), [batch * h, dh, tk]);
    const vh = tf.reshape(tf.transpose(tf.reshape(values, [batch, tk, h, dh]), [0, 2, 1, 3]), [batch * h, tk, dh]);
    const probs = softmax(tf.matMul(qh, khT));
    const context = tf.reshape(tf.matMul(probs, vh), [batch, h, tokens, dh]);
    return tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [batch * tokens, d]);
  }

  /** Encoder block `layer` (pre-norm attention, then pre-norm MLP) on tokens `[B*T, D]`. */
  private block(layer: number, x: tf.Tensor2D, batch: number, tokens: number): tf.Tensor2D {
    const d = this.architecture.hiddenSize;
    const prefix = blockPrefix(layer);
    const h = this.layerNorm(x, `${prefix}.layernorm_before`);
    const q = this.linear('query', layer, h);
    let keys = tf.reshape(this.linear('key', layer, h), [batch, tokens, d]) as tf.Tensor3D;
    let values = tf.reshape(this.linear('value', layer, h), [batch, tokens, d]) as tf.Tensor3D;
    for (const a of this.adaptations)
      if (a.hooks.keysValues) ({ keys, values } = a.hooks.keysValues(layer, keys, values));
    const attended = this.linear('attn_out', layer, this.attention(q, keys, values, batch, tokens));
    const mid = tf.add(x, this.residual('attn_out', layer, attended)) as tf.Tensor2D;
    const h2 = this.layerNorm(mid, `${prefix}.layernorm_after`);
    const mlp = this.linear('ffn_out', layer, gelu(this.linear('intermediate', layer, h2)) as tf.Tensor2D);
    return tf.add(mid, this.residual('ffn_out', layer, mlp));
  }

  /** Logits and CLS features for [0,1] pixels `[B, H, W, C]`. Call inside `tf.tidy` or a gradient function. */
  forward(pixels: tf.Tensor4D): ViTOutput {
    const { hiddenSize: d, numLayers } = this.architecture;
    const batch = pixels.shape[0];
    const n = numPatches(this.architecture);
    const patchW = this.variables.get(PATCH_WEIGHT) as tf.Variable;
    const patchB = this.variables.get('embeddings.patch_embeddings.projection.bias') as tf.Variable;
    const embedded = tf.reshape(
      dense(
        this.patches(pixels),
        patchW as tf.Tensor2D,
        patchB as tf.Tensor1D,
        this.trains(patchW),
        this.trains(patchB),
      ),
      [batch, n, d],
    );
    const cls = tf.broadcastTo(this.v<tf.Tensor3D>('embeddings.cls_token'), [batch, 1, d]);
    let sequence = tf.add(tf.concat([cls, embedded], 1), this.v('embeddings.position_embeddings')) as tf.Tensor3D;
    for (const a of this.adaptations) if (a.hooks.tokens) sequence = a.hooks.tokens(sequence);
    const tokens = sequence.shape[1];
    let x = tf.reshape(sequence, [batch * tokens, d]) as tf.Tensor2D;

    // One scope per block: a pass without gradients keeps one block's activations at a time, not all of them
    // (under a gradient tape the tensors a backward pass needs are kept by the tape).
    for (let i = 0; i < numLayers; i++) x = tf.tidy(() => this.block(i, x, batch, tokens));
    // LayerNorm is per token, so normalising only the CLS rows gives the same features.
    const clsRows = tf.reshape(tf.slice(tf.reshape(x, [batch, tokens, d]), [0, 0, 0], [batch, 1, d]), [
      batch,
      d,
    ]) as tf.Tensor2D;
    const features = this.layerNorm(clsRows, 'layernorm');
    return { logits: this.linear('head', undefined, features), cls: features };
  }

  logits(pixels: tf.Tensor4D): tf.Tensor2D {
    return this.forward(pixels).logits;
  }

  /** Frees the base parameters, the normalisation constants and every added parameter. */
  dispose(): void {
    for (const v of this.variables.values()) v.dispose();
    for (const v of this.addedVariables().values()) v.dispose();
    this.mean.dispose();
    this.std.dispose();
  }
}
