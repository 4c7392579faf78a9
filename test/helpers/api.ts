import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { MetricContext } from '../../src/core/contracts/metric.js';
import type { MeasuredPoint } from '../../src/core/evaluation/evaluator.js';
import { accuracyObjectives, runFrontier } from '../../src/core/runs/frontiers.js';
import { runSpecSchema } from '../../src/core/runs/spec.js';
import { Store } from '../../src/core/store/store.js';
import { REPO_ROOT, tempDir } from './fixtures.js';

/** A `paretune serve` child process and its URL. */
export interface ServerProcess {
  readonly url: string;
  readonly stdout: string;
  readonly stderr: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `paretune ... serve --port 0 ...` and waits for the line with its URL. */
export async function startServer(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<ServerProcess> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'dist/src/cli/main.js'), ...args], {
    ...(cwd === undefined ? {} : { cwd }),
    env: {
      ...process.env,
      PARETUNE_DATA_DIR: tempDir(),
      PARETUNE_CACHE_DIR: tempDir(),
      PARETUNE_BACKEND: 'wasm',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /API at (\S+)/.exec(stdout);
      if (match !== null && stdout.includes('\n', match.index + match[0].length)) resolve(match[1] as string);
    });
    child.on('exit', (code) => reject(new Error(`paretune serve exited with ${code}: ${stderr}`)));
  });
  return {
    url,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        child.on('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export interface GraphQLResponse<T = Record<string, unknown>> {
  readonly status: number;
  readonly data?: T | null;
  readonly errors?: { message: string; extensions?: { code?: string; stacktrace?: unknown } }[];
}

/** POSTs a GraphQL request over HTTP. */
export async function gql<T = Record<string, unknown>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, ...((await response.json()) as object) };
}

/**
 * Starts (startRun, with `headers`) a 2-step LoRA run of `weights` on the gated dataset (gatedDatasetPackage) whose
 * gate is the folder `gate`; returns the run's id.
 */
export async function startGatedRun(
  url: string,
  weights: string,
  gate: string,
  headers: Record<string, string>,
): Promise<string> {
  const spec = {
    model: weights,
    dataset: { name: 'gated', config: { dir: gate } },
    strategies: ['lora'],
    attacks: [],
    training: { steps: 2, batchSize: 4, warmupSteps: 0 },
  };
  const started = await gql<{ startRun: { id: string } }>(
    url,
    'mutation($spec: JSON!) { startRun(spec: $spec) { id } }',
    { spec },
    headers,
  );
  return started.data?.startRun.id as string;
}

/** Description of a synthetic stored run (for pagination, filter and load tests). */
export interface SeedRun {
  readonly id: string;
  readonly strategy: string;
  readonly dataset: string;
  readonly seed: number;
  readonly tags: string[];
  /** Test accuracy and robust accuracy at each logged step. */
  readonly trajectory: readonly (readonly [number, number])[];
  /** Accuracy under corruptions (one, fog/3), and the training loss, at each logged step (none by default). */
  readonly corrupted?: readonly number[];
  readonly loss?: readonly number[];
  /** Backbone preset (default vit-micro-28) and further spec fields (e.g. training, evaluation). */
  readonly model?: string;
  readonly spec?: Record<string, unknown>;
  /** `name@version` of the plugins the run records (default: its strategy's). */
  readonly plugins?: readonly string[];
  /** The name of the experiment the run belongs to (stored with an empty definition); none by default. */
  readonly experiment?: string;
  /** Accuracy on other domains at each logged step (null: not measured at that step); none by default. */
  readonly shifted?: readonly ShiftedSeries[];
}

/** One other domain's accuracy over a seeded run's logged steps. */
export interface ShiftedSeries {
  readonly domain: string;
  /** Images each accuracy was measured on (the weight of the domain when shifts are pooled). */
  readonly images: number;
  readonly accuracy: readonly (number | null)[];
}

