import { GraphQLDateTimeISO, GraphQLJSON } from 'graphql-scalars';
import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

/** GraphQL object types of the API. Every field names its type explicitly (no reliance on emitted metadata). */

export enum PluginFamily {
  STRATEGY = 'strategy',
  ATTACK = 'attack',
  SHIFT = 'shift',
  DATASET = 'dataset',
  METRIC = 'metric',
}
registerEnumType(PluginFamily, {
  name: 'PluginFamily',
  description: 'What a plugin adds: a fine-tuning strategy, an attack, a shift, a dataset or a metric.',
});

export enum RunStatus {
  QUEUED = 'queued',
  RUNNING = 'running',
  INTERRUPTED = 'interrupted',
  FINISHED = 'finished',
  FAILED = 'failed',
  CANCELLED = 'cancelled',
}
registerEnumType(RunStatus, {
  name: 'RunStatus',
  description:
    'QUEUED: waiting in this server; RUNNING; INTERRUPTED: its process died (resumable); FINISHED; FAILED; CANCELLED (resumable).',
});

export enum Sense {
  MAX = 'max',
  MIN = 'min',
}
registerEnumType(Sense, { name: 'Sense', description: 'Whether an objective is maximised or minimised.' });

@ObjectType({ description: 'A registered plugin.' })
export class PluginInfo {
  @Field(() => PluginFamily) family!: PluginFamily;
  @Field(() => String) name!: string;
  @Field(() => String) version!: string;
  @Field(() => Int, { description: 'Plugin contract version it was written against.' }) apiVersion!: number;
  @Field(() => String) description!: string;
  @Field(() => String, { description: "Where it was loaded from: 'built-in', paretune.config.json or --plugin." })
  origin!: string;
  @Field(() => GraphQLJSON, { description: 'JSON Schema of its config.' }) configSchema!: unknown;
}

@ObjectType({ description: 'A dataset plugin, what it holds and whether its files are on the server.' })
export class DatasetInfo {
  @Field(() => String) name!: string;
  @Field(() => String) version!: string;
  @Field(() => String) description!: string;
  @Field(() => Boolean, {
    description: 'False when the dataset needs a config (its classes and splits are then unknown).',
  })
  configured!: boolean;
  @Field(() => Int, { nullable: true }) numClasses?: number;
  @Field(() => [String], { nullable: true }) classNames?: string[];
  @Field(() => [String], { nullable: true }) splits?: string[];
  @Field(() => [String], { nullable: true }) domains?: string[];
  @Field(() => Int, { nullable: true }) nativeResolution?: number;
  @Field(() => Boolean, { description: 'Whether its files are present on the server (no download needed).' })
  available!: boolean;
  @Field(() => Float, { nullable: true }) bytes?: number;
  @Field(() => String) detail!: string;
}

@ObjectType()
export class PluginVersion {
  @Field(() => String) name!: string;
  @Field(() => String) version!: string;
}

@ObjectType({ description: "A run's headline numbers, measured on its best-validation checkpoint." })
export class RunSummary {
  @Field(() => Float, { nullable: true }) testAccuracy?: number;
  @Field(() => Float, {
    nullable: true,
    description: "Under the run's frontier threat model (its first attack's first).",
  })
  robustAccuracy?: number;
  @Field(() => Float, { nullable: true, description: 'Pooled over every corruption, or every other domain.' })
  shiftedAccuracy?: number;
  @Field(() => Float, {
    nullable: true,
    description: 'Area under the Pareto frontier of (test accuracy, robust accuracy) over the logged steps.',
  })
  aupf?: number;
  @Field(() => Float, { nullable: true }) trainableParameters?: number;
  @Field(() => Float, { nullable: true }) trainablePercent?: number;
}

export enum CorrelationKind {
  SHIFT = 'shift',
  POOLED = 'pooled',
  ROBUST = 'robust',
}
registerEnumType(CorrelationKind, {
  name: 'CorrelationKind',
  description:
    'What clean test accuracy is correlated with. SHIFT: accuracy under one corruption at one severity, or on one other domain; ' +
    "POOLED: all shifts pooled, the accuracy over every shifted image of a step (each corruption, severity and domain weighted by its images; steps lacking any of the run's shifted series left out); " +
    'ROBUST: robust test accuracy under one threat model.',
});

const CORRELATION_LABEL = "e.g. 'corruptions fog/3', 'domains sketch', 'all shifts', 'pgd Linf eps 8/255'.";
const CORRELATION_CONTEXT =
  "The correlated accuracy's metric context (as in Run.history); null for POOLED, which is computed.";

