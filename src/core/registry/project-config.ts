import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, parseConfig } from '../contracts/config.js';

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
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  return { config: parseConfig(projectConfigSchema, raw, file), file, dir };
}