/** The points of a seeded run's domain accuracy, stored in the context the evaluator writes. */
const shiftedPoints = (series: readonly ShiftedSeries[], steps: number): MeasuredPoint[] =>
  series.flatMap(({ domain, images, accuracy }) =>
    accuracy.flatMap((value, i) =>
      value === null
        ? []
        : [
            {
              step: i * steps,
              epoch: 0,
              name: 'accuracy',
              context: { split: `${domain}/test`, shift: 'domains', domain },
              value,
              count: images,
              seconds: 0.1,
            },
          ],
    ),
  );

const ROBUST = { split: 'test', attack: 'pgd', norm: 'Linf', eps: 1 / 255 };
/** Pooled accuracy under corruptions, and under its one corruption (fog at severity 3), as a run stores them. */
const SHIFTED = { split: 'test', shift: 'corruptions' };
const FOG = { ...SHIFTED, variant: 'fog', severity: 3 };
const TRAIN = { split: 'train' };

/**
 * Stores finished runs through the real store, as a run would: points at each logged step, the best-checkpoint
 * points, and a result with the frontier and parameter counts.
 */
export function seedRuns(file: string, runs: readonly SeedRun[], { steps = 10 }: { steps?: number } = {}): void {
  const store = Store.open(file);
  for (const run of runs) {
    const spec = runSpecSchema.parse({
      model: run.model ?? 'vit-micro-28',
      dataset: run.dataset,
      strategies: [run.strategy],
      seed: run.seed,
      tags: run.tags,
      ...run.spec,
    });
    const experimentId = run.experiment === undefined ? undefined : store.experiment(run.experiment, '{}').id;
    store.createRun({
      id: run.id,
      ...(experimentId === undefined ? {} : { experimentId }),
      spec,
      seed: run.seed,
      strategy: run.strategy,
      dataset: run.dataset,
      modelId: spec.model,
      model: 'synthetic',
      backend: 'wasm',
      plugins: [...(run.plugins ?? [`${run.strategy}@0.1.0`])],
      paretuneVersion: '0.1.0',
    });
    const points: MeasuredPoint[] = run.trajectory.flatMap(([clean, robust], i) => {
      const at = (name: string, context: MetricContext, value: number, count = 100, seconds = 0.1): MeasuredPoint => ({
        step: i * steps,
        epoch: 0,
        name,
        context,
        value,
        count,
        seconds,
      });
      const corrupted = run.corrupted?.[i];
      const loss = run.loss?.[i];
      return [
        at('accuracy', { split: 'test' }, clean),
        at('accuracy', ROBUST, robust, 100, 0.5),
        ...(corrupted === undefined
          ? []
          : [SHIFTED, FOG].map((context) => at('accuracy', context, corrupted, 100, 0.2))),
        ...(loss === undefined ? [] : [at('loss', TRAIN, loss, 16, 0)]),
      ];
    });
    const lastStep = (run.trajectory.length - 1) * steps;
    const best = points
      .filter((p) => p.step === lastStep && p.name === 'accuracy')
      .map((p) => ({ ...p, context: { ...p.context, checkpoint: 'best', bestStep: lastStep } }));
    store.recordPoints(run.id, [...points, ...best, ...shiftedPoints(run.shifted ?? [], steps)]);
    const frontier = runFrontier(points, accuracyObjectives(ROBUST));
    store.finishRun(run.id, {
      bestStep: lastStep,
      lastStep,
      seconds: 1,
      result: {
        frontier,
        parameters: { trainable: 1000, total: 100_000, trainablePercent: 1 },
        data: { test: { evaluated: 100 } },
      },
    });
  }
  store.close();
}

/** The graphql code blocks of a Markdown file, with the line each starts on. */
export function graphqlBlocks(file: string): { line: number; text: string }[] {
  const blocks: { line: number; text: string }[] = [];
  let current: { line: number; lines: string[] } | undefined;
  readFileSync(join(REPO_ROOT, file), 'utf8')
    .split('\n')
    .forEach((text, index) => {
      if (current === undefined && text.trim() === '```graphql') current = { line: index + 2, lines: [] };
      else if (current !== undefined && text.startsWith('```')) {
        blocks.push({ line: current.line, text: current.lines.join('\n') });
        current = undefined;
      } else current?.lines.push(text);
    });
  return blocks;
}