@ObjectType({
  description:
    "Pearson and Spearman correlation, over one run's logged evaluation steps, of clean test accuracy with one shifted or robust accuracy. " +
    'Steps lacking either value are left out; fewer than 3 common steps or a constant series gives null.',
})
export class AccuracyCorrelation {
  @Field(() => CorrelationKind) kind!: CorrelationKind;
  @Field(() => String, { description: CORRELATION_LABEL }) label!: string;
  @Field(() => GraphQLJSON, { nullable: true, description: CORRELATION_CONTEXT })
  context!: Record<string, string | number> | null;
  @Field(() => Float, { nullable: true, description: 'Pearson r (null: not defined).' }) pearson!: number | null;
  @Field(() => Float, {
    nullable: true,
    description: 'Spearman rank correlation, tied values sharing their average rank (null: not defined).',
  })
  spearman!: number | null;
  @Field(() => Int, { description: 'Logged evaluation steps with both values: the sample.' }) steps!: number;
}

@ObjectType({
  description:
    "A correlation of clean test accuracy with one shifted or robust accuracy (see AccuracyCorrelation), averaged over an entry's runs where it is defined.",
})
export class MeanAccuracyCorrelation {
  @Field(() => CorrelationKind) kind!: CorrelationKind;
  @Field(() => String, { description: CORRELATION_LABEL }) label!: string;
  @Field(() => GraphQLJSON, { nullable: true, description: CORRELATION_CONTEXT })
  context!: Record<string, string | number> | null;
  @Field(() => Float, { nullable: true, description: 'Mean Pearson r over the runs (null: defined in none).' })
  pearson!: number | null;
  @Field(() => Float, {
    nullable: true,
    description: 'Mean Spearman correlation over the runs (null: defined in none).',
  })
  spearman!: number | null;
  @Field(() => Int, { description: 'Runs whose correlation is defined: the sample of the means.' }) runs!: number;
}

@ObjectType({ description: 'A metric and context a run measured, with how many logged points it has.' })
export class MetricSeries {
  @Field(() => String) metric!: string;
  @Field(() => GraphQLJSON) context!: Record<string, string | number>;
  @Field(() => Int) points!: number;
}

@ObjectType()
export class HistoryPoint {
  @Field(() => Int) step!: number;
  @Field(() => Int) epoch!: number;
  @Field(() => Float, { nullable: true, description: 'Null when the measurement was not a number (a diverged run).' })
  value!: number | null;
  @Field(() => Int, { description: 'Images the value was measured on.' }) count!: number;
  @Field(() => Float) seconds!: number;
}

@ObjectType({ description: 'Live state of a run queued or running in this server.' })
export class RunProgressInfo {
  @Field(() => ID) runId!: string;
  @Field(() => RunStatus) status!: RunStatus;
  @Field(() => Int) step!: number;
  @Field(() => Int, { nullable: true }) totalSteps?: number;
  @Field(() => Float, { nullable: true }) loss?: number;
  @Field(() => Float, { nullable: true }) learningRate?: number;
  @Field(() => Int, { nullable: true }) evaluatedStep?: number;
  @Field(() => String, { nullable: true }) error?: string;
}

@ObjectType({ description: 'One fine-tuning run.' })
export class Run {
  @Field(() => ID) id!: string;
  @Field(() => ID, { nullable: true }) experimentId!: string | null;
  @Field(() => RunStatus) status!: RunStatus;
  @Field(() => Int) seed!: number;
  @Field(() => String, { description: "Strategy names joined by '+' for stacks." }) strategy!: string;
  @Field(() => String) dataset!: string;
  @Field(() => ID, {
    nullable: true,
    description:
      "Stable id of the backbone: a preset's name, hf:<repo>@<revision>, or sha256:<hex> of a checkpoint's weights (null: unknown, e.g. a queued checkpoint run). Filters match it.",
  })
  model!: string | null;
  @Field(() => String, {
    nullable: true,
    description: 'Where the backbone came from, as display text (no server paths).',
  })
  modelName!: string | null;
  @Field(() => String, { nullable: true, description: 'TensorFlow.js backend it ran on.' }) backend!: string | null;
  @Field(() => [PluginVersion]) plugins!: PluginVersion[];
  @Field(() => String, { nullable: true }) paretuneVersion!: string | null;
  @Field(() => [String]) tags!: string[];
  @Field(() => GraphQLDateTimeISO) createdAt!: string;
  @Field(() => GraphQLDateTimeISO, { nullable: true }) finishedAt!: string | null;
  @Field(() => Int, { nullable: true }) bestStep!: number | null;
  @Field(() => Int, { nullable: true }) lastStep!: number | null;
  @Field(() => Float, { nullable: true }) seconds!: number | null;
  @Field(() => String, { nullable: true }) error!: string | null;
  @Field(() => GraphQLJSON, { description: 'The run spec with every default filled in.' }) spec!: unknown;
  /** Stored result summary (not exposed; its parts are). */
  result!: unknown;
}

