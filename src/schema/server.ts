import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, timingSafeEqual } from 'node:crypto';
import { ApolloServer, HeaderMap } from '@apollo/server';
import type { ApolloServerPlugin, HTTPGraphQLRequest, HTTPGraphQLResponse } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { getOperationAST, getVariableValues, GraphQLError, Kind, parse, printSchema, validate } from 'graphql';
import type { DocumentNode, GraphQLSchema, OperationDefinitionNode } from 'graphql';
import { fieldExtensionsEstimator, getComplexity, simpleEstimator } from 'graphql-query-complexity';
import { useServer } from 'graphql-ws/use/ws';
import type { DependencyContainer } from 'tsyringe';
import { WebSocketServer } from 'ws';
import { Api } from './api.js';
import type { ApiContext, ApiOptions } from './api.js';
import { AnswerCache, entityTag, MAX_AGE_SECONDS, noneMatch } from './http-cache.js';
import type { Answer } from './http-cache.js';
import { buildApiSchema } from './schema.js';
import { readDashboard } from './dashboard.js';

export interface ServerOptions extends ApiOptions {
  readonly container: DependencyContainer;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Stack traces in error responses. */
  readonly debug?: boolean;
  /** Origins allowed to call the API from a browser ('*' for any); none by default. */
  readonly corsOrigins?: readonly string[];
  readonly maxBodyBytes?: number;
  readonly maxDepth?: number;
  readonly maxComplexity?: number;
}

export interface ApiServer {
  readonly url: string;
  readonly api: Api;
  /** Stops accepting requests, stops the runs on its worker threads (they stay resumable) and closes the server. */
  close(): Promise<void>;
}

export const LIMITS = { maxBodyBytes: 1_000_000, maxDepth: 10, maxComplexity: 2_000 } as const;

/**
 * Variables that do not fit their declared types (e.g. a string for an Int), as BAD_USER_INPUT. Checked before the
 * complexity estimate, which coerces the variables itself and would throw an unclassified (500) error.
 */
function variableErrors(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
): GraphQLError[] {
  const operation = getOperationAST(document);
  if (!operation) return [];
  const { errors } = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {});
  return (errors ?? []).map(
    (error) =>
      new GraphQLError(error.message, {
        nodes: error.nodes ?? null,
        extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
      }),
  );
}

/** Whether a query is deeper than `maxDepth`, as its QUERY_TOO_DEEP error. */
function depthError(schema: GraphQLSchema, document: DocumentNode, maxDepth: number): GraphQLError | undefined {
  const rejected: GraphQLError[] = [];
  validate(schema, document, [
    maxDepthRule({
      n: maxDepth,
      ignoreIntrospection: true,
      flattenFragments: true,
      exposeLimits: true,
      propagateOnRejection: false,
      onReject: [(_context, error) => rejected.push(error)],
    }),
  ]);
  if (rejected.length === 0) return undefined;
  return new GraphQLError(`query too deep: ${rejected[0]?.message.replace(/^Syntax Error: /, '')}`, {
    extensions: { code: 'QUERY_TOO_DEEP', limit: maxDepth, http: { status: 400 } },
  });
}

/**
 * Variable types, depth and complexity checks, each answered with its own stable error code. The depth of a
 * document is checked once: repeated queries arrive as the same parsed document (Apollo keeps them by text).
 */
function limitChecks(
  schema: GraphQLSchema,
  maxDepth: number,
  maxComplexity: number,
): (document: DocumentNode, variables: Record<string, unknown> | undefined) => GraphQLError[] {
  const depths = new WeakMap<DocumentNode, GraphQLError | null>();
  return (document, variables) => {
    const invalid = variableErrors(schema, document, variables);
    if (invalid.length > 0) return invalid;
    let tooDeep = depths.get(document);
    if (tooDeep === undefined) depths.set(document, (tooDeep = depthError(schema, document, maxDepth) ?? null));
    if (tooDeep !== null) return [tooDeep];
    const cost = getComplexity({
      schema,
      query: document,
      variables: variables ?? {},
      estimators: [fieldExtensionsEstimator(), simpleEstimator({ defaultComplexity: 1 })],
    });
    if (cost > maxComplexity) {
      return [
        new GraphQLError(
          `query too complex: cost ${cost} exceeds the limit of ${maxComplexity} (ask for fewer runs a page or fewer history samples)`,
          {
            extensions: { code: 'QUERY_TOO_COMPLEX', cost, limit: maxComplexity, http: { status: 400 } },
          },
        ),
      ];
    }
    return [];
  };
}

