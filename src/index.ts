/**
 * paretune's programmatic API. Plugin authors import `paretune/plugin` (contracts) and
 * `paretune/tensor` (TensorFlow.js runtime) instead; both are re-exported here for convenience.
 *
 * @packageDocumentation
 */
export * from './core/contracts/index.js';
export * from './core/tensor/index.js';
export { BackendToken, createContainer } from './core/container.js';
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
export { adaptModel, countForArchitecture, countParameters, parametersForArchitecture } from './core/model/adapt.js';
export type { ParameterCounts, ParameterRow, StrategyUse } from './core/model/adapt.js';
export { loadAdaptation, saveAdaptation } from './core/model/adaptation-file.js';
export { CheckpointError, readSafetensorsHeader, readTensor, writeSafetensors } from './core/model/safetensors.js';
export { cacheDir } from './core/paths.js';
export { saveCheckpoint } from './core/model/checkpoint.js';
export { adaptationStrategies } from './core/model/adaptation-file.js';
export type { RecordedStrategy } from './core/model/adaptation-file.js';
export {
  aboveAverage,
  aupf,
  hypervolume2d,
  nonDominated,
  paretoFrontier,
  pearson,
  spearman,
} from './core/frontier/index.js';
export type {
  FrontierDefinition,
  FrontierInput,
  FrontierPoint,
  FrontierResult,
  Objective,
  Sense,
} from './core/frontier/index.js';
export { evaluate } from './core/evaluation/evaluator.js';
export type { EvaluationPlan, EvaluationSet, MeasuredPoint } from './core/evaluation/evaluator.js';
export { evaluationSteps, NAMED_SCHEDULES } from './core/evaluation/schedules.js';
export type { EvaluationSchedule } from './core/evaluation/schedules.js';
export { resolveRun, runSpecSchema, trainingDefaults } from './core/runs/spec.js';
export type { ResolvedRun, RunSpec, RunSpecInput } from './core/runs/spec.js';
export { frontierObjectives, RunFailedError, runFineTuning } from './core/runs/runner.js';
export { accuracyObjectives, runFrontier, runObjectives } from './core/runs/frontiers.js';
export type { ThreatSelector } from './core/runs/frontiers.js';
export type { RunContext, RunEvent, RunResult } from './core/runs/runner.js';
export { evaluateModel, evaluationSpecSchema } from './core/runs/evaluate.js';
export type { EvaluationResult, EvaluationSpecInput } from './core/runs/evaluate.js';
export { TrainingDivergedError } from './core/training/trainer.js';
export { learningRate } from './core/training/schedule.js';
export { dataDir } from './core/paths.js';
