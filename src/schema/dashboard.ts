import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { PARETUNE_ROOT } from '../core/version.js';

/** The dashboard's own files: plain ES modules, CSS and HTML that browsers load as they are (no build step). */
const DASHBOARD_DIR = join(PARETUNE_ROOT, 'src', 'dashboard');

/** Browser builds the dashboard loads, from the installed packages: each package and its file beside its entry. */
const VENDOR: Record<string, { readonly pkg: string; readonly file: string }> = {
  'vega.min.js': { pkg: 'vega', file: 'vega.min.js' },
  'vega-lite.min.js': { pkg: 'vega-lite', file: 'vega-lite.min.js' },
  'graphql-ws.min.js': { pkg: 'graphql-ws', file: '../umd/graphql-ws.min.js' },
};

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** A file of the dashboard: where it lies on disk and its content type. */
export interface DashboardAsset {
  readonly file: string;
  readonly contentType: string;
}

const asset = (file: string): DashboardAsset => ({
  file,
  contentType: CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
});

/**
 * The dashboard's files by their path in a site (`index.html`, `dashboard/app.js`, `dashboard/vendor/vega.min.js`,
 * ...): the same layout for `paretune serve`, which answers `/` with index.html, and for `paretune site`.
 */
export function dashboardAssets(): Map<string, DashboardAsset> {
  const assets = new Map<string, DashboardAsset>([['index.html', asset(join(DASHBOARD_DIR, 'index.html'))]]);
  for (const name of readdirSync(DASHBOARD_DIR).sort())
    if (name !== 'index.html' && CONTENT_TYPES[extname(name)] !== undefined)
      assets.set(`dashboard/${name}`, asset(join(DASHBOARD_DIR, name)));
  const require = createRequire(import.meta.url);
  for (const [name, { pkg, file }] of Object.entries(VENDOR))
    assets.set(`dashboard/vendor/${name}`, asset(join(dirname(require.resolve(pkg)), file)));
  return assets;
}

/** The dashboard's files read into memory, by path in a site. */
export function readDashboard(): Map<string, { readonly contentType: string; readonly body: string }> {
  return new Map(
    [...dashboardAssets()].map(([path, { file, contentType }]) => [
      path,
      { contentType, body: readFileSync(file, 'utf8') },
    ]),
  );
}
