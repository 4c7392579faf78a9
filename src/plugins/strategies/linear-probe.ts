import { definePlugin, z } from '../../core/contracts/index.js';

/** Linear probing: the backbone is frozen; only the classification head trains. */
export const linearProbe = definePlugin({
  family: 'strategy',
  meta: {
    name: 'linear-probe',
    version: '0.1.0',
    apiVersion: 1,
    description: 'Linear probing: only the classification head trains.',
  },
  configSchema: z.object({}).strict(),
  adapt: () => ({ trains: () => false, added: new Map(), hooks: {}, headOnly: true }),
});
