import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/core/store/store.js';
import { cli, cliProcess, REPO_ROOT, tempDir, tinyCheckpoint, toyDatasetPackage } from '../helpers/index.js';

// Permissions do not stop root: as root, the cases about unwritable files run the CLI as the user nobody.
const unprivileged = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
// That user must be able to read the built CLI: a checkout under a folder only its owner may enter (mktemp -d) hides it.
const CLI_MAIN = join(REPO_ROOT, 'dist/src/cli/main.js');
const CLI_READABLE =
  spawnSync(process.execPath, ['-e', `require('node:fs').accessSync(${JSON.stringify(CLI_MAIN)})`], unprivileged)
    .status === 0;
if (!CLI_READABLE)
  console.warn(
    `cases run as another user skipped: uid ${unprivileged.uid ?? process.getuid?.()} cannot read ${CLI_MAIN}`,
  );

/** A folder anyone may use (the unprivileged cases write their data directory there). */
function openDir(): string {
  const dir = tempDir();
  chmodSync(dir, 0o777);
  return dir;
}

interface Case {
  readonly name: string;
  /** The arguments; `{dir}` is a fresh folder, `{ckpt}` the tiny checkpoint, `{toy}` the toy dataset plugin. */
  readonly argv: readonly string[];
  /** What the one line must say: the field, file or value and what was expected. */
  readonly says: RegExp;
  readonly env?: Readonly<Record<string, string>>;
  /** Prepares files in the case's folder before the command runs. */
  readonly given?: (dir: string) => void;
  readonly unprivileged?: boolean;
}

let checkpoint: string;
let toy: string;

beforeAll(async () => {
  toy = toyDatasetPackage();
  checkpoint = await tinyCheckpoint(openDir());
  chmodSync(dirname(toy), 0o755);
});

const training = (...more: string[]): string[] => [
  '--plugin',
  '{toy}',
  'run',
  '--model',
  '{ckpt}',
  '--dataset',
  'toy',
  '--strategy',
  'bitfit',
  '--steps',
  '1',
  '--batch-size',
  '4',
  '--eval-schedule',
  '0',
  '--attack',
  'none',
  '--test-sample',
  '4',
  '--quiet',
  ...more,
];

const paretuneDb = (dir: string): void => Store.open(join(dir, 'study.db')).close();

