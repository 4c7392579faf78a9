import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** paretune's own package.json, found upwards from this file (src/ in development, dist/src/ when built). */
function readOwnPackage(): { version: string; root: string } {
  let url = new URL('.', import.meta.url);
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('package.json', url)), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'paretune' && pkg.version !== undefined)
        return { version: pkg.version, root: fileURLToPath(url) };
    } catch {
      // no package.json at this level: keep walking up
    }
    const parent = new URL('..', url);
    if (parent.href === url.href) throw new Error('paretune: cannot find its own package.json');
    url = parent;
  }
}

const ownPackage = readOwnPackage();

/** The installed paretune version, recorded in every run. */
export const PARETUNE_VERSION = ownPackage.version;

/** The folder paretune is installed in (its package.json's folder), for files it ships such as the plugin template. */
export const PARETUNE_ROOT = ownPackage.root;
