import { constants as bufferConstants } from 'node:buffer';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import yauzl from 'yauzl';
import type { ArchiveEntry, ZipArchive, ZipEntryStat } from '../contracts/dataset.js';
import { ArchiveError } from './archives.js';

/** Visits in flight before reading pauses (bounds memory while images decode), as for tar archives. */
const IN_FLIGHT = 8;

const inflateRaw = promisify(zlib.inflateRaw);
/** Native CRC-32 (Node >= 20.15); on older Nodes the check is skipped (sizes are still checked). */
const crc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

const LOCAL_HEADER_SIGNATURE = 0x04034b50;
const LOCAL_HEADER_SIZE = 30;

/** What is needed to read one file of a zip: where its local header is, how it is stored, and its checksum. */
interface Located {
  readonly name: string;
  readonly localHeaderOffset: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly method: number;
  readonly crc: number;
  readonly encrypted: boolean;
}

const locate = (entry: yauzl.Entry): Located => ({
  name: entry.fileName,
  localHeaderOffset: entry.relativeOffsetOfLocalHeader,
  compressedSize: entry.compressedSize,
  size: entry.uncompressedSize,
  method: entry.compressionMethod,
  crc: entry.crc32 >>> 0,
  encrypted: (entry.generalPurposeBitFlag & 1) !== 0,
});

const isFolder = (entry: yauzl.Entry): boolean => entry.fileName.endsWith('/');

/** Reads exactly `length` bytes at `position`, or fails naming the archive. */
async function readExactly(handle: FileHandle, path: string, length: number, position: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0)
      throw new ArchiveError(`${path}: unexpected end of file at byte ${position + done} (the archive is truncated)`);
    done += bytesRead;
  }
  return buffer;
}

/**
 * The uncompressed contents of one file: its local header is read for the data offset, then the stored or deflated
 * bytes in one positioned read (random access: nothing else of the archive is read), checked against the
 * central directory's size and CRC-32.
 */
async function readContents(handle: FileHandle, path: string, fileSize: number, file: Located): Promise<Buffer> {
  const where = `${path}: ${file.name}`;
  if (file.encrypted) throw new ArchiveError(`${where}: encrypted entries are not supported`);
  if (file.method !== 0 && file.method !== 8)
    throw new ArchiveError(`${where}: unsupported compression method ${file.method} (only stored and deflated)`);
  if (file.size > bufferConstants.MAX_LENGTH || file.compressedSize > bufferConstants.MAX_LENGTH) {
    throw new ArchiveError(`${where}: ${file.size} bytes is too large to read into memory`);
  }
  const header = await readExactly(handle, path, LOCAL_HEADER_SIZE, file.localHeaderOffset);
  if (header.readUInt32LE(0) !== LOCAL_HEADER_SIGNATURE)
    throw new ArchiveError(`${where}: invalid local file header (the archive is corrupt)`);
  const dataStart = file.localHeaderOffset + LOCAL_HEADER_SIZE + header.readUInt16LE(26) + header.readUInt16LE(28);
  if (dataStart + file.compressedSize > fileSize) {
    throw new ArchiveError(
      `${where}: data runs past the end of the file (${dataStart + file.compressedSize} > ${fileSize} bytes; the archive is truncated)`,
    );
  }
  const raw = await readExactly(handle, path, file.compressedSize, dataStart);
  let bytes: Buffer;
  if (file.method === 0) bytes = raw;
  else {
    try {
      bytes = await inflateRaw(raw);
    } catch (error) {
      throw new ArchiveError(`${where}: corrupt deflate data (${(error as Error).message})`);
    }
  }
  if (bytes.length !== file.size)
    throw new ArchiveError(
      `${where}: ${bytes.length} bytes where the directory says ${file.size} (the archive is corrupt)`,
    );
  if (crc32 !== undefined && crc32(bytes) >>> 0 !== file.crc)
    throw new ArchiveError(`${where}: CRC-32 mismatch (the archive is corrupt)`);
  return bytes;
}

/** Opens the archive and its central directory (ZIP64 included), naming the file when it is not a readable zip. */
async function openDirectory(path: string): Promise<{ handle: FileHandle; zip: yauzl.ZipFile }> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new ArchiveError(`${path}: cannot open (${(error as Error).message})`);
  }
  try {
    // The descriptor is this module's: autoClose false, and the ZipFile is never close()d (that would close the
    // descriptor under the FileHandle); the caller closes the handle. lazyEntries: one directory entry at a time.
    const zip = await yauzl.fromFdPromise(handle.fd, {
      lazyEntries: true,
      autoClose: false,
      decodeStrings: true,
      strictFileNames: false,
    });
    return { handle, zip };
  } catch (error) {
    await handle.close();
    throw new ArchiveError(
      `${path}: not a readable zip archive (${(error as Error).message}; the file may be truncated or corrupt)`,
    );
  }
}

/** Iterates the central directory, naming the archive on errors. */
async function* directory(path: string, zip: yauzl.ZipFile): AsyncGenerator<yauzl.Entry> {
  const entries = zip.eachEntry();
  while (true) {
    let next: IteratorResult<yauzl.Entry>;
    try {
      next = await entries.next();
    } catch (error) {
      throw new ArchiveError(`${path}: corrupt central directory (${(error as Error).message})`);
    }
    if (next.done === true) return;
    yield next.value;
  }
}

/** Streams a zip archive's files; see DatasetFiles.readZip. */
export async function readZip(
  path: string,
  visit: (entry: ArchiveEntry) => Promise<void> | void,
  accept: (path: string) => boolean = () => true,
): Promise<void> {
  const { handle, zip } = await openDirectory(path);
  const pending = new Set<Promise<void>>();
  let failure: unknown;
  try {
    for await (const entry of directory(path, zip)) {
      if (isFolder(entry) || !accept(entry.fileName)) continue;
      const bytes = await readContents(handle, path, zip.fileSize, locate(entry));
      const task: Promise<void> = Promise.resolve()
        .then(() => visit({ path: entry.fileName, bytes }))
        .catch((error: unknown) => {
          failure ??= error;
        })
        .finally(() => pending.delete(task));
      pending.add(task);
      while (pending.size >= IN_FLIGHT) await Promise.race(pending);
      if (failure !== undefined) break;
    }
  } catch (error) {
    failure ??= error;
  } finally {
    await Promise.all(pending);
    await handle.close();
  }
  if (failure !== undefined) throw failure;
}

/** Opens a zip archive for random access; see DatasetFiles.openZip. */
export async function openZip(path: string): Promise<ZipArchive> {
  const { handle, zip } = await openDirectory(path);
  const files = new Map<string, Located>();
  try {
    for await (const entry of directory(path, zip)) {
      if (!isFolder(entry)) files.set(entry.fileName, locate(entry));
    }
  } catch (error) {
    await handle.close();
    throw error;
  }
  const fileSize = zip.fileSize;
  const paths = [...files.keys()];
  let closed = false;
  return {
    path,
    paths,
    has: (name) => files.has(name),
    stat(name): ZipEntryStat | undefined {
      const file = files.get(name);
      return file === undefined ? undefined : { size: file.size, compressedSize: file.compressedSize };
    },
    async read(name) {
      if (closed) throw new ArchiveError(`${path}: the archive is closed`);
      const file = files.get(name);
      if (file === undefined) throw new ArchiveError(`${path}: no file '${name}' in the archive`);
      return readContents(handle, path, fileSize, file);
    },
    async close() {
      if (closed) return;
      closed = true;
      await handle.close();
    },
  };
}
