import { definePlugin, z } from '../../core/contracts/index.js';

/** Full fine-tuning: every backbone parameter and the head train. */
export const fullFineTuning = definePlugin({
  family: 'strategy',
  meta: {
    name: 'full',
    version: '0.1.0',
    apiVersion: 1,
    description: 'Full fine-tuning: every backbone parameter and the head train.',
  },
  configSchema: z.object({}).strict(),
  adapt: () => ({ trains: () => true, added: new Map(), hooks: {} }),
});
