import { ConfigError } from '../contracts/config.js';

/** `every` steps while the step is at most `upTo` (the last band has no bound). */
interface Band {
  readonly every: number;
  readonly upTo: number;
}

/**
 * Named evaluation schedules of the reference study (protocol.md §6). A step is logged when it is a multiple of
 * its band's interval, as a logging callback that tests `step % every == 0` would:
 * - `code` (the public code): every 50 up to 100, 30 up to 300, 200 up to 1000, 2000 up to 3000, 4000 up to
 *   10000, 6000 up to 30000, then every 20000;
 * - `paper` (the paper's text): every 50 up to 700, 1000 up to 3000, then every 6000.
 */
export const NAMED_SCHEDULES: Readonly<Record<'code' | 'paper', readonly Band[]>> = {
  code: [
    { every: 50, upTo: 100 },
    { every: 30, upTo: 300 },
    { every: 200, upTo: 1000 },
    { every: 2000, upTo: 3000 },
    { every: 4000, upTo: 10000 },
    { every: 6000, upTo: 30000 },
    { every: 20000, upTo: Infinity },
  ],
  paper: [
    { every: 50, upTo: 700 },
    { every: 1000, upTo: 3000 },
    { every: 6000, upTo: Infinity },
  ],
};

export type EvaluationSchedule = keyof typeof NAMED_SCHEDULES | readonly number[];

/** What is wrong with a custom step list, or undefined: steps must be strictly increasing non-negative integers. */
export function stepListProblem(steps: readonly number[]): string | undefined {
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i] as number;
    if (!Number.isInteger(step) || step < 0) return `step ${i} (${step}) is not a non-negative integer`;
    if (i > 0 && step <= (steps[i - 1] as number))
      return `steps must be strictly increasing: step ${i} (${step}) follows ${steps[i - 1]}`;
  }
  return undefined;
}

/**
 * The evaluation steps of a run of `totalSteps` optimiser steps: step 0 (before training), the schedule's
 * steps, and the last step, ascending and unique.
 * @throws {@link ConfigError} for a custom list that is not strictly increasing non-negative integers, or that names
 * steps beyond `totalSteps` (they would never be measured).
 */
export function evaluationSteps(schedule: EvaluationSchedule, totalSteps: number): number[] {
  const steps = new Set<number>([0, totalSteps]);
  if (typeof schedule === 'string') {
    const bands = NAMED_SCHEDULES[schedule];
    if (bands === undefined)
      throw new ConfigError(`unknown evaluation schedule '${schedule}'; expected code, paper or a list of steps`);
    for (let step = 1; step <= totalSteps; step++) {
      const band = bands.find((b) => step <= b.upTo) as Band;
      if (step % band.every === 0) steps.add(step);
    }
  } else {
    const problem = stepListProblem(schedule);
    if (problem !== undefined) throw new ConfigError(`evaluation schedule: ${problem}`);
    const beyond = schedule.filter((step) => step > totalSteps);
    if (beyond.length > 0) {
      const which = beyond.length === 1 ? `step ${beyond[0]} is` : `steps ${beyond.join(', ')} are`;
      throw new ConfigError(
        `evaluation schedule: ${which} beyond the last training step (${totalSteps}); train longer or drop them`,
      );
    }
    for (const step of schedule) steps.add(step);
  }
  return [...steps].sort((a, b) => a - b);
}
