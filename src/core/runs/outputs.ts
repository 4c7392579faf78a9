import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { isDirectoryError, NOT_A_FOLDER, pathError } from '../contracts/errors.js';

/**
 * Checks, creating nothing, that a run can write `path` (a file, or a folder) when it ends, so that a wrong path
 * fails before the first training step rather than after the last. `what` names the option in the message.
 */
export function assertWritable(path: string, kind: 'file' | 'folder', what: string): void {
  const subject = `${what} ${path}`;
  const expected = kind === 'file' ? 'a file paretune can write' : 'a folder paretune can create and write in';
  const refuse = (problem: string): never => {
    throw pathError(subject, problem, expected);
  };
  const writable = (dir: string): boolean => {
    try {
      accessSync(dir, constants.W_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (existsSync(path)) {
    const folder = statSync(path).isDirectory();
    if (kind === 'file' && folder)
      throw isDirectoryError(subject, `a file name such as ${join(path, 'adaptation.safetensors')}`);
    if (kind === 'folder' && !folder) refuse(NOT_A_FOLDER);
    if (!writable(path)) refuse('is not writable (permission denied)');
    return;
  }
  // Missing folders on the way are created when the output is written; the nearest existing one must allow that.
  let parent = dirname(resolve(path));
  while (!existsSync(parent)) parent = dirname(parent);
  if (!statSync(parent).isDirectory()) refuse(`${parent} ${NOT_A_FOLDER}`);
  if (!writable(parent)) refuse(`folder ${parent} is not writable (permission denied)`);
}
