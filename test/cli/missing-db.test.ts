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

describe('paretune runs before anything is stored', () => {
  it('lists no runs from the default database that does not exist yet, and creates nothing', async () => {
    const data = tempDir();
    const db = join(data, 'paretune.db');
    const text = await cliProcess(['runs'], data, { PARETUNE_DATA_DIR: data });
    expect(text).toMatchObject({
      code: 0,
      stderr: '',
      stdout: `no runs yet: ${db} does not exist (run, experiment and serve create it)\n`,
    });
    expect((await cliProcess(['runs', '--json'], data, { PARETUNE_DATA_DIR: data })).stdout).toBe('[]\n');
    expect(existsSync(db)).toBe(false);
  });
});