/** Root fields whose answers depend on more than the API's state: `datasets` says which files are on disk. */
const OUTSIDE_STATE = new Set(['datasets']);

/** Whether an operation is a query whose answer depends on the API's state alone (fragments at its root are not read). */
const statefulQuery = (operation: OperationDefinitionNode): boolean =>
  operation.operation === 'query' &&
  operation.selectionSet.selections.every((s) => s.kind === Kind.FIELD && !OUTSIDE_STATE.has(s.name.value));

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** Whether `header` is exactly `Bearer <token>`; compared as equal-length digests, in constant time. */
function bearerMatches(header: string | undefined, token: string | undefined): boolean {
  if (token === undefined || header === undefined) return false;
  const given = /^Bearer (.+)$/i.exec(header)?.[1];
  return given !== undefined && timingSafeEqual(digest(given), digest(token));
}

class PayloadTooLargeError extends Error {}

/**
 * The request body, refusing more than `limit` bytes. An oversized body is drained without being kept, so the
 * client reads the 413 answer instead of a reset connection.
 */
async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
  }
  if (size > limit) throw new PayloadTooLargeError(`request body of ${size} bytes is over the limit of ${limit} bytes`);
  return Buffer.concat(chunks).toString('utf8');
}

function sendAnswer(res: ServerResponse, answer: Answer, headers: Record<string, string> = {}): void {
  res.writeHead(200, {
    'content-type': answer.contentType,
    'content-length': Buffer.byteLength(answer.body),
    ...headers,
  });
  res.end(answer.body);
}

/**
 * Answers a GET that may be cached for a short while: 304 without a body when the client holds this answer
 * (If-None-Match names its entity tag), else the answer with that tag.
 */
function sendCacheable(req: IncomingMessage, res: ServerResponse, tag: string, answer: Answer): void {
  // Token holders see server paths that others do not: their answers are their own.
  const scope = req.headers.authorization === undefined ? 'public' : 'private';
  const headers = { etag: tag, 'cache-control': `${scope}, max-age=${MAX_AGE_SECONDS}`, vary: 'authorization' };
  if (!noneMatch(req.headers['if-none-match'], tag)) return sendAnswer(res, answer, headers);
  res.writeHead(304, headers);
  res.end();
}

function sendError(res: ServerResponse, status: number, message: string, code: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
}

/**
 * Apollo plugin enforcing the depth and complexity limits, and noting which HTTP requests were answered by query
 * operations without errors: answers that may be kept and reused.
 */
function limitsPlugin(
  limitErrors: ReturnType<typeof limitChecks>,
  reusable: WeakMap<HTTPGraphQLRequest, boolean>,
): ApolloServerPlugin<ApiContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document }) {
          const [error] = limitErrors(document, request.variables);
          if (error !== undefined) throw error;
        },
        async willSendResponse({ request, operation, response }) {
          if (request.http === undefined) return;
          const answered =
            operation !== undefined &&
            statefulQuery(operation) &&
            response.body.kind === 'single' &&
            response.body.singleResult.errors === undefined;
          reusable.set(request.http, (reusable.get(request.http) ?? true) && answered);
        },
      };
    },
  };
}

/** CORS headers for an allowed origin. */
function cors(allowed: readonly string[], req: IncomingMessage, res: ServerResponse): void {
  const origin = req.headers.origin;
  if (origin === undefined || !(allowed.includes('*') || allowed.includes(origin))) return;
  res.setHeader('access-control-allow-origin', allowed.includes('*') ? '*' : origin);
  res.setHeader('vary', 'origin');
  res.setHeader('access-control-allow-headers', 'content-type, authorization');
  res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
}

/** What answering GraphQL over HTTP needs: Apollo, the API, and the kept answers. */
interface GraphQLHttp {
  readonly apollo: ApolloServer<ApiContext>;
  readonly api: Api;
  readonly options: ServerOptions;
  readonly maxBodyBytes: number;
  readonly schemaDigest: string;
  readonly reusable: WeakMap<HTTPGraphQLRequest, boolean>;
  readonly answers: AnswerCache;
  /** Requests being executed, by state and request, with the answer they will keep (undefined: none). */
  readonly executing: Map<string, Promise<Answer | undefined>>;
}

