import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { comparisonTable, probeTorch, torchPython } from '../../bench/torch-compare.js';
import type { TorchRun } from '../../bench/torch-compare.js';
import { REPO_ROOT } from '../helpers/fixtures.js';
import { tempDir } from '../helpers/temp.js';

const hasPython = spawnSync('python3', ['-c', 'pass']).status === 0;

/** An interpreter that cannot import torch: python3 without site-packages, where Debian installs it. */
function pythonWithoutTorch(): string {
  const path = join(tempDir(), 'python-without-torch');
  writeFileSync(path, '#!/bin/sh\nexec python3 -S "$@"\n');
  chmodSync(path, 0o755);
  return path;
}

const torchRun = (threads: number, scale: number): TorchRun => ({
  torch: '1.13.0',
  blas: 'libopenblasp-r0.3.21.so',
  threads,
  rows: [
    { preset: 'vit-bench-32', batch: 64, forward: 800 * scale, train: 200 * scale, pgd: 400 * scale },
    { preset: 'vit-tiny-patch16-224', batch: 8, forward: 16 * scale, train: 5 * scale, pgd: 8 * scale },
  ],
});

describe('bench:torch', () => {
  it('prints median rates over the rounds and the median ratio paretune / PyTorch within a round, with its range', () => {
    const rates = (forward: number, train: number, pgd: number) => ({ forward, train, pgd });
    const measurements = [
      {
        modelCase: { preset: 'vit-bench-32', batch: 64, repeats: 7 },
        paretune: [rates(400, 100, 100), rates(380, 100, 100), rates(440, 100, 100)],
        torch: [1, 0.95, 1.375].map((scale) => [torchRun(2, scale), torchRun(1, 0.5)]),
      },
      {
        modelCase: { preset: 'vit-tiny-patch16-224', batch: 8, repeats: 3 },
        paretune: [rates(8, 1.5, 2)],
        torch: [[torchRun(2, 1), torchRun(1, 0.5)]],
      },
    ];
    expect(comparisonTable('paretune wasm', measurements).split('\n')).toEqual([
      '| model | batch | operation | paretune wasm | PyTorch 1.13.0, 2 threads | ratio | PyTorch 1.13.0, 1 thread | ratio |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      '| vit-bench-32 | 64 | forward | 400.0 | 800.0 | 0.50x (0.40-0.50) | 400.0 | 1.00x (0.95-1.10) |',
      '| vit-bench-32 | 64 | train (full FT, Adam) | 100.0 | 200.0 | 0.50x (0.36-0.53) | 100.0 | 1.00x (1.00-1.00) |',
      '| vit-bench-32 | 64 | PGD step | 100.0 | 400.0 | 0.25x (0.18-0.26) | 200.0 | 0.50x (0.50-0.50) |',
      '| vit-tiny-patch16-224 | 8 | forward | 8.0 | 16.0 | 0.50x | 8.0 | 1.00x |',
      '| vit-tiny-patch16-224 | 8 | train (full FT, Adam) | 1.5 | 5.0 | 0.30x | 2.5 | 0.60x |',
      '| vit-tiny-patch16-224 | 8 | PGD step | 2.0 | 8.0 | 0.25x | 4.0 | 0.50x |',
    ]);
  });

  it('uses PARETUNE_TORCH_PYTHON, else Debian’s python3', () => {
    expect(torchPython({ PARETUNE_TORCH_PYTHON: '/opt/py/bin/python' })).toBe('/opt/py/bin/python');
    expect(torchPython({})).toBe('/usr/bin/python3');
  });

  it('says why PyTorch is unusable: no such interpreter, or no torch module', () => {
    const absent = probeTorch('/nonexistent/python3');
    expect(absent).toEqual({ missing: expect.stringMatching(/^\/nonexistent\/python3 cannot be run \(.*ENOENT/) });
    if (!hasPython) return;
    const python = pythonWithoutTorch();
    expect(probeTorch(python)).toEqual({
      missing: `${python} has no usable torch (ModuleNotFoundError: No module named 'torch')`,
    });
  });

  it.skipIf(!hasPython)('prints one note and exits 0 when the interpreter has no torch', () => {
    const python = pythonWithoutTorch();
    const result = spawnSync(process.execPath, [join(REPO_ROOT, 'dist/bench/torch.js')], {
      env: { ...process.env, PARETUNE_TORCH_PYTHON: python },
      encoding: 'utf8',
    });
    expect(result).toMatchObject({
      status: 0,
      stderr: '',
      stdout:
        `bench:torch skipped: ${python} has no usable torch (ModuleNotFoundError: No module named 'torch'); ` +
        "install Debian's python3-torch or set PARETUNE_TORCH_PYTHON\n",
    });
  });
});
