import { parseConfig } from '../core/contracts/config.js';
import { validatePlugin } from '../core/contracts/plugin.js';
import type { Plugin } from '../core/contracts/plugin.js';

/** A broken rule of a plugin family's contract, found by a conformance check. */
export interface Finding {
  /** The plugin, as `<family> '<name>'`. */
  readonly plugin: string;
  /** The rule it broke, e.g. `radius` or `frozen-unchanged` (docs/plugins.md lists them per family). */
  readonly rule: string;
  /** One sentence naming the plugin, the rule and what was seen. */
  readonly message: string;
}

/** Thrown by {@link assertConforms}: every finding, one per line. */
export class ConformanceError extends Error {
  override readonly name = 'ConformanceError';

  constructor(readonly findings: readonly Finding[]) {
    super(`${findings.length} conformance finding(s):\n${findings.map((f) => `- ${f.message}`).join('\n')}`);
  }
}

/** Throws a {@link ConformanceError} listing the findings, if there are any; works under any test runner. */
export function assertConforms(findings: readonly Finding[]): void {
  if (findings.length > 0) throw new ConformanceError(findings);
}

/** Collects findings about one plugin; each message names the plugin and the rule. */
export class FindingList {
  readonly findings: Finding[] = [];
  readonly plugin: string;

  constructor(plugin: Pick<Plugin, 'family' | 'meta'>) {
    this.plugin = `${plugin.family} '${plugin.meta.name}'`;
  }

  add(rule: string, detail: string): void {
    this.findings.push({ plugin: this.plugin, rule, message: `${this.plugin} breaks rule '${rule}': ${detail}` });
  }

  /** Runs `check`; an exception it throws becomes a finding of `rule` (the plugin threw where it must not). */
  async guard<T>(rule: string, check: () => Promise<T> | T): Promise<T | undefined> {
    try {
      return await check();
    } catch (error) {
      this.add(rule, `it threw: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  }
}

/**
 * The shared first rules: the plugin object is well formed (`definition`, paretune's own registry check) and the
 * config parses against its schema (`config`). Returns the parsed config, or undefined after a finding.
 */
export async function parsedConfig(
  plugin: Plugin,
  config: unknown,
  list: FindingList,
): Promise<{ value: unknown } | undefined> {
  const valid = await list.guard('definition', () => validatePlugin(plugin, 'the conformance check'));
  if (valid === undefined) return undefined;
  return list.guard('config', () => ({
    value: parseConfig(plugin.configSchema, config ?? {}, `${list.plugin} config`),
  }));
}
