import { describe, expect, it } from 'vitest';
import { ConfigError, fileError, FileError, isUserError, PluginError } from '../../src/core/contracts/index.js';
import { ArchiveError } from '../../src/core/data/archives.js';
import { DownloadError } from '../../src/core/data/download.js';
import { DatasetFileError } from '../../src/core/data/files.js';
import { ImageDecodeError } from '../../src/core/data/images.js';
import { ParquetError } from '../../src/core/data/parquet.js';
import { RedisUnreachableError } from '../../src/core/execution/distributed.js';
import { remoteFailure, RemoteRunError } from '../../src/core/execution/thread-pool.js';
import { CheckpointError } from '../../src/core/model/safetensors.js';
import { StoreError } from '../../src/core/store/store.js';
import { BackendError } from '../../src/core/tensor/backend.js';
import { TensorLeakError } from '../../src/core/tensor/memory.js';
import { TrainingDivergedError } from '../../src/core/training/trainer.js';

describe('one error taxonomy', () => {
  it('makes every user-caused error class a UserError, and leaves bugs out', () => {
    const caused = [
      new ConfigError('x'),
      new PluginError('x'),
      new CheckpointError('x'),
      new DatasetFileError('x'),
      new ParquetError('x'),
      new ArchiveError('x'),
      new DownloadError('x'),
      new ImageDecodeError('x'),
      new StoreError('x'),
      new BackendError('x'),
      new RedisUnreachableError('x'),
      new TrainingDivergedError(3, Number.NaN),
      new RemoteRunError('r', 'ConfigError', 'x'),
      new FileError('x'),
    ];
    for (const error of caused) expect(isUserError(error), error.name).toBe(true);
    for (const bug of [
      new Error('x'),
      new TypeError('x'),
      new RangeError('x'),
      new TensorLeakError('x'),
      'text',
      undefined,
    ])
      expect(isUserError(bug)).toBe(false);
  });

  it('keeps a remote run failure a user error only where its cause was one', () => {
    expect(isUserError(remoteFailure('r1', 'ConfigError', 'bad field', true))).toBe(true);
    const bug = remoteFailure('r1', 'TypeError', 'x is undefined', false);
    expect(isUserError(bug)).toBe(false);
    expect(bug.message).toBe('run r1 failed: TypeError: x is undefined');
  });

  it('turns a failed file-system call into a user error naming the path and what was expected', () => {
    const node = (code: string, path: string, syscall = 'open'): Error =>
      Object.assign(new Error(`${code}: ...`), { code, path, syscall });
    expect((fileError(node('EISDIR', '/tmp'), '--db /tmp', 'an SQLite database file') as Error).message).toBe(
      '--db /tmp: is a directory; expected an SQLite database file',
    );
    expect((fileError(node('EEXIST', '/d/file', 'mkdir'), 'folder /d/file/x', 'a folder') as Error).message).toBe(
      'folder /d/file/x: /d/file is a file, not a folder; expected a folder',
    );
    const sqlite = Object.assign(new Error('attempt to write a readonly database'), {
      code: 'SQLITE_READONLY_DBMOVED',
    });
    expect(fileError(sqlite, 'database a.db', 'a writable file')).toBeInstanceOf(FileError);
    const other = new TypeError('not a file problem');
    expect(fileError(other, 'x', 'y')).toBe(other);
  });
});
