import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { parseConfig } from '../contracts/config.js';
import { parseObject, readUserFile } from '../user-files.js';

/** The project config file paretune reads from the working directory. */
export const PROJECT_CONFIG_FILE = 'paretune.config.json';

const projectConfigSchema = z.strictObject({
  /** Plugin modules to load: npm package names or paths relative to the config file. */
  plugins: z.array(z.string().min(1)).default([]),
});

export type ProjectConfig = z.infer<typeof projectConfigSchema>;

/** The parsed `paretune.config.json` in `dir`, or undefined when there is none. */
export function readProjectConfig(dir: string): { config: ProjectConfig; file: string; dir: string } | undefined {
  const file = join(dir, PROJECT_CONFIG_FILE);
  if (!existsSync(file)) return undefined;
  const raw = parseObject(readUserFile(file, file, 'a JSON project config'), file);
  return { config: parseConfig(projectConfigSchema, raw, file), file, dir };
}
