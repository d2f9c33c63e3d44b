/**
 * What a browser page receives on its streams, checked as it arrives: one WireLog per
 * connection (test/support/wireLog.ts), each message against the wire schemas and each
 * connection in the protocol's order (start → one Ready → strictly increasing live seqs).
 * WebSocket frames come from playwright's `framereceived`; SSE streams (the client's `auto`
 * transport falls back to them when a WebSocket cannot connect) from a wrapper of the page's
 * `fetch` that hands each chunk to the test.
 *
 *   const wire = new PageWire();
 *   await wire.watch(page, 'A');        // before the page's first navigation
 *   wire.connections                    // every stream connection, in the order opened
 *   wire.violations()                   // every problem seen so far
 */
import type { Page } from 'playwright-core';
import { SseParser } from '../../src/sse';
import { WireLog } from './wireLog';
import { validateErrorBody } from './wireSchemas';

/** One stream connection a page opened, as the page received it. */
export interface Connection {
  page: string;
  transport: 'ws' | 'sse';
  /** path and query of the stream URL */
  url: string;
  /** one WireLog per connection: its checks never need `newConnection()` */
  log: WireLog;
  closed: boolean;
}

export const pathOf = (url: string) => {
  const u = new URL(url);
  return decodeURIComponent(u.pathname + u.search);
};
export const isSseUrl = (url: string) => /\/stream\/sse$/.test(new URL(url).pathname);

/** What the SSE wrapper in the page reports to the test (see captureSse). */
type SseReport = 'open' | 'chunk' | 'end' | 'refused' | 'error-body';

/**
 * Runs in the page before its scripts: wraps `fetch` so that the body of every SSE stream the
 * page reads also goes, chunk by chunk (decoded as UTF-8 in stream mode), to the test through
 * the exposed `__e2eSse`. The page still reads the same bytes at the same pace: the wrapper only
 * reads from the network when the page reads from it, and a cancel goes through.
 */
function captureSse(): void {
  const w = window as unknown as {
    fetch: typeof fetch;
    __e2eSse: (id: string, kind: SseReport, text: string) => Promise<void>;
  };
  const original = w.fetch.bind(window);
  const doc = Math.random().toString(36).slice(2);
  let next = 0;
  w.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!/\/stream\/sse$/.test(new URL(url, location.href).pathname)) {
      return original(input, init);
    }
    const id = `${doc}:${++next}`;
    const report = (kind: SseReport, text: string) => void w.__e2eSse(id, kind, text).catch(() => undefined);
    let response: Response;
    try {
      response = await original(input, init);
    } catch (e) {
      report('refused', `${url}: ${String(e)}`);
      throw e;
    }
    report('open', `${response.status} ${new URL(url, location.href).href}`);
    if (response.status !== 200 || response.body === null) {
      void response
        .clone()
        .text()
        .then((text) => report('error-body', text));
      return response;
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let ended = false;
    const end = () => {
      if (!ended) report('end', decoder.decode());
      ended = true;
    };
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (e) {
          end();
          controller.error(e);
          return;
        }
        if (chunk.done) {
          end();
          controller.close();
          return;
        }
        report('chunk', decoder.decode(chunk.value, { stream: true }));
        controller.enqueue(chunk.value);
      },
      cancel(reason) {
        end();
        return reader.cancel(reason);
      },
    });
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}

/** The stream connections of one or more pages, each checked as its messages arrive. */
export class PageWire {
  /** every stream connection of the watched pages, in the order they were opened */
  readonly connections: Connection[] = [];
  /** wire problems outside any one connection's order (e.g. an SSE refusal body off schema) */
  readonly problems: string[] = [];
  /** SSE responses with status 200 the browser saw, per page (to prove the wrapper saw them all) */
  readonly sseResponses: Record<string, number> = {};

  violations(): string[] {
    return [...this.problems, ...this.connections.flatMap((c) => c.log.violations)];
  }

  /** Validates, as they arrive, the stream messages `page` receives (before its first navigation). */
  async watch(page: Page, name: string): Promise<void> {
    let wsCount = 0;
    page.on('websocket', (ws) => {
      const connection: Connection = {
        page: name,
        transport: 'ws',
        url: pathOf(ws.url()),
        log: new WireLog(`${name} ws#${++wsCount} ${pathOf(ws.url())}`),
        closed: false,
      };
      this.connections.push(connection);
      ws.on('framereceived', ({ payload }) => {
        const { log } = connection;
        if (typeof payload !== 'string') {
          log.violations.push(`${log.name}: a binary frame (${payload.length} bytes); the protocol sends text frames only`);
          return;
        }
        let frame: unknown;
        try {
          frame = JSON.parse(payload) as unknown;
        } catch {
          log.violations.push(`${log.name}: a frame that is not JSON: ${payload.slice(0, 200)}`);
          return;
        }
        log.onMessage({ transport: 'ws', frame });
      });
      ws.on('close', () => (connection.closed = true));
    });

    this.sseResponses[name] = 0;
    page.on('response', (response) => {
      if (isSseUrl(response.url()) && response.status() === 200) this.sseResponses[name]! += 1;
    });
    let sseCount = 0;
    const sse = new Map<string, { connection: Connection; parser: SseParser }>();
    await page.exposeFunction('__e2eSse', (id: string, kind: SseReport, text: string) => {
      if (kind === 'refused') return; // no server: nothing received
      if (kind === 'error-body') {
        // a refused stream answers with the JSON error body (PROTOCOL.md §3)
        try {
          validateErrorBody(JSON.parse(text) as unknown);
        } catch (e) {
          this.problems.push(`${name}: SSE refusal body: ${(e as Error).message}: ${text.slice(0, 300)}`);
        }
        return;
      }
      if (kind === 'open') {
        const [status, url] = text.split(' ', 2) as [string, string];
        if (status !== '200') return;
        const connection: Connection = {
          page: name,
          transport: 'sse',
          url: pathOf(url),
          log: new WireLog(`${name} sse#${++sseCount} ${pathOf(url)}`),
          closed: false,
        };
        this.connections.push(connection);
        // the same raw shape the client reports (src/transports.ts): data parsed as JSON when there is some
        const parser = new SseParser((ev) => {
          const raw: { event: string; id?: string; data?: unknown } = { event: ev.event };
          if (ev.id !== undefined) raw.id = ev.id;
          if (ev.data !== '') {
            try {
              raw.data = JSON.parse(ev.data) as unknown;
            } catch {
              raw.data = ev.data; // the schema check reports it
            }
          }
          connection.log.onMessage({ transport: 'sse', event: raw });
        });
        sse.set(id, { connection, parser });
        return;
      }
      const stream = sse.get(id);
      if (!stream) return;
      stream.parser.push(text);
      if (kind === 'end') {
        stream.parser.end();
        stream.connection.closed = true;
        sse.delete(id);
      }
    });
    await page.addInitScript(captureSse);
  }
}
