import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import { Parser } from 'tar';
import type { ReadEntry } from 'tar';
import type { ArchiveEntry } from '../contracts/dataset.js';
import { UserError } from '../contracts/errors.js';

/** Visits in flight before reading pauses (bounds memory while images decode). */
const IN_FLIGHT = 8;

/** A tar archive that cannot be read to its end. */
export class ArchiveError extends UserError {
  override readonly name = 'ArchiveError';
}

/** Streams a tar or tar.gz archive file by file; see DatasetFiles.readTar. */
export async function readTar(
  path: string,
  visit: (entry: ArchiveEntry) => Promise<void> | void,
  accept: (path: string) => boolean = () => true,
): Promise<void> {
  const pending = new Set<Promise<void>>();
  let failure: unknown;
  const parser = new Parser({
    strict: true,
    onReadEntry: (entry: ReadEntry) => {
      if (entry.type !== 'File' || !accept(entry.path)) {
        entry.resume();
        return;
      }
      const chunks: Buffer[] = [];
      entry.on('data', (chunk: Buffer) => chunks.push(chunk));
      entry.on('end', () => {
        const task: Promise<void> = Promise.resolve()
          .then(() => visit({ path: entry.path, bytes: Buffer.concat(chunks) }))
          .catch((error: unknown) => {
            failure ??= error;
          })
          .finally(() => pending.delete(task));
        pending.add(task);
      });
    },
  });
  const ended = once(parser, 'end');
  parser.on('error', (error: Error) => {
    failure ??= new ArchiveError(`${path}: ${error.message}`);
  });
  for await (const chunk of createReadStream(path)) {
    parser.write(chunk as Buffer);
    while (pending.size >= IN_FLIGHT) await Promise.race(pending);
    if (failure !== undefined) break;
  }
  if (failure === undefined) {
    parser.end();
    await ended;
  }
  await Promise.all(pending);
  if (failure !== undefined) throw failure;
}
