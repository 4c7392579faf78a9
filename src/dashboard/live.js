// Live progress of the runs a server is running, over graphql-ws subscriptions (runProgress) on /graphql.

import { el, fixed } from './dom.js';
import { QUERIES } from './queries.js';

const DONE = new Set(['FINISHED', 'FAILED', 'CANCELLED']);

/** A graphql-ws client of the page's server (the graphql-ws browser build the page loads). */
export function progressClient(endpoint) {
  const url = new URL(endpoint, document.baseURI);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return globalThis.graphqlWs.createClient({ url: url.href, lazy: true });
}

/** Calls `onUpdate` with each progress of run `id` until it ends (or fails: `onError`). */
export function followRun(client, id, onUpdate, onError) {
  return client.subscribe(
    { query: QUERIES.progress, variables: { id } },
    {
      next: ({ data, errors }) => (errors ? onError(errors[0].message) : onUpdate(data.runProgress)),
      error: (error) => onError(error instanceof Error ? error.message : 'the subscription closed'),
      complete: () => undefined,
    },
  );
}

/** A progress row's cells from one update. */
function progressCells(update) {
  const bar =
    update.totalSteps === null
      ? el('span', {}, String(update.step))
      : el(
          'span',
          {},
          el('progress', { max: update.totalSteps, value: update.step }),
          ` ${update.step}/${update.totalSteps}`,
        );
  return [
    el('td', { 'data-key': 'status' }, update.error === null ? update.status : `${update.status}: ${update.error}`),
    el('td', {}, bar),
    el('td', { class: 'number' }, fixed(update.loss)),
    el('td', { class: 'number' }, update.evaluatedStep ?? '–'),
  ];
}

/**
 * The "running now" table: one row per queued or running run, updated as its progress arrives; `onEnd` is told
 * when a run ends, so the page can reload what it shows.
 */
export function liveTable(section, client, onEnd) {
  const body = section.querySelector('tbody');
  const followed = new Map();
  return (runs) => {
    for (const run of runs) {
      if (followed.has(run.id)) continue;
      const head = [
        el('td', {}, el('a', { href: `#/run/${encodeURIComponent(run.id)}` }, run.id)),
        el('td', {}, run.strategy),
        el('td', {}, run.dataset),
      ];
      const row = el('tr', { 'data-run': run.id }, head, el('td', { 'data-key': 'status' }, run.status));
      followed.set(run.id, row);
      body.append(row);
      followRun(
        client,
        run.id,
        (update) => {
          row.replaceChildren(...head, ...progressCells(update));
          if (DONE.has(update.status)) onEnd(run.id);
        },
        (message) => row.append(el('td', { class: 'error' }, message)),
      );
    }
    section.hidden = followed.size === 0;
  };
}
