import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import type { RunFilter } from '../../src/schema/inputs.js';
import { matches } from '../../src/schema/run-query.js';
import type { RunView } from '../../src/schema/run-query.js';
import type { Run } from '../../src/schema/types.js';

const view = (experimentId: string | null, experimentName?: string): RunView => ({
  run: {
    id: 'r',
    experimentId,
    tags: [],
    strategy: 'lora',
    dataset: 'toy',
    model: 'm',
    seed: 0,
    status: 'finished',
  } as unknown as Run,
  summary: {},
  ...(experimentName === undefined ? {} : { experimentName }),
});

describe('run filters', () => {
  it('name an experiment by id or by name; ne excludes it under either', () => {
    const inStudy = view('study-1a2b', 'study');
    const elsewhere = view('other-3c4d', 'other');
    const alone = view(null);
    const pick = (experiment: RunFilter['experiment']) =>
      [inStudy, elsewhere, alone].map((v) => matches(v, { experiment } as RunFilter));
    expect(pick({ eq: 'study' })).toEqual([true, false, false]);
    expect(pick({ eq: 'study-1a2b' })).toEqual([true, false, false]);
    expect(pick({ in: ['study', 'other-3c4d'] })).toEqual([true, true, false]);
    expect(pick({ ne: 'study' })).toEqual([false, true, true]);
    expect(pick({ ne: 'study-1a2b' })).toEqual([false, true, true]);
  });
});