@ObjectType()
export class PageInfo {
  @Field(() => Boolean) hasNextPage!: boolean;
  @Field(() => Boolean) hasPreviousPage!: boolean;
  @Field(() => String, { nullable: true }) startCursor!: string | null;
  @Field(() => String, { nullable: true }) endCursor!: string | null;
}

@ObjectType()
export class RunEdge {
  @Field(() => String) cursor!: string;
  @Field(() => Run) node!: Run;
}

@ObjectType({ description: 'A page of runs (Relay cursor connection).' })
export class RunConnection {
  @Field(() => [RunEdge]) edges!: RunEdge[];
  @Field(() => [Run]) nodes!: Run[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
  @Field(() => Int, { description: 'Runs matching the filter, over all pages.' }) totalCount!: number;
}

@ObjectType({ description: 'A study: strategies x datasets x seeds x settings.' })
export class Experiment {
  @Field(() => ID) id!: string;
  @Field(() => String) name!: string;
  @Field(() => GraphQLDateTimeISO) createdAt!: string;
  @Field(() => GraphQLJSON, { description: 'The experiment file as stored.' }) definition!: unknown;
}

@ObjectType()
export class Objective {
  @Field(() => String) metric!: string;
  @Field(() => GraphQLJSON, { nullable: true }) context!: Record<string, string | number> | null;
  @Field(() => Sense) sense!: Sense;
}

@ObjectType({ description: 'How a frontier and its area were computed, stored with every frontier.' })
export class FrontierDefinition {
  @Field(() => String) name!: string;
  @Field(() => String) description!: string;
  @Field(() => [Objective]) objectives!: Objective[];
  @Field(() => [Float]) referencePoint!: number[];
}

@ObjectType()
export class FrontierPoint {
  @Field(() => ID) runId!: string;
  @Field(() => Int) step!: number;
  @Field(() => [Float]) values!: number[];
  @Field(() => Float, { description: 'Hypervolume lost if this point alone were removed.' }) contribution!: number;
}

@ObjectType({
  description:
    'A Pareto frontier over logged steps of one or more runs, and its hypervolume (AUPF for accuracy vs robustness).',
})
export class Frontier {
  @Field(() => FrontierDefinition) definition!: FrontierDefinition;
  @Field(() => [FrontierPoint]) points!: FrontierPoint[];
  @Field(() => Float) hypervolume!: number;
}

export enum Norm {
  LINF = 'Linf',
  L2 = 'L2',
  L1 = 'L1',
}
registerEnumType(Norm, { name: 'Norm', description: 'The norm that bounds a perturbation: L-infinity, L2 or L1.' });

@ObjectType({ description: 'A perturbation radius (eps), as a fraction of the [0,1] pixel range.' })
export class RadiusValue {
  @Field(() => Float, { description: 'The radius as a number in [0,1] pixel units, e.g. 0.03137254901960784.' })
  value!: number;
  @Field(() => String, {
    description: "As k/255 where it is a whole number of 8-bit levels (e.g. '8/255'), else the number.",
  })
  label!: string;
}

@ObjectType({ description: 'A threat model measured on a dataset: an attack, its norm and radius, and its steps.' })
export class ThreatModelInfo {
  @Field(() => String) attack!: string;
  @Field(() => Norm) norm!: Norm;
  @Field(() => RadiusValue) eps!: RadiusValue;
  @Field(() => Int, { nullable: true, description: "The attack's steps (null: its config has none)." }) steps!:
    number | null;
  @Field(() => String, { description: "e.g. 'pgd Linf eps 8/255'" }) label!: string;
  @Field(() => Int, { description: 'Runs that measured it.' }) runs!: number;
}

@ObjectType({ description: 'A distribution shift measured on a dataset (a corruption or another domain).' })
export class ShiftInfo {
  @Field(() => String) shift!: string;
  @Field(() => [String], { description: 'Its variants (corruptions) or domains measured.' }) variants!: string[];
  @Field(() => Int, { description: 'Runs that measured it.' }) runs!: number;
}

@ObjectType({ description: 'What the stored runs of a dataset measured: threat models and shifts (for menus).' })
export class DatasetMeasurements {
  @Field(() => String) dataset!: string;
  @Field(() => Int, { description: 'Stored runs of the dataset.' }) runs!: number;
  @Field(() => [ThreatModelInfo]) threatModels!: ThreatModelInfo[];
  @Field(() => [ShiftInfo]) shifts!: ShiftInfo[];
}

@ObjectType({ description: 'The shape of a ViT backbone.' })
export class ArchitectureInfo {
  @Field(() => Int, { description: 'Input images are this many pixels square.' }) imageSize!: number;
  @Field(() => Int) patchSize!: number;
  @Field(() => Int, { description: 'Hidden size.' }) width!: number;
  @Field(() => Int, { description: 'Encoder layers.' }) depth!: number;
}

@ObjectType({ description: 'A closed interval.' })
export class Interval {
  @Field(() => Float) low!: number;
  @Field(() => Float) high!: number;
}

@ObjectType({
  description: "One setting of a strategy on a leaderboard: the board's finished runs that differ in their seeds only.",
})
export class LeaderboardEntry {
  @Field(() => Int) rank!: number;
  @Field(() => String) strategy!: string;
  @Field(() => Int, { description: 'Finished runs pooled (one per seed).' }) runs!: number;
  @Field(() => [Int], { description: 'Their seeds.' }) seeds!: number[];
  @Field(() => [ID]) runIds!: string[];
  @Field(() => GraphQLJSON, {
    description: 'The spec the runs share: without seed and tags, model as its id, plugins with their full configs.',
  })
  setting!: unknown;
  @Field(() => Float, { description: 'Mean AUPF over the runs.' }) aupf!: number;
  @Field(() => Float, {
    nullable: true,
    description: 'Sample standard deviation of the AUPF (n - 1; null for one run).',
  })
  aupfStd!: number | null;
  @Field(() => Interval, {
    nullable: true,
    description: 'Student-t 95% confidence interval of the mean AUPF (null for one run).',
  })
  aupfCi95!: Interval | null;
  @Field(() => Float, { description: "Percent above the mean AUPF of the board's entries (negative: below)." })
  aboveAverage!: number;
  @Field(() => Float, {
    description: "Highest test accuracy on the runs' frontiers, over the logged steps (not one model).",
  })
  frontierBestClean!: number;
  @Field(() => Float, {
    description: "Highest robust accuracy on the runs' frontiers, over the logged steps (not one model).",
  })
  frontierBestRobust!: number;
  @Field(() => Float, {
    nullable: true,
    description: 'Mean test accuracy of the best-validation checkpoints: the model a study reports.',
  })
  bestCheckpointClean!: number | null;
  @Field(() => Float, {
    nullable: true,
    description: "Mean robust accuracy (the board's threat model) of the best-validation checkpoints.",
  })
  bestCheckpointRobust!: number | null;
  @Field(() => ArchitectureInfo, {
    nullable: true,
    description: 'Null for a checkpoint run stored before runs recorded it.',
  })
  architecture!: ArchitectureInfo | null;
  @Field(() => Float, { nullable: true }) totalParameters!: number | null;
  @Field(() => Float, { nullable: true }) trainableParameters!: number | null;
  @Field(() => Float, { nullable: true }) trainablePercent!: number | null;
  @Field(() => Int, { nullable: true, description: 'Test images each accuracy was measured on.' }) testSamples!:
    number | null;
  @Field(() => GraphQLJSON, { description: "The board's attack with its full config (defaults filled in)." })
  attack!: unknown;
  @Field(() => [MeanAccuracyCorrelation], {
    description:
      "Correlations over the logged steps of clean test accuracy with each shifted accuracy, all shifts pooled, and each threat model the runs measured (not only the board's), averaged over the runs.",
  })
  correlations!: MeanAccuracyCorrelation[];
}

@ObjectType({
  description:
    'Entries on one dataset ranked by AUPF under one comparable protocol: backbone, dataset config, evaluation samples, attack config, accuracy version and training budget.',
})
export class Leaderboard {
  @Field(() => String) dataset!: string;
  @Field(() => String, { description: "e.g. 'pgd Linf eps 1/255'" }) threat!: string;
  @Field(() => String) attack!: string;
  @Field(() => Norm) norm!: Norm;
  @Field(() => RadiusValue) eps!: RadiusValue;
  @Field(() => GraphQLJSON) robustContext!: Record<string, string | number>;
  @Field(() => ID, { description: 'The backbone (Run.model).' }) model!: string;
  @Field(() => String, {
    nullable: true,
    description:
      "Version of the accuracy metric the board's runs measured with (null: not recorded); versions never share a board.",
  })
  accuracyVersion!: string | null;
  @Field(() => GraphQLJSON, { description: 'Every field of the protocol the entries share.' }) protocol!: unknown;
  @Field(() => [String], {
    description: "Setting paths in which the board's entries differ, e.g. strategies, training.learningRate.",
  })
  differences!: string[];
  @Field(() => [String], {
    description: 'Protocol paths in which this board differs from the other boards of its dataset and threat model.',
  })
  differsFromOtherBoards!: string[];
  @Field(() => [LeaderboardEntry]) entries!: LeaderboardEntry[];
}
