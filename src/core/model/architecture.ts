import { blockPrefix, linearName } from '../contracts/model.js';
import type { ModelArchitecture, ParameterInfo } from '../contracts/model.js';

/** A ViT's architecture plus the input normalisation it applies to [0,1] pixels. */
export interface ViTConfig extends ModelArchitecture {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/** Number of patches of one image. */
export const numPatches = (a: ModelArchitecture): number => (a.imageSize / a.patchSize) ** 2;

/**
 * Every base parameter in Hugging Face `ViTForImageClassification` naming (without the `vit.` prefix) and
 * PyTorch shapes: linear weights `[out, in]`, the patch convolution `[hidden, channels, patch, patch]`.
 * The pooler is not part of the model (the classifier reads the final-LayerNorm CLS token).
 */
export function baseParameters(a: ModelArchitecture): ParameterInfo[] {
  const d = a.hiddenSize;
  const params: ParameterInfo[] = [
    { name: 'embeddings.cls_token', shape: [1, 1, d] },
    { name: 'embeddings.position_embeddings', shape: [1, numPatches(a) + 1, d] },
    { name: 'embeddings.patch_embeddings.projection.weight', shape: [d, a.numChannels, a.patchSize, a.patchSize] },
    { name: 'embeddings.patch_embeddings.projection.bias', shape: [d] },
  ];
  const linear = (name: string, out: number, inp: number): void => {
    params.push({ name: `${name}.weight`, shape: [out, inp] }, { name: `${name}.bias`, shape: [out] });
  };
  for (let i = 0; i < a.numLayers; i++) {
    const p = blockPrefix(i);
    params.push(
      { name: `${p}.layernorm_before.weight`, shape: [d] },
      { name: `${p}.layernorm_before.bias`, shape: [d] },
    );
    for (const site of ['query', 'key', 'value', 'attn_out'] as const) linear(linearName(site, i), d, d);
    params.push({ name: `${p}.layernorm_after.weight`, shape: [d] }, { name: `${p}.layernorm_after.bias`, shape: [d] });
    linear(linearName('intermediate', i), a.intermediateSize, d);
    linear(linearName('ffn_out', i), d, a.intermediateSize);
  }
  params.push({ name: 'layernorm.weight', shape: [d] }, { name: 'layernorm.bias', shape: [d] });
  linear('classifier', a.numClasses, d);
  return params;
}

/** Whether a base parameter belongs to the classification head (always trainable, freshly initialised). */
export const isHead = (name: string): boolean => name.startsWith('classifier.');

/** Product of a shape. */
export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** A named architecture, with where its pre-trained weights come from (none: random initialisation). */
export interface Preset {
  readonly name: string;
  readonly description: string;
  readonly config: Omit<ViTConfig, 'numClasses'>;
  readonly weights?: string;
}

const HALF = [0.5, 0.5, 0.5];
const vit = (
  imageSize: number,
  patchSize: number,
  hiddenSize: number,
  numLayers: number,
  numHeads: number,
  intermediateSize: number,
  layerNormEps: number,
) => ({
  imageSize,
  patchSize,
  numChannels: 3,
  hiddenSize,
  numLayers,
  numHeads,
  intermediateSize,
  layerNormEps,
  mean: HALF,
  std: HALF,
});

/** Built-in presets; `vit-base-patch16-224` is the reference study's backbone. */
export const PRESETS: readonly Preset[] = [
  {
    name: 'vit-base-patch16-224',
    description: 'ViT-B/16, ImageNet-21k pre-trained (the reference study backbone)',
    config: vit(224, 16, 768, 12, 12, 3072, 1e-12),
    weights: 'hf:google/vit-base-patch16-224-in21k',
  },
  {
    name: 'vit-small-patch16-224',
    description: 'ViT-S/16, ImageNet-21k pre-trained (timm augreg)',
    config: vit(224, 16, 384, 12, 6, 1536, 1e-6),
    weights: 'hf:timm/vit_small_patch16_224.augreg_in21k',
  },
  {
    name: 'vit-tiny-patch16-224',
    description: 'ViT-Ti/16, ImageNet-21k pre-trained (timm augreg)',
    config: vit(224, 16, 192, 12, 3, 768, 1e-6),
    weights: 'hf:timm/vit_tiny_patch16_224.augreg_in21k',
  },
  {
    name: 'vit-bench-32',
    description: 'CPU benchmark model: 32 px, patch 4, dim 64, depth 4, 4 heads (random initialisation)',
    config: vit(32, 4, 64, 4, 4, 256, 1e-12),
  },
  {
    name: 'vit-micro-28',
    description:
      'small CPU model for 28 px images (Fashion-MNIST): patch 4, dim 64, depth 4, 4 heads (random initialisation)',
    config: vit(28, 4, 64, 4, 4, 128, 1e-12),
  },
  {
    name: 'vit-demo-28',
    description:
      "the demo's model for 28 px images: patch 7 (16 patches), dim 64, depth 4, 4 heads, MLP 128 (random initialisation)",
    config: vit(28, 7, 64, 4, 4, 128, 1e-12),
  },
];

export function findPreset(name: string): Preset | undefined {
  return PRESETS.find((p) => p.name === name);
}