const CASES: readonly Case[] = [
  {
    name: '--db naming a directory',
    argv: ['runs', '--db', '{dir}'],
    says: /database .*: is a directory; expected an SQLite database file/,
  },
  {
    name: '--db under /sys',
    argv: ['runs', '--db', '/sys/paretune/study.db'],
    says: /database \/sys\/paretune\/study\.db: .*; expected an SQLite database file/,
  },
  {
    name: '--db whose folder is a file',
    argv: ['runs', '--db', '{dir}/file/study.db'],
    given: (d) => writeFileSync(join(d, 'file'), 'x'),
    says: /database .*file\/study\.db: .*file is a file, not a folder; expected an SQLite database file/,
  },
  {
    name: '--db that is no SQLite file',
    argv: ['runs', '--db', '{dir}/notes.txt'],
    given: (d) => writeFileSync(join(d, 'notes.txt'), 'hello'),
    says: /notes\.txt is not a paretune database/,
  },
  {
    name: 'a read-only database file',
    argv: training('--db', '{dir}/study.db'),
    given: (d) => {
      paretuneDb(d);
      chmodSync(join(d, 'study.db'), 0o444);
    },
    unprivileged: true,
    says: /database .*study\.db: is read-only; expected a writable SQLite database file/,
  },
  {
    name: 'an unwritable data directory',
    argv: training(),
    env: { PARETUNE_DATA_DIR: '/sys/paretune' },
    says: /\/sys\/paretune.*; expected/,
  },
  {
    name: 'a data directory that is a file',
    argv: training(),
    env: { PARETUNE_DATA_DIR: '{dir}/file' },
    given: (d) => writeFileSync(join(d, 'file'), 'x'),
    says: /file is a file, not a folder; expected/,
  },
  {
    name: 'a missing --adapter file',
    argv: [
      '--plugin',
      '{toy}',
      'evaluate',
      '--weights',
      '{ckpt}',
      '--adapter',
      '{dir}/none.safetensors',
      '--dataset',
      'toy',
    ],
    says: /none\.safetensors: does not exist; expected an adaptation file saved by paretune run --save-adaptation/,
  },
  {
    name: '--adapter naming a directory',
    argv: ['--plugin', '{toy}', 'evaluate', '--weights', '{ckpt}', '--adapter', '{dir}', '--dataset', 'toy'],
    says: /: is a directory; expected an adaptation file/,
  },
  {
    name: 'a missing --weights checkpoint',
    argv: ['--plugin', '{toy}', 'evaluate', '--weights', '{dir}/none.safetensors', '--dataset', 'toy'],
    says: /none\.safetensors/,
  },
  {
    name: 'a missing --model checkpoint',
    argv: training().map((a) => (a === '{ckpt}' ? '{dir}/none.safetensors' : a)),
    says: /none\.safetensors/,
  },
  {
    name: 'a strategy stacked twice',
    argv: training('--strategy', 'lora+lora'),
    says: /field 'strategies': 'lora' is listed more than once \(bitfit\+lora\+lora\)/,
  },
  {
    name: '--save-adaptation to a directory',
    argv: training('--strategy', 'lora', '--save-adaptation', '{dir}'),
    says: /--save-adaptation .*: is a directory; expected a file name such as .*adaptation\.safetensors/,
  },
  {
    name: 'a missing --spec file',
    argv: ['run', '--spec', '{dir}/none.json'],
    says: /--spec .*none\.json: does not exist; expected a JSON run spec/,
  },
  {
    name: '--spec naming a directory',
    argv: ['run', '--spec', '{dir}'],
    says: /--spec .*: is a directory; expected a JSON run spec/,
  },
  {
    name: 'a missing experiment file',
    argv: ['experiment', '{dir}/none.yaml'],
    says: /none\.yaml: does not exist; expected/,
  },
  { name: 'an experiment file that is a directory', argv: ['experiment', '{dir}'], says: /: is a directory; expected/ },
  {
    name: 'export --out into a missing folder',
    argv: ['export', '--db', '{dir}/study.db', '--out', '{dir}/none/points.csv'],
    given: paretuneDb,
    says: /--out .*none\/points\.csv: .*does not exist; expected/,
  },
  {
    name: 'export --out naming a directory',
    argv: ['export', '--db', '{dir}/study.db', '--out', '{dir}'],
    given: paretuneDb,
    says: /--out .*: is a directory; expected/,
  },
  { name: 'a missing --plugin module', argv: ['--plugin', '{dir}/none.js', 'info'], says: /none\.js/ },
  {
    name: 'an imagefolder path that does not exist',
    argv: training()
      .map((a) => (a === 'toy' ? 'imagefolder' : a))
      .concat('--dataset-config', '{"path":"{dir}/none"}'),
    says: /none/,
  },
  {
    name: 'a data directory nobody may write',
    argv: training(),
    env: { PARETUNE_DATA_DIR: '{dir}/locked' },
    given: (d) => mkdirSync(join(d, 'locked'), { mode: 0o555 }),
    unprivileged: true,
    says: /locked.*(cannot be opened|not accessible)/,
  },
  {
    name: 'a spec with a JSON syntax error',
    argv: ['run', '--spec', '{dir}/spec.json'],
    given: (d) => writeFileSync(join(d, 'spec.json'), '{\n  "dataset": "toy",\n}\n'),
    says: /spec\.json: invalid JSON at line 3, column 1: /,
  },
  {
    name: 'a spec that is a JSON array',
    argv: ['run', '--spec', '{dir}/spec.json'],
    given: (d) => writeFileSync(join(d, 'spec.json'), '[]'),
    says: /spec\.json: expected an object/,
  },
  {
    name: 'a spec whose dataset is null',
    argv: ['run', '--spec', '{dir}/spec.json'],
    given: (d) => writeFileSync(join(d, 'spec.json'), '{"dataset": null, "strategies": ["lora"]}'),
    says: /field 'dataset': required, got null/,
  },
  {
    name: 'an experiment with a YAML syntax error',
    argv: ['experiment', '{dir}/study.yaml'],
    given: (d) => writeFileSync(join(d, 'study.yaml'), 'strategies: [lora\ndatasets: x\n'),
    says: /study\.yaml: invalid YAML at line 2, column 1: /,
  },
  {
    name: '--config that is no JSON',
    argv: training('--strategy', 'lora', '--config', '{rank:2}'),
    says: /--config: invalid JSON at line 1, column 2: /,
  },
  {
    name: '--steps that is no number',
    argv: training().map((a) => (a === '1' ? 'many' : a)),
    says: /--steps: expected a positive integer, got 'many'/,
  },
  { name: '--seed that is no number', argv: training('--seed', 'x'), says: /seed.*'?x'?/ },
  { name: '--warmup that is no number', argv: training('--warmup', 'x'), says: /warmup/ },
  {
    name: '--warmup that is a word, named with its value',
    argv: training('--warmup', 'ten'),
    says: /--warmup: 'ten' is not a number/,
  },
  {
    name: 'evaluate --seed that is a word, named with its value',
    argv: ['--plugin', '{toy}', 'evaluate', '--weights', '{ckpt}', '--dataset', 'toy', '--seed', 'zero'],
    says: /--seed: 'zero' is not a number/,
  },
  { name: '--lr that is negative', argv: training('--lr', '-1'), says: /learningRate|--lr/ },
  {
    name: 'an unknown --eval-schedule',
    argv: training('--eval-schedule', 'weekly'),
    says: /--eval-schedule: 'weekly'/,
  },
  { name: '--port that is no port', argv: ['serve', '--db', '{dir}/study.db', '--port', 'x'], says: /--port/ },
  {
    name: 'export --format that is unknown',
    argv: ['export', '--db', '{dir}/study.db', '--format', 'xml'],
    given: paretuneDb,
    says: /--format.*xml/,
  },
  {
    name: 'runs --status that is unknown',
    argv: ['runs', '--db', '{dir}/study.db', '--status', 'lost'],
    given: paretuneDb,
    says: /--status.*lost/,
  },
];

