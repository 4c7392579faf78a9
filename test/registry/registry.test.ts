import { describe, expect, it } from 'vitest';
import { createContainer } from '../../src/core/container.js';
import { definePlugin, epsSchema, PluginError, radiusSchema, z } from '../../src/core/contracts/index.js';
import type { PointMetricPlugin } from '../../src/core/contracts/index.js';
import { PluginRegistry } from '../../src/core/registry/registry.js';
import { builtinPlugins } from '../../src/plugins/index.js';
import { tempDir } from '../helpers/fixtures.js';

const metric = (name: string, extra: Partial<PointMetricPlugin> = {}): PointMetricPlugin => ({
  family: 'metric',
  kind: 'point',
  meta: { name, version: '1.0.0', apiVersion: 1, description: 'test metric' },
  configSchema: z.object({ bins: z.number().int().default(15) }),
  compute: () => 0,
  ...extra,
});

async function registry(): Promise<PluginRegistry> {
  const di = await createContainer({ builtins: builtinPlugins, cwd: tempDir() });
  return di.resolve(PluginRegistry);
}

describe('plugin registry', () => {
  it('registers the built-in bundle first and finds plugins by family and name', async () => {
    const reg = await registry();
    reg.register(metric('ece'), './ece');
    expect(reg.list('metric').map((p) => [p.plugin.meta.name, p.origin])).toEqual([
      ['accuracy', 'built-in'],
      ['ece', './ece'],
    ]);
    expect(reg.get('metric', 'ece').meta.version).toBe('1.0.0');
    expect(reg.list('strategy').map((p) => p.plugin.meta.name)).toEqual([
      'full',
      'linear-probe',
      'bitfit',
      'lora',
      'adapter',
      'compacter',
      'ia3',
    ]);
    expect(reg.list('dataset').map((p) => p.plugin.meta.name)).toEqual([
      'cifar10',
      'cifar100',
      'caltech256',
      'cub200',
      'stanford-dogs',
      'domainnet',
      'fashion-mnist',
      'imagefolder',
    ]);
  });

  it('keeps its plugins to itself: a fresh registry is empty and two containers share nothing', async () => {
    const alone = new PluginRegistry();
    expect(alone.all()).toEqual([]);
    expect(() => alone.get('metric', 'accuracy')).toThrow(
      "unknown metric 'accuracy' (no metric plugins are registered)",
    );
    alone.register(metric('ece'), './ece');
    expect(alone.all().map((p) => p.plugin.meta.name)).toEqual(['ece']);
    const [first, second] = await Promise.all([registry(), registry()]);
    first.register(metric('brier'), './brier');
    expect(first.list('metric').map((p) => p.plugin.meta.name)).toEqual(['accuracy', 'brier']);
    expect(second.list('metric').map((p) => p.plugin.meta.name)).toEqual(['accuracy']);
  });

  it('names the available plugins for an unknown name', async () => {
    const reg = await registry();
    expect(() => reg.get('metric', 'acc')).toThrow("unknown metric 'acc' (available: accuracy)");
    expect(() => reg.get('strategy', 'loar')).toThrow(
      "unknown strategy 'loar' (available: full, linear-probe, bitfit, lora, adapter, compacter, ia3)",
    );
    expect(() => reg.get('dataset', 'cifar')).toThrow(
      "unknown dataset 'cifar' (available: cifar10, cifar100, caltech256, cub200, stanford-dogs, domainnet, fashion-mnist, imagefolder)",
    );
  });

  it('refuses two plugins of one family with one name, naming both origins', async () => {
    const reg = await registry();
    expect(() => reg.register(metric('accuracy'), 'my-metrics')).toThrow(
      "two metric plugins are named 'accuracy': accuracy@0.2.0 from 'built-in' and accuracy@1.0.0 from 'my-metrics'; remove one of them",
    );
  });

  it('refuses a plugin written for another API version', async () => {
    const reg = await registry();
    const future = metric('future', { meta: { name: 'future', version: '3.0.0', apiVersion: 2, description: 'x' } });
    expect(() => reg.register(future, 'future-pkg')).toThrow(
      "plugin 'future'@3.0.0 from 'future-pkg' was written for plugin API version 2, but this paretune provides API version 1",
    );
  });

  it('refuses malformed plugins, naming the field and what was expected', async () => {
    const reg = await registry();
    expect(() => reg.register({ ...metric('x'), family: 'optimizer' }, 'p')).toThrow(
      "plugin 'x'@1.0.0 from 'p' is invalid: field 'family': expected one of strategy, attack, shift, dataset, metric, received \"optimizer\"",
    );
    expect(() => reg.register({ ...metric('x'), compute: 3 }, 'p')).toThrow("field 'compute': expected a function");
    expect(() =>
      reg.register(metric('x', { meta: { name: 'x', version: '1', apiVersion: 1, description: 'd' } }), 'p'),
    ).toThrow("field 'meta.version': expected a semantic version like 1.2.3");
    expect(() => reg.register(metric('Bad Name'), 'p')).toThrow("field 'meta.name': expected lowercase letters");
    expect(() => reg.register({ ...metric('x'), configSchema: { type: 'object' } }, 'p')).toThrow(
      "field 'configSchema': expected a zod schema",
    );
  });

  it('refuses a config schema that has no JSON Schema form', async () => {
    const reg = await registry();
    const odd = metric('odd', { configSchema: z.object({ when: z.date() }) });
    expect(() => reg.register(odd, 'odd-pkg')).toThrow(
      "plugin 'odd'@1.0.0 from 'odd-pkg' has a config schema with no JSON Schema form",
    );
  });

  it('refuses a config schema that transforms its input, which would not parse to itself when stored', async () => {
    const reg = await registry();
    const transforming = (name: string, configSchema: PointMetricPlugin['configSchema']): PointMetricPlugin =>
      metric(name, { configSchema });
    expect(() => reg.register(transforming('t1', z.object({ bins: z.string().transform(Number) })), 'pkg')).toThrow(
      "plugin 't1'@1.0.0 from 'pkg' has a config schema that transforms field 'bins': paretune stores the parsed config",
    );
    expect(() =>
      reg.register(
        transforming(
          't2',
          z.preprocess((v) => v, z.object({})),
        ),
        'pkg',
      ),
    ).toThrow('transforms its input');
    const codec = z.codec(z.string(), z.number(), { decode: Number, encode: String });
    expect(() => reg.register(transforming('t3', z.object({ levels: z.array(codec).optional() })), 'pkg')).toThrow(
      "transforms field 'levels[0]'",
    );
    expect(() =>
      definePlugin(transforming('t4', z.object({ a: z.object({ b: z.number().transform((x) => x * 2) }) }))),
    ).toThrow("plugin 't4'@1.0.0 from 'definePlugin()' has a config schema that transforms field 'a.b'");
    // The contract's radius schemas parse "8/255" to a number that parses to itself, so they are allowed.
    reg.register(
      transforming('radii', z.object({ eps: epsSchema.default(1 / 255), steps: z.array(radiusSchema).default([]) })),
      'pkg',
    );
    const parsed = reg.parseConfig('metric', 'radii', { eps: ['8/255', 0.5] });
    expect(parsed).toEqual({ eps: [8 / 255, 0.5], steps: [] });
    expect(reg.parseConfig('metric', 'radii', parsed)).toEqual(parsed);
  });

  it('validates plugin configs, naming the field and the expected type, and fills defaults', async () => {
    const reg = await registry();
    reg.register(metric('ece'), './ece');
    expect(reg.parseConfig('metric', 'ece', {})).toEqual({ bins: 15 });
    expect(() => reg.parseConfig('metric', 'ece', { bins: 'ten' })).toThrow(
      "metric 'ece' config is invalid: field 'bins': expected number, received string",
    );
    expect(reg.configJsonSchema('metric', 'ece')).toMatchObject({
      type: 'object',
      properties: { bins: { type: 'integer', default: 15 } },
    });
  });

  it('checks plugins at definePlugin() so authors see mistakes in their own tests', () => {
    expect(() =>
      definePlugin(metric('x', { meta: { name: 'x', version: '1.0.0', apiVersion: 9, description: 'd' } })),
    ).toThrow(PluginError);
  });
});
