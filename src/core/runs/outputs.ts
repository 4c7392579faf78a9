import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '../contracts/config.js';

/**
 * Checks, creating nothing, that a run can write `path` (a file, or a folder) when it ends, so that a wrong path
 * fails before the first training step rather than after the last. `what` names the option in the message.
 */
export function assertWritable(path: string, kind: 'file' | 'folder', what: string): void {
  const refuse = (why: string): never => {
    throw new ConfigError(`${what} ${path}: ${why}`);
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
    if (kind === 'file' && folder) refuse(`it is a folder; give a file name such as ${join(path, 'adaptation.safetensors')}`);
    if (kind === 'folder' && !folder) refuse('it is a file, not a folder');
    if (!writable(path)) refuse('it is not writable');
    return;
  }
  // Missing folders on the way are created when the output is written; the nearest existing one must allow that.
  let parent = dirname(resolve(path));
  while (!existsSync(parent)) parent = dirname(parent);
  if (!statSync(parent).isDirectory()) refuse(`${parent} is a file, not a folder`);
  if (!writable(parent)) refuse(`folder ${parent} is not writable`);
}
