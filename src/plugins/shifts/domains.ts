import { ConfigError, definePlugin, z } from '../../core/contracts/index.js';
import type { DatasetDescription } from '../../core/contracts/index.js';

/**
 * Out-of-distribution evaluation on a multi-domain dataset's other domains (DomainNet: train on one domain,
 * measure the test images of the other five). Each domain is measured on its own and all of them pooled.
 */
export const domainShift = definePlugin({
  family: 'shift',
  kind: 'split',
  meta: {
    name: 'domains',
    version: '0.1.0',
    apiVersion: 1,
    description: "The test splits of a multi-domain dataset's other domains, per domain and pooled.",
  },
  configSchema: z.object({ domains: z.array(z.string().min(1)).min(1).optional() }).strict(),
  splits(dataset: DatasetDescription, { domains }: { domains?: string[] }) {
    const available = (dataset.domains ?? []).filter((d) => d !== dataset.domain);
    const unknown = (domains ?? []).filter((d) => !available.includes(d));
    if (unknown.length > 0)
      throw new ConfigError(
        `shift 'domains' config: ${unknown.join(', ')} is not another domain of this dataset (available: ${available.join(', ') || 'none'})`,
      );
    return (domains ?? available).map((d) => `${d}/test`);
  },
});
