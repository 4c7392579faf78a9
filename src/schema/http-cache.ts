import { createHash } from 'node:crypto';

/** How long a client may reuse a GET answer without asking again (Cache-Control max-age), in seconds. */
export const MAX_AGE_SECONDS = 5;

/** The most characters of answers a server keeps. */
const CACHED_CHARACTERS = 32 * 1024 * 1024;

/** A query's answer as sent: its body and content type. */
export interface Answer {
  readonly contentType: string;
  readonly body: string;
}

/** The entity tag of the answer to `request` (a GET's query string, a POST's body) in API state `state`. */
export const entityTag = (schemaDigest: string, state: string, request: string): string =>
  `"${createHash('sha256').update(`${schemaDigest}\u0000${state}\u0000${request}`).digest('base64url').slice(0, 27)}"`;

/** Whether an If-None-Match header names `tag` (compared weakly, as RFC 9110 says for If-None-Match). */
export function noneMatch(header: string | undefined, tag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((given) => given.trim().replace(/^W\//, '') === tag);
}

/**
 * Answers of queries by request, while the API's state token stays the same (any change empties it), up to a total
 * size (the oldest answers go first). Only answers of query operations without errors are kept.
 */
export class AnswerCache {
  private state = '';
  private readonly answers = new Map<string, Answer>();
  private characters = 0;

  get(state: string, request: string): Answer | undefined {
    return state === this.state ? this.answers.get(request) : undefined;
  }

  set(state: string, request: string, answer: Answer): void {
    if (state !== this.state) {
      this.state = state;
      this.answers.clear();
      this.characters = 0;
    }
    const size = answer.body.length;
    if (size > CACHED_CHARACTERS || this.answers.has(request)) return;
    for (const [oldest, old] of this.answers) {
      if (this.characters + size <= CACHED_CHARACTERS) break;
      this.answers.delete(oldest);
      this.characters -= old.body.length;
    }
    this.answers.set(request, answer);
    this.characters += size;
  }
}
