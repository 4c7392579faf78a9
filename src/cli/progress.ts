import cliProgress from 'cli-progress';
import type { ProgressListener } from '../core/contracts/dataset.js';

const formatBytes = (n: number): string =>
  n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${(n / 1024).toFixed(0)} KiB`;

/**
 * Progress bars on stderr, one per task, with ETA. Where stderr is not a terminal (logs, CI) it prints one
 * line when a task starts and one when it ends instead of redrawing. Nothing is drawn until a task reports.
 */
export function progressBars(
  stream: NodeJS.WriteStream = process.stderr,
  quiet = false,
): ProgressListener & { stop(): void } {
  const bars = new Map<string, cliProgress.SingleBar | null>();
  let multi: cliProgress.MultiBar | undefined;
  const listener = (event: Parameters<ProgressListener>[0]): void => {
    if (quiet) return;
    const total = event.total ?? 0;
    const payload = {
      task: event.task,
      value_fmt: formatBytes(event.done),
      total_fmt: total > 0 ? formatBytes(total) : '?',
    };
    if (!stream.isTTY) {
      if (!bars.has(event.task)) stream.write(`${event.task}: started${total > 0 ? ` (${formatBytes(total)})` : ''}\n`);
      bars.set(event.task, null);
      if (total > 0 && event.done >= total) stream.write(`${event.task}: done\n`);
      return;
    }
    multi ??= new cliProgress.MultiBar(
      {
        stream,
        format: '{task} [{bar}] {percentage}% | {value_fmt}/{total_fmt} | ETA {eta_formatted}',
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    let bar = bars.get(event.task);
    if (bar == null) {
      bar = multi.create(total, event.done, payload);
      bars.set(event.task, bar);
    }
    bar.update(event.done, payload);
  };
  return Object.assign(listener, { stop: () => multi?.stop() });
}
