import type { Plugin } from '../core/contracts/index.js';
import { accuracy } from './metrics/accuracy.js';

/** The built-in plugin bundle, registered before any third-party plugin. */
export const builtinPlugins: readonly Plugin[] = [accuracy];