/** Answers a GraphQL request at /graphql: from the kept answers when the API state allows, else by executing it. */
async function answerGraphQL(http: GraphQLHttp, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  let text: string;
  let body: unknown;
  try {
    text = await readBody(req, http.maxBodyBytes);
    body = text.length === 0 ? undefined : JSON.parse(text);
  } catch (error) {
    if (error instanceof PayloadTooLargeError) return sendError(res, 413, error.message, 'PAYLOAD_TOO_LARGE');
    return sendError(res, 400, `request body is not JSON: ${(error as Error).message}`, 'BAD_REQUEST');
  }
  // A query's answer depends on the request (the response format it accepts, whether it holds the API token:
  // server paths are shown only then) and the API's state alone.
  const get = req.method === 'GET';
  const authorized = bearerMatches(req.headers.authorization, http.options.token);
  const request = `${authorized ? 'token' : ''}\u0000${req.headers.accept ?? ''}\u0000${get ? url.search : text}`;
  const state = http.api.state(MAX_AGE_SECONDS * 1000);
  const tag = entityTag(http.schemaDigest, state, request);
  // The same request arriving while it is executed waits for that answer instead of executing it again.
  const key = `${state}\u0000${request}`;
  const kept = http.answers.get(state, request) ?? (await http.executing.get(key));
  if (kept !== undefined) return get ? sendCacheable(req, res, tag, kept) : sendAnswer(res, kept);
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(req.headers))
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  const httpGraphQLRequest: HTTPGraphQLRequest = { method: req.method ?? 'GET', headers, search: url.search, body };
  let settle: (answer: Answer | undefined) => void = () => undefined;
  const leads = !http.executing.has(key);
  if (leads) http.executing.set(key, new Promise((resolve) => (settle = resolve)));
  let response: HTTPGraphQLResponse;
  let answer: Answer | undefined;
  try {
    response = await http.apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest,
      context: async () => ({ authorized, api: http.api }),
    });
    if (
      response.body.kind === 'complete' &&
      http.reusable.get(httpGraphQLRequest) === true &&
      http.api.state(MAX_AGE_SECONDS * 1000) === state
    ) {
      answer = {
        contentType: response.headers.get('content-type') ?? 'application/json',
        body: response.body.string,
      };
      http.answers.set(state, request, answer);
    }
  } finally {
    // Without an answer to keep, the requests that waited execute themselves.
    settle(answer);
    if (leads) http.executing.delete(key);
  }
  if (answer !== undefined) return get ? sendCacheable(req, res, tag, answer) : sendAnswer(res, answer);
  for (const [name, value] of response.headers) res.setHeader(name, value);
  res.statusCode = response.status ?? 200;
  if (response.body.kind === 'complete') {
    res.end(response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

/** graphql-ws subscriptions on the HTTP server's /graphql path, with the same limits as HTTP. */
function serveSubscriptions(
  http: Server,
  schema: GraphQLSchema,
  api: Api,
  options: ServerOptions,
  limitErrors: ReturnType<typeof limitChecks>,
  maxBodyBytes: number,
): { sockets: WebSocketServer; ws: ReturnType<typeof useServer> } {
  // A larger frame closes its socket (1009, message too big) before it is kept in memory.
  const sockets = new WebSocketServer({ server: http, path: '/graphql', maxPayload: maxBodyBytes });
  const ws = useServer<Record<string, unknown>, { api: Api }>(
    {
      schema,
      context: (ctx) => ({
        authorized: bearerMatches(
          typeof ctx.connectionParams?.['authorization'] === 'string'
            ? ctx.connectionParams['authorization']
            : undefined,
          options.token,
        ),
        api,
      }),
      onSubscribe: (_ctx, _id, payload) => {
        let document: DocumentNode;
        try {
          document = parse(payload.query);
        } catch (error) {
          return [error as GraphQLError];
        }
        const errors = limitErrors(document, payload.variables ?? undefined);
        return errors.length > 0 ? errors : undefined;
      },
    },
    sockets,
  );
  return { sockets, ws };
}

/**
 * Serves the API over HTTP at `/graphql` (POST JSON; GET for queries) and graphql-ws subscriptions on the same
 * path, with depth, complexity and size limits (request bodies and WebSocket messages), optional CORS, and a bearer
 * token for mutations.
 */
export async function startApiServer(options: ServerOptions): Promise<ApiServer> {
  const api = new Api(options);
  const schema = await buildApiSchema(options.container, api);
  const maxDepth = options.maxDepth ?? LIMITS.maxDepth;
  const maxComplexity = options.maxComplexity ?? LIMITS.maxComplexity;
  const maxBodyBytes = options.maxBodyBytes ?? LIMITS.maxBodyBytes;
  const limitErrors = limitChecks(schema, maxDepth, maxComplexity);
  /** Whether an HTTP request was answered by query operations without errors: an answer that may be kept and reused. */
  const reusable = new WeakMap<HTTPGraphQLRequest, boolean>();
  const apollo = await startApollo(schema, options, limitsPlugin(limitErrors, reusable));
  const sdl = printSchema(schema);
  const schemaDigest = createHash('sha256').update(sdl).digest('base64url');
  const graphql: GraphQLHttp = {
    apollo,
    api,
    options,
    maxBodyBytes,
    schemaDigest,
    reusable,
    answers: new AnswerCache(),
    executing: new Map(),
  };
  const http: Server = createServer(requestHandler(graphql, sdl));
  const { sockets, ws } = serveSubscriptions(http, schema, api, options, limitErrors, maxBodyBytes);
  const url = await listen(http, options);
  return {
    url,
    api,
    async close() {
      if (!options.executor.detached) await api.queue.stop();
      await ws.dispose();
      sockets.close();
      await apollo.stop();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/** Apollo over the schema, with the request limits and without its per-field cache hints. */
async function startApollo(
  schema: GraphQLSchema,
  options: ServerOptions,
  limits: ApolloServerPlugin<ApiContext>,
): Promise<ApolloServer<ApiContext>> {
  const apollo = new ApolloServer<ApiContext>({
    schema,
    // Caching headers come from the database state (see answerGraphQL); Apollo's per-field cache hints would wrap
    // every resolver.
    plugins: [limits, ApolloServerPluginCacheControlDisabled()],
    includeStacktraceInErrorResponses: options.debug === true,
    // Mutations need a bearer token, not cookies, so cross-site requests cannot act for a user: CSRF protection
    // (which would make plain GET queries send a special header) is not needed.
    csrfPrevention: false,
    introspection: true,
  });
  await apollo.start();
  return apollo;
}

/** The dashboard's files by URL path ('/' is its page), each with the entity tag of its content. */
function dashboardRoutes(): Map<string, { readonly tag: string; readonly answer: Answer }> {
  return new Map(
    [...readDashboard()].map(([path, answer]) => [
      path === 'index.html' ? '/' : `/${path}`,
      { tag: entityTag(digest(answer.body).toString('base64url'), '', ''), answer },
    ]),
  );
}

/**
 * The server's paths: the dashboard at / (its files under /dashboard/), /health, /schema.graphql and /graphql;
 * anything else is a 404 that says where the API is.
 */
function requestHandler(graphql: GraphQLHttp, sdl: string): (req: IncomingMessage, res: ServerResponse) => void {
  const { api, options } = graphql;
  const schemaTag = entityTag(graphql.schemaDigest, '', '');
  const dashboard = dashboardRoutes();
  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    cors(options.corsOrigins ?? [], req, res);
    const page = req.method === 'GET' ? dashboard.get(url.pathname) : undefined;
    if (page !== undefined) {
      sendCacheable(req, res, page.tag, page.answer);
    } else if (url.pathname === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, ...api.queue.load() }));
    } else if (url.pathname === '/schema.graphql' && req.method === 'GET') {
      sendCacheable(req, res, schemaTag, { contentType: 'text/plain; charset=utf-8', body: sdl });
    } else if (url.pathname !== '/graphql') {
      const message = `no such path '${url.pathname}': the dashboard is at /, the API at /graphql (its schema at GET /schema.graphql)`;
      sendError(res, 404, message, 'NOT_FOUND');
    } else if (req.method === 'OPTIONS') {
      res.writeHead(204);
      res.end();
    } else await answerGraphQL(graphql, req, res, url);
  };
  return (req, res) =>
    void route(req, res).catch((error: unknown) => {
      if (res.headersSent) return void res.end();
      const message = options.debug ? String((error as Error).stack) : 'internal server error';
      sendError(res, 500, message, 'INTERNAL_SERVER_ERROR');
    });
}

/** Listens on the configured host and port; resolves with the API's address. */
async function listen(http: Server, options: ServerOptions): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, options.host, () => resolve());
  });
  const { port } = http.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return `http://${host}:${port}/graphql`;
}
