import type { RunEvent } from '../runs/runner.js';
import { PARETUNE_VERSION } from '../version.js';
import type { Store } from './store.js';

/**
 * Stores a run as it goes: the run row when it starts (a spec refused before any work leaves no row) and each
 * evaluation's points in one transaction as they are measured. The caller marks the run finished or failed.
 */
export function recordRun(store: Store, runId: string, backend: string, options: { experimentId?: string; resuming?: boolean } = {}): (event: RunEvent) => void {
  const { experimentId, resuming = false } = options;
  return (event) => {
    if (event.type === 'started' && resuming) {
      store.markResumed(runId);
    } else if (event.type === 'started') {
      const { spec } = event;
      const name = (ref: string | { name: string }): string => (typeof ref === 'string' ? ref : ref.name);
      store.createRun({
        id: runId,
        ...(experimentId === undefined ? {} : { experimentId }),
        spec,
        seed: spec.seed,
        strategy: spec.strategies.map(name).join('+'),
        dataset: name(spec.dataset),
        model: event.model,
        backend,
        plugins: event.plugins,
        paretuneVersion: PARETUNE_VERSION,
      });
    } else if (event.type === 'evaluation') {
      store.recordPoints(runId, event.points);
    }
  };
}
