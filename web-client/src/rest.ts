/**
 * The engine's REST calls (PROTOCOL.md §2): writes that answer with the change's position, so a
 * page can `waitFor` it on its stream, and reads. Every failure is a PatchwireError.
 */
import { isWellFormed, openStreamWithTokens, resolveBaseUrl } from './stream.js';
import { redactToken, TokenSource, type TokenOption } from './token.js';
import type { PatchOperation, StreamOptions, SyncStream, WriteResult } from './types.js';

/** A refused request (the engine's `{"error":{code,message,details}}`), or one that got no answer. */
export class PatchwireError extends Error {
  override readonly name = 'PatchwireError';
  constructor(
    message: string,
    /** the HTTP status; 0 when there was no answer (network error) or the request was not sent */
    readonly status: number,
    /** the engine's code (`not_found`, `test_failed`, ...), else `http_<status>`, `network_error`, `bad_id`, `bad_response` */
    readonly code: string,
    /** the engine's details, e.g. the schema errors of a `schema_violation` */
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface PatchwireClientOptions {
  /** http(s) base of the engine, default: the page's origin */
  baseUrl?: string;
  /** fetch, default globalThis.fetch */
  fetch?: typeof fetch;
  /**
   * The access token for an engine with auth, sent as `Authorization: Bearer` on every call and
   * given to the client's streams. A function is asked for a new token on a 401 (the call is
   * then sent once more) and shortly before the token's `exp`. Never logged.
   */
  token?: TokenOption;
}

export interface WriteOptions {
  /** `If-Match` header, e.g. a WriteResult's etag: the write is refused (409) unless it matches */
  ifMatch?: string;
}

/** A document as written: the server makes the `id` when it is missing. */
export type NewDocument<T> = Omit<T, 'id'> & { id?: string };

export interface ListResult<T> {
  docs: Record<string, T>;
  /** `EPOCH:SEQ` from the Patchwire-Seq header, null when the answer had none */
  position: string | null;
  /** the store's seq the answer reflects */
  seq: number;
}

export class PatchwireClient {
  readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly tokens: TokenSource | null;

  constructor(options: PatchwireClientOptions = {}) {
    this.baseUrl = resolveBaseUrl(options.baseUrl);
    this.tokens = options.token === undefined ? null : new TokenSource(options.token);
    const f = options.fetch ?? (globalThis as { fetch?: typeof fetch }).fetch;
    if (!f) {
      throw new TypeError('PatchwireClient: no fetch here; pass `fetch`');
    }
    // Called as a plain function: a browser's fetch refuses another `this`.
    this.fetchImpl = (input, init) => f(input, init);
  }

  /** POST: creates a document (409 `already_exists` when its id is taken). */
  async create<T = Record<string, unknown>>(collection: string, doc: NewDocument<T>): Promise<WriteResult<T>> {
    return this.write<T>('POST', docsPath(collection), { json: doc });
  }

  /** PUT: creates or replaces the document `id` (status 201 or 200). */
  async replace<T = Record<string, unknown>>(
    collection: string,
    id: string,
    doc: NewDocument<T>,
    options: WriteOptions = {},
  ): Promise<WriteResult<T>> {
    return this.write<T>('PUT', docPath(collection, id), { json: doc, ifMatch: options.ifMatch });
  }

  /** PATCH: applies an RFC 6902 patch atomically (409 `test_failed` / `patch_conflict` when it does not fit). */
  async patch<T = Record<string, unknown>>(
    collection: string,
    id: string,
    ops: PatchOperation[],
    options: WriteOptions = {},
  ): Promise<WriteResult<T>> {
    return this.write<T>('PATCH', docPath(collection, id), {
      json: ops,
      contentType: 'application/json-patch+json',
      ifMatch: options.ifMatch,
    });
  }

  async delete(collection: string, id: string, options: WriteOptions = {}): Promise<WriteResult<null>> {
    return this.write<null>('DELETE', docPath(collection, id), { ifMatch: options.ifMatch });
  }

  async get<T = Record<string, unknown>>(collection: string, id: string): Promise<T> {
    const response = await this.send('GET', docPath(collection, id), {});
    return (await readJson(response)) as T;
  }

  /** The collection, or the part of it matching `where` (`field:value`), for polling clients. */
  async list<T = Record<string, unknown>>(collection: string, where?: string): Promise<ListResult<T>> {
    if (where !== undefined && !isWellFormed(where)) {
      throw new PatchwireError('the filter holds a lone surrogate, which no URL can carry', 0, 'bad_where');
    }
    const query = where === undefined ? '' : `?where=${encodeURIComponent(where)}`;
    const response = await this.send('GET', `${docsPath(collection)}${query}`, {});
    const body = await readJson(response);
    const docs = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[collection] : undefined;
    const seq = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).seq : undefined;
    if (typeof docs !== 'object' || docs === null || Array.isArray(docs) || typeof seq !== 'number') {
      throw new PatchwireError(`GET ${collection}: the answer is not {"${collection}":{...},"seq":S}`, response.status, 'bad_response');
    }
    return { docs: docs as Record<string, T>, position: response.headers.get('Patchwire-Seq'), seq };
  }

  /** A live stream of the collection from this client's engine. */
  stream<T = Record<string, unknown>>(
    collection: string,
    options: Omit<StreamOptions, 'collection'> = {},
  ): SyncStream<T> {
    return openStreamWithTokens<T>({ baseUrl: this.baseUrl, fetch: this.fetchImpl, ...options, collection }, this.tokens);
  }

  private async write<T>(
    method: string,
    path: string,
    request: { json?: unknown; contentType?: string; ifMatch?: string | undefined },
  ): Promise<WriteResult<T>> {
    const response = await this.send(method, path, request);
    const doc = response.status === 204 ? null : ((await readJson(response)) as T);
    const result: WriteResult<T> = {
      status: response.status,
      doc,
      // Missing only behind a proxy that drops it (or cross-origin without Access-Control-Expose-Headers).
      position: response.headers.get('Patchwire-Seq') ?? '',
    };
    const etag = response.headers.get('ETag');
    if (etag !== null) {
      result.etag = etag;
    }
    return result;
  }

  private async send(
    method: string,
    path: string,
    request: { json?: unknown; contentType?: string; ifMatch?: string | undefined },
  ): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (request.json !== undefined) {
      headers['Content-Type'] = request.contentType ?? 'application/json';
    }
    if (request.ifMatch !== undefined) {
      headers['If-Match'] = request.ifMatch;
    }
    let response = await this.fetchWithToken(method, path, headers, request, await this.token(method, path, false));
    if (response.status === 401 && this.tokens?.refreshable) {
      // refused or expired: once more with a fresh token (the engine changed nothing)
      await response.body?.cancel().catch(() => undefined);
      response = await this.fetchWithToken(method, path, headers, request, await this.token(method, path, true));
    }
    if (!response.ok) {
      throw await errorOf(method, path, response);
    }
    return response;
  }

