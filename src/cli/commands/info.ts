import type { Command } from 'commander';
import { BackendToken } from '../../core/container.js';
import { PLUGIN_API_VERSION, PLUGIN_FAMILIES } from '../../core/contracts/meta.js';
import { PluginRegistry } from '../../core/registry/registry.js';
import type { GpuAdapterSummary } from '../../core/tensor/webgpu.js';
import { PARETUNE_VERSION } from '../../core/version.js';
import { containerFor } from '../context.js';
import type { CliIo, GlobalOptions } from '../context.js';

/** The GPU adapter under its backend attempt: who made it, what it is, and the limits that bound batch sizes. */
function adapterLines(adapter: GpuAdapterSummary): string[] {
  const limits = Object.entries(adapter.limits).map(([name, value]) => `${name} ${value}`);
  return [
    `             adapter: vendor '${adapter.vendor}', architecture '${adapter.architecture}', device '${adapter.device}'`,
    `             description: ${adapter.description}${adapter.software === undefined ? '' : ` (software: ${adapter.software})`}`,
    `             limits: ${limits.join(', ')}`,
  ];
}

export function registerInfo(program: Command, io: CliIo): void {
  program
    .command('info')
    .description('show the paretune version, Node, the TensorFlow.js backend and why, and every registered plugin')
    .option('--json', 'print machine-readable JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const di = await containerFor(command.optsWithGlobals<GlobalOptions>(), io);
      const backend = di.resolve(BackendToken);
      const registry = di.resolve(PluginRegistry);
      const plugins = Object.fromEntries(
        PLUGIN_FAMILIES.map((family) => [
          family,
          registry.list(family).map(({ plugin, origin }) => ({
            name: plugin.meta.name,
            version: plugin.meta.version,
            apiVersion: plugin.meta.apiVersion,
            description: plugin.meta.description,
            ...('kind' in plugin ? { kind: plugin.kind } : {}),
            origin,
          })),
        ]),
      );
      const info = {
        paretune: PARETUNE_VERSION,
        pluginApiVersion: PLUGIN_API_VERSION,
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
        backend,
        plugins,
      };
      if (options.json) {
        io.stdout(`${JSON.stringify(info, null, 2)}\n`);
        return;
      }
      const lines = [
        `paretune ${info.paretune} (plugin API ${info.pluginApiVersion})`,
        `node     ${info.node} on ${info.platform}`,
        `backend  ${backend.name} (tfjs '${backend.tfBackend}'): ${backend.reason}`,
        ...backend.attempts.flatMap((a) => [
          `         ${a.ok ? '+' : '-'} ${a.backend}: ${a.detail}`,
          ...(a.adapter === undefined ? [] : adapterLines(a.adapter)),
        ]),
        'plugins',
      ];
      for (const family of PLUGIN_FAMILIES) {
        const list = plugins[family] ?? [];
        if (list.length === 0) lines.push(`  ${family.padEnd(9)}(none)`);
        for (const p of list)
          lines.push(
            `  ${family.padEnd(9)}${`${p.name}@${p.version}`.padEnd(24)} ${p.origin.padEnd(12)} ${p.description}`,
          );
      }
      io.stdout(`${lines.join('\n')}\n`);
    });
}
