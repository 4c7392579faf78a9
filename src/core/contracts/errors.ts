/**
 * The base of every error the user can fix: their input (flags, specs, configs, plugins), their files, or their
 * machine's setup. Its message is one line that names the field, file or value and what was expected. The CLI
 * shows it as `paretune: <message>` (exit 1), the API answers it as BAD_USER_INPUT, and a queue worker fails the
 * run at once instead of retrying it (it would fail the same way). Any other error is a bug in paretune or a plugin.
 */
export class UserError extends Error {
  override readonly name: string = 'UserError';
}

/** Whether `error` is one the user can fix (see {@link UserError}); everything else is a bug. */
export const isUserError = (error: unknown): error is UserError => error instanceof UserError;

/** A file or folder the user named (or whose place they chose) that cannot be used as asked. */
export class FileError extends UserError {
  override readonly name = 'FileError';
}

/** What a failed file-system or SQLite call says about its path, by error code. */
const PROBLEMS: Readonly<Record<string, string>> = {
  ENOENT: 'does not exist',
  EISDIR: 'is a directory',
  ENOTDIR: 'is not a directory',
  EACCES: 'is not accessible (permission denied)',
  EPERM: 'cannot be created or changed (operation not permitted)',
  EROFS: 'is on a read-only file system',
  ENOSPC: 'cannot be written: no space left on its device',
  EDQUOT: 'cannot be written: disk quota exceeded',
  EEXIST: 'already exists',
  ENAMETOOLONG: 'has too long a name',
  ELOOP: 'has too many levels of symbolic links',
  SQLITE_CANTOPEN: 'cannot be opened',
  SQLITE_READONLY: 'is read-only',
  SQLITE_NOTADB: 'is not an SQLite database',
  SQLITE_FULL: 'cannot be written: no space left on its device',
  SQLITE_IOERR: 'cannot be read or written (I/O error)',
};

/** The one wording of a path that cannot be used as asked: `<subject>: <problem>; expected <expected>`. */
export const pathError = (subject: string, problem: string, expected: string, options?: ErrorOptions): FileError =>
  new FileError(`${subject}: ${problem}; expected ${expected}`, options);

/** A directory given where a file is expected, worded as a failed call on it (EISDIR) is. */
export const isDirectoryError = (subject: string, expected: string): FileError =>
  pathError(subject, PROBLEMS['EISDIR'] as string, expected);

/** A file met where a folder is expected (itself, or one on the way to a path). */
export const NOT_A_FOLDER = 'is a file, not a folder';

/** The problem a Node or better-sqlite3 error names (`SQLITE_READONLY_DBMOVED` is `SQLITE_READONLY`), if known. */
function problemOf(code: unknown, syscall: unknown): string | undefined {
  if (typeof code !== 'string') return undefined;
  // a recursive mkdir meets a file where a folder of the path should be
  if (code === 'EEXIST' && syscall === 'mkdir') return NOT_A_FOLDER;
  return PROBLEMS[code] ?? PROBLEMS[code.replace(/^(SQLITE_[A-Z]+)_.*$/, '$1')];
}

/**
 * The user error for a failed file-system or SQLite call on a path the user gave: `<subject>: <problem>; expected
 * <expected>`, naming the path the call failed on where it is another one (a parent folder). Errors of other
 * kinds are returned unchanged, so `throw fileError(error, ...)` in a catch keeps bugs as bugs.
 * @param subject - the file as the user knows it, e.g. `--adapter lora.safetensors` or `database /tmp`.
 * @param expected - what the path should be, e.g. `a safetensors file saved by paretune run --save-adaptation`.
 */
export function fileError(error: unknown, subject: string, expected: string): unknown {
  const { code, path, syscall } = (error ?? {}) as { code?: unknown; path?: unknown; syscall?: unknown };
  const problem = problemOf(code, syscall);
  if (problem === undefined) return error;
  const where = typeof path === 'string' && !subject.endsWith(path) ? `${path} ${problem}` : problem;
  return pathError(subject, where, expected, { cause: error });
}
