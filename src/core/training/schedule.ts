/**
 * Learning-rate schedules as Hugging Face `transformers` defines them (the reference study trained with its
 * Trainer): the rate for the optimiser step that follows `step` completed steps. With warmup, step 0 has rate 0.
 */
export type ScheduleName = 'linear' | 'cosine' | 'constant';

export interface LearningRateSchedule {
  readonly name: ScheduleName;
  readonly peak: number;
  readonly warmupSteps: number;
  readonly totalSteps: number;
}

/** The learning rate of the optimiser step taken after `step` completed steps. */
export function learningRate({ name, peak, warmupSteps, totalSteps }: LearningRateSchedule, step: number): number {
  if (step < warmupSteps) return (peak * step) / Math.max(1, warmupSteps);
  if (name === 'constant') return peak;
  const progress = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
  if (name === 'linear') return peak * Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
  return peak * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
}
