import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliProcess, tempDir } from '../helpers/index.js';

const READERS: readonly (readonly string[])[] = [['runs'], ['export'], ['resume', 'some-run'], ['frontier']];

describe('commands that read runs refuse a database that does not exist', () => {
  it.concurrent.each(READERS.map((argv) => [argv[0], argv] as const))(
    '%s --db <missing file>: one line naming it, exit 1, nothing created',
    async (_name, argv) => {
      const dir = tempDir();
      const db = join(dir, 'typo.db');
      const { code, stderr } = await cliProcess([...argv, '--db', db], dir);
      expect(stderr).toBe(
        `paretune: database ${db}: does not exist; expected an SQLite database file (paretune run, experiment and serve create one)\n`,
      );
      expect(code).toBe(1);
      expect(existsSync(db)).toBe(false);
    },
  );
});
