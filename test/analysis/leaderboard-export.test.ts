import { describe, expect, it } from 'vitest';
import { LEADERBOARD_FORMAT, leaderboardJson } from '../../src/core/analysis/leaderboard-export.js';
import type { LeaderboardDocument } from '../../src/core/analysis/leaderboard-export.js';

describe('leaderboardJson', () => {
  it('writes every object with sorted fields, lists in their order, leaving out undefined values', () => {
    const document = {
      format: LEADERBOARD_FORMAT,
      entries: [{ rank: 1, name: 'lora', setting: { training: { steps: 10, batchSize: 8, subset: undefined } } }],
    } as unknown as LeaderboardDocument;
    expect(leaderboardJson(document)).toBe(
      [
        '{',
        '  "entries": [',
        '    {',
        '      "name": "lora",',
        '      "rank": 1,',
        '      "setting": {',
        '        "training": {',
        '          "batchSize": 8,',
        '          "steps": 10',
        '        }',
        '      }',
        '    }',
        '  ],',
        `  "format": "${LEADERBOARD_FORMAT}"`,
        '}',
        '',
      ].join('\n'),
    );
  });
});
