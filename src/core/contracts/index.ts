/**
 * The public plugin API (`paretune/plugin`): the one module a plugin imports, together with
 * `paretune/tensor` for TensorFlow.js and the seeded random source.
 *
 * @packageDocumentation
 */
export { z } from 'zod';
export { ConfigError, configJsonSchema, parseConfig } from './config.js';
export type { ConfigSchema } from './config.js';
export { fileError, FileError, isUserError, UserError } from './errors.js';
export { PLUGIN_API_VERSION, PLUGIN_FAMILIES } from './meta.js';
export type { PluginFamily, PluginMeta } from './meta.js';
export { definePlugin, isPluginLike, PluginError, validatePlugin } from './plugin.js';
export type { Plugin, PluginBase, PluginOf } from './plugin.js';
export { BLOCK_LINEAR_SITES, blockPrefix, linearName, linearShape } from './model.js';
export type {
  AdaptableModel,
  Classifier,
  LinearSite,
  ModelArchitecture,
  ParameterInfo,
  ResidualSite,
} from './model.js';
export type { Adaptation, AdaptationHooks, StrategyPlugin } from './strategy.js';
export { checkRadii, epsSchema, radiiOf, radiusSchema } from './attack.js';
export type { AttackInput, AttackPlugin, AttackResult, ThreatModel } from './attack.js';
export type { PixelShiftPlugin, ShiftPlugin, ShiftVariant, SplitShiftPlugin } from './shift.js';
export { memorySplit } from './dataset.js';
export type {
  ArchiveEntry,
  DatasetAvailability,
  DatasetDescription,
  DatasetFiles,
  DatasetPlugin,
  DatasetSplit,
  FileSource,
  ImageBatch,
  ImageWriter,
  OpenOptions,
  ParquetInfo,
  ParquetRow,
  ProgressListener,
  ZipArchive,
  ZipEntryStat,
} from './dataset.js';
export type {
  AggregateMetricPlugin,
  MetricContext,
  MetricPlugin,
  MetricPoint,
  PointMetricPlugin,
  PredictionSet,
} from './metric.js';
export type { Rng, RngState } from '../tensor/rng.js';
