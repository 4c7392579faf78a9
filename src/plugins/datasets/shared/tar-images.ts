import { statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../../core/contracts/index.js';
import type { DatasetAvailability, DatasetFiles, DatasetSplit, FileSource } from '../../../core/contracts/index.js';

/** Availability of a dataset that comes as one archive in its folder. */
export function archiveAvailability(source: FileSource, files: DatasetFiles): DatasetAvailability {
  const path = join(files.dir, source.name);
  try {
    return { present: true, bytes: statSync(path).size, detail: path };
  } catch {
    return { present: false, detail: `not downloaded yet (${source.urls[0]} into ${files.dir})` };
  }
}

/** Lists the file paths of a tar archive without reading their contents. */
export async function listTar(files: DatasetFiles, archive: string): Promise<string[]> {
  const paths: string[] = [];
  await files.readTar(
    archive,
    () => undefined,
    (path) => (paths.push(path), false),
  );
  return paths;
}

/**
 * Reads small text members of a tar archive found by file name (e.g. `images.txt`), wherever the archive roots
 * them; returns each text with the folder it was found in (e.g. `CUB_200_2011/`).
 */
export async function readTarTexts(
  files: DatasetFiles,
  archive: string,
  names: readonly string[],
): Promise<Map<string, { text: string; folder: string }>> {
  const texts = new Map<string, { text: string; folder: string }>();
  const nameOf = (path: string): string | undefined => names.find((n) => path === n || path.endsWith(`/${n}`));
  await files.readTar(
    archive,
    (entry) => {
      const name = nameOf(entry.path) as string;
      texts.set(name, {
        text: entry.bytes.toString('utf8'),
        folder: entry.path.slice(0, entry.path.length - name.length),
      });
    },
    (path) => nameOf(path) !== undefined,
  );
  const missing = names.filter((n) => !texts.has(n));
  if (missing.length > 0) throw new ConfigError(`${archive}: missing ${missing.join(', ')}; the archive is incomplete`);
  return texts;
}

/**
 * The listed archive members decoded at `size` (in list order) as a split cached on disk, so a second open decodes
 * nothing. The cache key covers the archive's path, size and time, the member list and the image size. A listed
 * member missing from the archive is an error naming it.
 */
export async function tarImageSplit(
  files: DatasetFiles,
  archive: string,
  members: readonly { path: string; label: number }[],
  size: number,
  signal?: AbortSignal,
): Promise<DatasetSplit> {
  const { size: bytes, mtimeMs } = statSync(archive);
  const key = JSON.stringify({ archive, bytes, mtime: Math.round(mtimeMs), size, members: members.map((m) => m.path) });
  return files.cachedImages(key, { count: members.length, size }, async (write) => {
    const index = new Map(members.map((m, i) => [m.path, i]));
    const seen = new Set<number>();
    // Some tar writers prefix members with './'.
    const memberOf = (path: string): string => path.replace(/^(\.\/)+/, '');
    await files.readTar(
      archive,
      async (entry) => {
        signal?.throwIfAborted();
        const i = index.get(memberOf(entry.path)) as number;
        write(i, await files.decodeImage(entry.bytes, size, `${archive}:${entry.path}`));
        seen.add(i);
      },
      (path) => index.has(memberOf(path)),
    );
    const missing = members.filter((_, i) => !seen.has(i));
    if (missing.length > 0) {
      const shown = missing
        .slice(0, 5)
        .map((m) => m.path)
        .join(', ');
      throw new ConfigError(
        `${archive}: ${missing.length} listed image(s) are not in the archive: ${shown}${missing.length > 5 ? ', ...' : ''}`,
      );
    }
    return Int32Array.from(members, (m) => m.label);
  });
}
