/**
 * A scripted stand-in for the engine on 127.0.0.1 (a random port): the test decides every
 * WebSocket frame, SSE event, close code and HTTP answer. Every frame and event sent through
 * the typed methods is validated against the wire schemas first, so the fake speaks the real
 * protocol; `sendRaw`/`write` are for deliberately broken or oddly chunked input.
 *
 * Connections queue up until the test takes them (`nextWs`, `nextSse`); every request is
 * recorded with its URL and headers, so a test can assert `since` and the like.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket as WsSocket } from 'ws';
import { validateErrorBody, validateSseEvent, validateWsFrame } from './wireSchemas';

export interface RecordedRequest {
  kind: 'ws' | 'sse' | 'http';
  method: string;
  /** the raw request target, exactly as the client sent it */
  rawUrl: string;
  url: URL;
  headers: IncomingMessage['headers'];
  body: string;
}

/** How WebSocket upgrades are answered: accepted, refused with an HTTP status, or never answered. */
export type UpgradePolicy = 'accept' | 'hang' | { refuse: number };

export type HttpHandler = (req: RecordedRequest, res: ServerResponse) => void;

const STREAM_PATH = /^\/api\/collections\/([^/]+)\/stream\/(ws|sse)$/;

class Queue<T> {
  private readonly items: T[] = [];
  private readonly waiting: ((item: T) => void)[] = [];

  push(item: T): void {
    const w = this.waiting.shift();
    if (w) {
      w(item);
    } else {
      this.items.push(item);
    }
  }

