// Where the dashboard's data comes from: the GraphQL API of `paretune serve`, or the JSON files of a static site
// that `paretune site` wrote by running the same queries. Either way a page asks `query(name, variables)`.

import { QUERIES } from './queries.js';

/**
 * Runs the query of this name (see queries.js) with these variables and resolves with its data.
 * @typedef {(name: keyof typeof QUERIES, variables?: Record<string, unknown>) => Promise<any>} Query
 */

/** JSON text with object keys sorted at every level, so equal variables give equal text. */
function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** 64-bit FNV-1a of a text's UTF-16 code units, as 16 hex digits. */
function fnv1a64(text) {
  const mask = (1n << 64n) - 1n;
  let hash = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) hash = ((hash ^ BigInt(text.charCodeAt(i))) * 0x100000001b3n) & mask;
  return hash.toString(16).padStart(16, '0');
}

/** The static site's file holding the answer to a query with these variables, relative to the site's root. */
export function dataFile(name, variables) {
  return `data/${name}/${fnv1a64(canonical(variables))}.json`;
}

/** The data of a GraphQL answer, or an error with its first message. */
export function answerData(answer, name) {
  if (answer.errors !== undefined && answer.errors.length > 0) throw new Error(`${name}: ${answer.errors[0].message}`);
  return answer.data;
}

/** Runs named queries against a GraphQL endpoint, as GET requests (answered with entity tags, so HTTP caches work). */
export function graphqlSource(endpoint) {
  return async (name, variables = {}) => {
    const url = new URL(endpoint, document.baseURI);
    url.searchParams.set('query', QUERIES[name]);
    url.searchParams.set('variables', JSON.stringify(variables));
    const response = await fetch(url, { headers: { accept: 'application/json' } });
    return answerData(await response.json(), name);
  };
}

/** Reads the answers of named queries from a static site's JSON files (see dataFile). */
export function staticSource(base) {
  return async (name, variables = {}) => {
    const response = await fetch(new URL(dataFile(name, variables), base));
    if (!response.ok) throw new Error(`${name}: this site holds no answer for ${canonical(variables)}`);
    return answerData(await response.json(), name);
  };
}
