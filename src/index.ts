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
