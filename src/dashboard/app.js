// The dashboard: leaderboards and Pareto plots (#/), and run pages (#/run/<id>), over the GraphQL API of the server
// that serves it, or over the JSON files of a static site (<body data-source="static">).

import { graphqlSource, staticSource } from './data.js';
import { el } from './dom.js';
import { liveTable, progressClient } from './live.js';
import { loadActive, loadOverview, loadRun } from './loaders.js';
import { overviewView } from './overview.js';
import { runView } from './run.js';

const ENDPOINT = 'graphql';
const ACTIVE_POLL_MS = 5000;

const settings = document.body.dataset;
const isStatic = settings.source === 'static';
const query = isStatic ? staticSource(document.baseURI) : graphqlSource(ENDPOINT);
const experiment = settings.experiment ?? new URLSearchParams(location.search).get('experiment');
const filter = experiment ? { experiment: { eq: experiment } } : null;
let shown = 0;

/** Renders the page the location's hash names; an answer that arrives after the reader moved on is dropped. */
async function show() {
  const view = document.getElementById('view');
  const ticket = ++shown;
  const [, page, id] = location.hash.split('/');
  view.removeAttribute('data-ready');
  let nodes;
  try {
    nodes =
      page === 'run' && id !== undefined
        ? runView(await loadRun(query, decodeURIComponent(id)))
        : overviewView(await loadOverview(query, filter));
  } catch (error) {
    nodes = [el('p', { class: 'error' }, error instanceof Error ? error.message : String(error))];
  }
  if (ticket !== shown) return;
  view.replaceChildren(...nodes.flat());
  view.setAttribute('data-page', page === 'run' ? 'run' : 'overview');
  view.setAttribute('data-ready', 'true');
}

/** Follows the server's queued and running runs, looking for new ones every few seconds. */
function followActive() {
  const update = liveTable(document.getElementById('live'), progressClient(ENDPOINT), () => void show());
  const poll = () =>
    loadActive(query)
      .then(update)
      .catch(() => undefined) // the next poll tries again
      .finally(() => setTimeout(poll, ACTIVE_POLL_MS));
  poll();
}

const scope = experiment ? `experiment ${experiment}` : 'all runs';
document.getElementById('source').textContent = isStatic
  ? `static snapshot of ${scope}${settings.generated ? `, ${settings.generated}` : ''}`
  : `live from ${location.host}, ${scope}`;
window.addEventListener('hashchange', () => void show());
void show();
if (!isStatic) followActive();
