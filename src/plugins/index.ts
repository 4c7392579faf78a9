import type { Plugin } from '../core/contracts/index.js';
import { pgdAttack } from './attacks/pgd.js';
import { caltech256 } from './datasets/caltech256.js';
import { cifar10, cifar100 } from './datasets/cifar.js';
import { cub200 } from './datasets/cub200.js';
import { domainNet } from './datasets/domainnet.js';
import { fashionMnist } from './datasets/fashion-mnist.js';
import { imageFolder } from './datasets/imagefolder.js';
import { stanfordDogs } from './datasets/stanford-dogs.js';
import { accuracy } from './metrics/accuracy.js';
import { corruptionsShift } from './shifts/corruptions/index.js';
import { domainShift } from './shifts/domains.js';
import { adapter } from './strategies/adapter.js';
import { bitfit } from './strategies/bitfit.js';
import { compacter } from './strategies/compacter.js';
import { fullFineTuning } from './strategies/full.js';
import { ia3 } from './strategies/ia3.js';
import { linearProbe } from './strategies/linear-probe.js';
import { lora } from './strategies/lora.js';

/** The built-in plugin bundle, registered before any third-party plugin. */
export const builtinPlugins: readonly Plugin[] = [
  fullFineTuning,
  linearProbe,
  bitfit,
  lora,
  adapter,
  compacter,
  ia3,
  pgdAttack,
  corruptionsShift,
  domainShift,
  cifar10,
  cifar100,
  caltech256,
  cub200,
  stanfordDogs,
  domainNet,
  fashionMnist,
  imageFolder,
  accuracy,
];