  /** The token to send (null without auth); a failing token function is a PatchwireError. */
  private async token(method: string, path: string, fresh: boolean): Promise<string | null> {
    if (this.tokens === null) {
      return null;
    }
    try {
      return await (fresh ? this.tokens.fresh() : this.tokens.current());
    } catch (cause) {
      const why = redactToken(cause instanceof Error ? cause.message : String(cause));
      throw new PatchwireError(`${method} ${path}: no token (the token function failed: ${why})`, 0, 'token_unavailable', undefined, {
        cause,
      });
    }
  }

  private async fetchWithToken(
    method: string,
    path: string,
    headers: Record<string, string>,
    request: { json?: unknown },
    token: string | null,
  ): Promise<Response> {
    const sent = token === null ? headers : { ...headers, Authorization: `Bearer ${token}` };
    try {
      return await this.fetchImpl(`${this.baseUrl}${path}`, {
        method,
        headers: sent,
        body: request.json === undefined ? undefined : JSON.stringify(request.json),
      });
    } catch (cause) {
      const why = redactToken(cause instanceof Error ? cause.message : String(cause));
      throw new PatchwireError(`${method} ${path}: no answer (${why})`, 0, 'network_error', undefined, { cause });
    }
  }
}

/** The PatchwireError for a refused answer: the engine's error body, else the status and a bit of the text. */
async function errorOf(method: string, path: string, response: Response): Promise<PatchwireError> {
  let text = '';
  try {
    text = await response.text();
  } catch {
    // the body is lost; the status still says enough
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const inner = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined;
  if (typeof inner === 'object' && inner !== null && typeof (inner as { code?: unknown }).code === 'string') {
    const e = inner as { code: string; message?: unknown; details?: unknown };
    const message = typeof e.message === 'string' ? e.message : `HTTP ${response.status}`;
    return new PatchwireError(message, response.status, e.code, e.details);
  }
  const excerpt = text.trim().slice(0, 200);
  const statusText = response.statusText ? ` ${response.statusText}` : '';
  return new PatchwireError(
    `${method} ${path}: HTTP ${response.status}${statusText}${excerpt ? `: ${excerpt}` : ''}`,
    response.status,
    `http_${response.status}`,
  );
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new PatchwireError(`the answer (HTTP ${response.status}) is not JSON`, response.status, 'bad_response', undefined, {
      cause,
    });
  }
}

function docsPath(collection: string): string {
  if (typeof collection !== 'string' || collection === '' || !isWellFormed(collection)) {
    throw new PatchwireError('the collection name must be a non-empty, well-formed string', 0, 'bad_request');
  }
  return `/api/collections/${encodeURIComponent(collection)}/docs`;
}

/**
 * The URL path of one document. `.` and `..` cannot be sent: URL parsers (fetch included)
 * resolve them as dot segments, even percent-encoded, so the request would reach another resource.
 * A lone surrogate has no UTF-8 form, so no URL can carry it either.
 */
function docPath(collection: string, id: string): string {
  if (typeof id !== 'string' || id === '' || id === '.' || id === '..' || !isWellFormed(id)) {
    throw new PatchwireError(`document id ${JSON.stringify(id)} cannot be used in a URL path`, 0, 'bad_id');
  }
  return `${docsPath(collection)}/${encodeURIComponent(id)}`;
}