  next(timeoutMs: number, what: string): Promise<T> {
    const item = this.items.shift();
    if (item !== undefined) {
      return Promise.resolve(item);
    }
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(taker), 1);
        reject(new Error(`fake server: no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      const taker = (it: T): void => {
        clearTimeout(timer);
        resolve(it);
      };
      this.waiting.push(taker);
    });
  }

  get size(): number {
    return this.items.length;
  }
}

export class FakeServer {
  readonly requests: RecordedRequest[] = [];
  upgradePolicy: UpgradePolicy = 'accept';
  /** answers every request that is not a stream; default 404 */
  httpHandler: HttpHandler | null = null;

  private readonly wsQueue = new Queue<FakeWs>();
  private readonly sseQueue = new Queue<FakeSse>();
  private readonly sockets = new Set<Socket>();
  private readonly wss = new WebSocketServer({ noServer: true });

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeServer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') {
      throw new Error('fake server: no port');
    }
    const fake = new FakeServer(server, `http://127.0.0.1:${address.port}`);
    fake.wire();
    return fake;
  }

  /** the stream connections (WebSocket and SSE) in arrival order */
  get streamRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.kind !== 'http');
  }

  /** the next WebSocket the client opened (taken in arrival order) */
  nextWs(timeoutMs = 5000): Promise<FakeWs> {
    return this.wsQueue.next(timeoutMs, 'WebSocket connection');
  }

  /** the next SSE request, not answered yet: the test calls open() or refuse() */
  nextSse(timeoutMs = 5000): Promise<FakeSse> {
    return this.sseQueue.next(timeoutMs, 'SSE request');
  }

  /** Waits `ms` and fails if any stream connection arrived meanwhile (proves "no reconnect"). */
  async expectNoStreamRequest(ms: number): Promise<void> {
    const before = this.streamRequests.length;
    await new Promise((r) => setTimeout(r, ms));
    const extra = this.streamRequests.slice(before);
    if (extra.length > 0) {
      throw new Error(`expected no stream connection, got ${extra.map((r) => r.rawUrl).join(', ')}`);
    }
  }

  async close(): Promise<void> {
    for (const client of this.wss.clients) {
      client.terminate();
    }
    for (const socket of this.sockets) {
      socket.destroy();
    }
    this.wss.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private wire(): void {
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });

    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      const recorded = this.record('ws', req, '');
      const policy = this.upgradePolicy;
      if (!STREAM_PATH.test(recorded.url.pathname) || recorded.url.pathname.endsWith('/sse')) {
        socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        return;
      }
      if (policy === 'hang') {
        return; // keep the socket, answer nothing
      }
      if (typeof policy === 'object') {
        socket.end(`HTTP/1.1 ${policy.refuse} Refused\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.wsQueue.push(new FakeWs(ws, recorded)));
    });

    this.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = new URL(req.url ?? '/', this.url).pathname;
        const stream = STREAM_PATH.exec(path);
        if (stream && stream[2] === 'sse' && req.method === 'GET') {
          const recorded = this.record('sse', req, '');
          this.sseQueue.push(new FakeSse(req, res, recorded));
          return;
        }
        const recorded = this.record('http', req, Buffer.concat(chunks).toString('utf8'));
        if (this.httpHandler) {
          this.httpHandler(recorded, res);
        } else {
          res.writeHead(404, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ error: { code: 'not_found', message: 'no handler' } }));
        }
      });
    });
  }

  private record(kind: RecordedRequest['kind'], req: IncomingMessage, body: string): RecordedRequest {
    const rawUrl = req.url ?? '/';
    const recorded: RecordedRequest = {
      kind,
      method: req.method ?? 'GET',
      rawUrl,
      url: new URL(rawUrl, this.url),
      headers: req.headers,
      body,
    };
    this.requests.push(recorded);
    return recorded;
  }
}

/** One accepted WebSocket, seen from the server. */
export class FakeWs {
  /** resolves with the close code and reason once the socket is closed (by either side) */
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(
    private readonly ws: WsSocket,
    readonly request: RecordedRequest,
  ) {
    this.closed = new Promise((resolve) => {
      ws.on('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() }));
    });
    ws.on('error', () => undefined);
  }

  get url(): URL {
    return this.request.url;
  }

  /** sends one frame after checking it against ws-frame.schema.json */
  send(frame: unknown): void {
    validateWsFrame(frame);
    this.ws.send(JSON.stringify(frame));
  }

  /** sends several frames in order */
  sendAll(...frames: unknown[]): void {
    frames.forEach((f) => this.send(f));
  }

  /** sends text as is: for frames that are broken on purpose */
  sendRaw(text: string): void {
    this.ws.send(text);
  }

  /** a clean close with a code, as the engine does */
  close(code: number, reason = ''): Promise<{ code: number; reason: string }> {
    this.ws.close(code, reason);
    return this.closed;
  }

  /** the engine's refusal: an error frame, then a 4xxx close */
  refuse(code: string, message: string, closeCode: number): Promise<{ code: number; reason: string }> {
    this.send({ error: { code, message } });
    return this.close(closeCode, code);
  }

  /** drops the TCP connection without a close frame: the client sees 1006 */
  terminate(): void {
    this.ws.terminate();
  }
}

export interface SseEventOut {
  event: string;
  id?: string;
  data?: unknown;
}

/** One SSE request, seen from the server; nothing is answered until open() or refuse(). */
export class FakeSse {
  /** resolves when the client went away (or the response ended) */
  readonly closed: Promise<void>;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    readonly request: RecordedRequest,
  ) {
    this.closed = new Promise((resolve) => {
      res.on('close', () => resolve());
    });
  }

  get url(): URL {
    return this.request.url;
  }

  /** 200 text/event-stream, and the engine's `retry: 1000` preamble */
  open(contentType = 'text/event-stream; charset=utf-8'): void {
    this.res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-cache' });
    this.res.write('retry: 1000\n\n');
  }

  /** refuses with a status and (by default) the engine's JSON error body, checked against error.schema.json */
  refuse(status: number, body: unknown, contentType = 'application/json'): void {
    if (contentType === 'application/json') {
      validateErrorBody(body);
    }
    this.res.writeHead(status, { 'Content-Type': contentType });
    this.res.end(typeof body === 'string' ? body : JSON.stringify(body));
  }

  /** one event after checking it against sse-event.schema.json, written as the engine writes it */
  event(event: SseEventOut): void {
    validateSseEvent(event);
    this.res.write(formatSseEvent(event));
  }

  events(...events: SseEventOut[]): void {
    events.forEach((e) => this.event(e));
  }

  /** raw bytes or text, for chunking tests and broken input */
  write(chunk: string | Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => this.res.write(chunk, (e) => (e ? reject(e) : resolve())));
  }

  /** a `:ping` comment, as the engine sends every 15 s */
  ping(): void {
    this.res.write(':ping\n\n');
  }

  /** ends the response cleanly (the client sees the stream end) */
  end(): void {
    this.res.end();
  }

  /** drops the connection mid-stream */
  destroy(): void {
    this.req.socket.destroy();
  }
}

/** The engine's SSE encoding of one event (SseFrames.java): id, event, one data line. */
export function formatSseEvent(event: SseEventOut): string {
  let out = '';
  if (event.id !== undefined) {
    out += `id: ${event.id}\n`;
  }
  out += `event: ${event.event}\n`;
  if (event.data !== undefined) {
    out += `data: ${JSON.stringify(event.data)}\n`;
  }
  return `${out}\n`;
}
