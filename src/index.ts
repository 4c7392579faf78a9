/**
 * paretune's programmatic API. Plugin authors import `paretune/plugin` (contracts) and
 * `paretune/tensor` (TensorFlow.js runtime) instead; both are re-exported here for convenience.
 *
 * @packageDocumentation
 */
export * from './core/contracts/index.js';
export * from './core/tensor/index.js';
export { BackendToken, createContainer, PluginTokens } from './core/container.js';
export type { ContainerOptions } from './core/container.js';
export { PluginRegistry } from './core/registry/registry.js';
export type { RegisteredPlugin } from './core/registry/registry.js';
export { PROJECT_CONFIG_FILE } from './core/registry/project-config.js';
export { PARETUNE_VERSION } from './core/version.js';
export { builtinPlugins } from './plugins/index.js';
export { findPreset, PRESETS, baseParameters } from './core/model/architecture.js';
export type { Preset, ViTConfig } from './core/model/architecture.js';
export { VisionTransformer } from './core/model/vit.js';
export type { ViTOutput } from './core/model/vit.js';
export { inspectCheckpoint, loadCheckpoint } from './core/model/checkpoint.js';
export type { CheckpointInfo, CheckpointLayout, LoadOptions } from './core/model/checkpoint.js';
export { architectureOf, loadModel } from './core/model/source.js';
export type { LoadedModel, ModelSourceOptions } from './core/model/source.js';
export { downloadFromHub, parseHubSource } from './core/model/hub.js';
export { adaptModel, countForArchitecture, countParameters } from './core/model/adapt.js';
export type { ParameterCounts, StrategyUse } from './core/model/adapt.js';
export { loadAdaptation, saveAdaptation } from './core/model/adaptation-file.js';
export { CheckpointError, readSafetensorsHeader, readTensor, writeSafetensors } from './core/model/safetensors.js';
export { cacheDir } from './core/paths.js';
