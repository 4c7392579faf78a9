import { GraphQLDateTimeISO, GraphQLJSON } from 'graphql-scalars';
import { ArgsType, Field, Float, ID, InputType, Int, registerEnumType } from 'type-graphql';
import { RunStatus, Sense } from './types.js';

/** A run's headline number, for filters and ordering. */
export enum SummaryMetric {
  TEST_ACCURACY = 'testAccuracy',
  ROBUST_ACCURACY = 'robustAccuracy',
  SHIFTED_ACCURACY = 'shiftedAccuracy',
  AUPF = 'aupf',
  TRAINABLE_PARAMETERS = 'trainableParameters',
  TRAINABLE_PERCENT = 'trainablePercent',
}
registerEnumType(SummaryMetric, { name: 'SummaryMetric', description: "A run's headline number (see RunSummary)." });

export enum RunOrderField {
  CREATED_AT = 'createdAt',
  FINISHED_AT = 'finishedAt',
  SECONDS = 'seconds',
  SEED = 'seed',
  STRATEGY = 'strategy',
  DATASET = 'dataset',
  TEST_ACCURACY = 'testAccuracy',
  ROBUST_ACCURACY = 'robustAccuracy',
  SHIFTED_ACCURACY = 'shiftedAccuracy',
  AUPF = 'aupf',
  TRAINABLE_PARAMETERS = 'trainableParameters',
  TRAINABLE_PERCENT = 'trainablePercent',
}
registerEnumType(RunOrderField, { name: 'RunOrderField' });

export enum OrderDirection {
  ASC = 'asc',
  DESC = 'desc',
}
registerEnumType(OrderDirection, { name: 'OrderDirection' });

@InputType({
  description: 'Matches a text field: equal to `eq`, one of `in`, not `ne`; the conditions given must all hold.',
})
export class StringFilter {
  @Field(() => String, { nullable: true }) eq?: string;
  @Field(() => [String], { nullable: true }) in?: string[];
  @Field(() => String, { nullable: true }) ne?: string;
}

@InputType()
export class IntFilter {
  @Field(() => Int, { nullable: true }) eq?: number;
  @Field(() => [Int], { nullable: true }) in?: number[];
  @Field(() => Int, { nullable: true }) gte?: number;
  @Field(() => Int, { nullable: true }) lte?: number;
}

@InputType()
export class StatusFilter {
  @Field(() => RunStatus, { nullable: true }) eq?: RunStatus;
  @Field(() => [RunStatus], { nullable: true }) in?: RunStatus[];
}

@InputType()
export class TagFilter {
  @Field(() => [String], { nullable: true, description: 'The run has every one of these tags.' }) hasAll?: string[];
  @Field(() => [String], { nullable: true, description: 'The run has at least one of these tags.' }) hasAny?: string[];
}

@InputType()
export class DateRange {
  @Field(() => GraphQLDateTimeISO, { nullable: true }) from?: Date;
  @Field(() => GraphQLDateTimeISO, { nullable: true }) to?: Date;
}

@InputType({ description: 'A bound on a headline number; runs without that number do not match.' })
export class MetricThreshold {
  @Field(() => SummaryMetric) metric!: SummaryMetric;
  @Field(() => Float, { nullable: true }) gte?: number;
  @Field(() => Float, { nullable: true }) lte?: number;
}

@InputType({
  description: 'Which runs: every field given must match (AND); `AND`, `OR` and `NOT` combine nested filters.',
})
export class RunFilter {
  @Field(() => [RunFilter], { nullable: true }) AND?: RunFilter[];
  @Field(() => [RunFilter], { nullable: true }) OR?: RunFilter[];
  @Field(() => RunFilter, { nullable: true }) NOT?: RunFilter;
  @Field(() => [ID], { nullable: true, description: 'One of these runs.' }) ids?: string[];
  @Field(() => StringFilter, { nullable: true, description: 'Experiment id or name.' }) experiment?: StringFilter;
  @Field(() => StringFilter, { nullable: true }) strategy?: StringFilter;
  @Field(() => StringFilter, { nullable: true }) dataset?: StringFilter;
  @Field(() => StringFilter, { nullable: true }) model?: StringFilter;
  @Field(() => StatusFilter, { nullable: true }) status?: StatusFilter;
  @Field(() => TagFilter, { nullable: true }) tags?: TagFilter;
  @Field(() => IntFilter, { nullable: true }) seed?: IntFilter;
  @Field(() => DateRange, { nullable: true }) createdAt?: DateRange;
  @Field(() => [MetricThreshold], { nullable: true }) metrics?: MetricThreshold[];
}

@InputType()
export class RunOrder {
  @Field(() => RunOrderField) field!: RunOrderField;
  @Field(() => OrderDirection, { defaultValue: OrderDirection.DESC }) direction!: OrderDirection;
}

@ArgsType()
export class RunPageArgs {
  @Field(() => RunFilter, { nullable: true }) filter?: RunFilter | null;
  @Field(() => [RunOrder], { nullable: true, description: 'Default: newest first.' }) orderBy?: RunOrder[] | null;
  @Field(() => Int, { nullable: true, description: 'The first runs after `after` (default 20, at most 100).' }) first?:
    number | null;
  @Field(() => String, { nullable: true, description: 'A cursor of a page with the same orderBy.' }) after?:
    string | null;
  @Field(() => Int, { nullable: true, description: 'The last runs before `before` (at most 100), instead of first.' })
  last?: number | null;
  @Field(() => String, { nullable: true, description: 'A cursor of a page with the same orderBy.' }) before?:
    string | null;
}

@InputType({
  description:
    'A metric in a context, e.g. accuracy in {"split":"test","attack":"pgd","norm":"Linf","eps":"1/255"} (eps in [0,1] pixel units: a number or a k/255 fraction).',
})
export class ObjectiveInput {
  @Field(() => String, { defaultValue: 'accuracy' }) metric!: string;
  @Field(() => GraphQLJSON, { description: 'The metric context as stored (see Run.metrics).' }) context!: unknown;
  @Field(() => Sense, { defaultValue: Sense.MAX }) sense!: Sense;
}
