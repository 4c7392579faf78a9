export { aboveAverage, AUPF_DEFINITION_TEXT, aupf, hypervolume2d, nonDominated, paretoFrontier } from './pareto.js';
export type { FrontierDefinition, FrontierInput, FrontierPoint, FrontierResult, Objective, Sense } from './pareto.js';
export { pearson, spearman } from './correlation.js';
