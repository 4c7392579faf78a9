import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, parquetSchema } from 'hyparquet';
import type { AsyncBuffer, FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import type { ParquetInfo, ParquetRow } from '../contracts/dataset.js';
import { UserError } from '../contracts/errors.js';

/** A parquet file that cannot be read (not parquet, truncated, corrupt, or lacking a requested column). */
export class ParquetError extends UserError {
  override readonly name = 'ParquetError';
}

/** Opens a file and parses its footer; an unreadable footer rejects with a {@link ParquetError} naming the file. */
async function open(path: string): Promise<{ file: AsyncBuffer; metadata: FileMetaData; info: ParquetInfo }> {
  let file: AsyncBuffer;
  let metadata: FileMetaData;
  try {
    file = await asyncBufferFromFile(path);
    metadata = await parquetMetadataAsync(file);
  } catch (error) {
    throw new ParquetError(`${path}: not a readable parquet file (${(error as Error).message})`);
  }
  const kv: Record<string, string> = {};
  for (const { key, value } of metadata.key_value_metadata ?? []) if (value !== undefined) kv[key] = value;
  const info: ParquetInfo = {
    path,
    rows: Number(metadata.num_rows),
    rowGroups: metadata.row_groups.map((group) => Number(group.num_rows)),
    columns: parquetSchema(metadata).children.map((child) => child.element.name),
    metadata: kv,
  };
  return { file, metadata, info };
}

/** Footer facts of a parquet file (rows, row groups, top-level columns, key/value metadata); see DatasetFiles.parquetInfo. */
export async function parquetInfo(path: string): Promise<ParquetInfo> {
  return (await open(path)).info;
}

/** INT64 values as numbers where exact, binary as Uint8Array, structs (e.g. HF images) converted field by field. */
function plain(value: unknown): unknown {
  if (typeof value === 'bigint')
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) return value.map(plain);
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) out[key] = plain(field);
  return out;
}

/** Streams a parquet file one row group at a time; see DatasetFiles.readParquet. */
export async function readParquet(
  path: string,
  columns: readonly string[],
  visit: (rows: readonly ParquetRow[], offset: number) => Promise<void> | void,
  accept?: (rowStart: number, rowEnd: number) => boolean,
): Promise<ParquetInfo> {
  const { file, metadata, info } = await open(path);
  const absent = columns.filter((c) => !info.columns.includes(c));
  if (absent.length > 0)
    throw new ParquetError(
      `${path}: no column ${absent.map((c) => `'${c}'`).join(', ')} (columns: ${info.columns.join(', ')})`,
    );
  let rowStart = 0;
  for (const groupRows of info.rowGroups) {
    const rowEnd = rowStart + groupRows;
    if (groupRows > 0 && (accept === undefined || accept(rowStart, rowEnd))) {
      let rows: Record<string, unknown>[] = [];
      try {
        await parquetRead({
          file,
          metadata,
          columns: [...columns],
          rowStart,
          rowEnd,
          rowFormat: 'object',
          // Unannotated BYTE_ARRAY (encoded images) must stay binary; UTF8/STRING columns still come back as strings.
          utf8: false,
          compressors,
          onComplete: (result) => void (rows = result),
        });
      } catch (error) {
        throw new ParquetError(`${path}: rows ${rowStart}..${rowEnd - 1} cannot be read (${(error as Error).message})`);
      }
      if (rows.length !== groupRows)
        throw new ParquetError(
          `${path}: rows ${rowStart}..${rowEnd - 1}: read ${rows.length} rows, the footer says ${groupRows}`,
        );
      await visit(
        rows.map((row) => plain(row) as ParquetRow),
        rowStart,
      );
    }
    rowStart = rowEnd;
  }
  return info;
}