/** Runs a case: in this process (fast), or as a process of its own where it needs another user. */
async function runCase(c: Case): Promise<{ code: number | null; stderr: string }> {
  const dir = c.unprivileged === true ? openDir() : tempDir();
  c.given?.(dir);
  const fill = (text: string): string =>
    text.replaceAll('{dir}', dir).replaceAll('{ckpt}', checkpoint).replaceAll('{toy}', toy);
  const env = Object.fromEntries(Object.entries(c.env ?? {}).map(([k, v]) => [k, fill(v)]));
  if (c.unprivileged !== true) return cli(c.argv.map(fill), dir, env);
  mkdirSync(join(dir, 'data'));
  chmodSync(join(dir, 'data'), 0o777);
  return cliProcess(c.argv.map(fill), dir, { PARETUNE_DATA_DIR: join(dir, 'data'), ...env }, unprivileged);
}

function expectOneLine({ code, stderr }: { code: number | null; stderr: string }, says: string): void {
  expect(stderr).not.toMatch(/internal error|\n\s+at /);
  expect(stderr).toMatch(/^paretune: [^\n]+\n$/);
  expect(stderr).toMatch(new RegExp(says));
  expect(code).toBe(1);
}

describe('bad input is one line naming it (exit 1), never an internal error', () => {
  // In-process cases run one after another: the CLI selects the tensor backend, which is global.
  it.each(CASES.filter((c) => c.unprivileged !== true).map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    expectOneLine(await runCase(c), c.says.source);
  });

  it
    .skipIf(!CLI_READABLE)
    .concurrent.each(CASES.filter((c) => c.unprivileged === true).map((c) => [c.name, c] as const))(
    '%s (as another user)',
    async (_name, c) => {
      expectOneLine(await runCase(c), c.says.source);
    },
  );

  it('the installed command prints the same one line and exits 1', async () => {
    const dir = tempDir();
    expectOneLine(await cliProcess(['runs', '--db', dir], dir), 'is a directory; expected an SQLite database file');
  });
});
