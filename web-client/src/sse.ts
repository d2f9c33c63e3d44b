/**
 * Server-Sent Events read with `fetch` rather than `EventSource`: a refused stream answers with
 * an HTTP status and a JSON error body (PROTOCOL.md §3), which an EventSource hides, and the
 * stream decides itself when and from which position to reconnect.
 *
 * The parser follows the WHATWG event-stream rules: UTF-8 (decoded in stream mode, so a chunk
 * may end inside a character), lines ended by CRLF, LF or CR (a CRLF may be split across
 * chunks), `field: value` with one optional space, comments starting with `:`, `data` lines
 * joined with LF.
 */

export interface SseEvent {
  /** the `event` field, `message` when there was none */
  event: string;
  /** the `data` lines joined with LF ('' when there were none) */
  data: string;
  /** the `id` field of this event's own block, if it had one */
  id?: string;
  /** the last `id` seen on the stream so far, as an EventSource keeps it */
  lastEventId: string;
}

/** Incremental parser: push chunks as they arrive; events are handed out synchronously. */
export class SseParser {
  private readonly decoder = new TextDecoder('utf-8');
  /** the text of the current line seen so far */
  private partial = '';
  /** the previous chunk ended with CR: an LF at the start of the next one ends no new line */
  private afterCR = false;
  private data: string[] = [];
  private eventType = '';
  private blockId: string | undefined;
  private lastEventId = '';

  constructor(
    private readonly onEvent: (event: SseEvent) => void,
    private readonly onRetry?: (ms: number) => void,
  ) {}

  push(chunk: Uint8Array | string): void {
    this.feed(typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true }));
  }

  /** The stream has ended: an event without its closing blank line is dropped, as the spec says. */
  end(): void {
    this.feed(this.decoder.decode());
    this.partial = '';
    this.resetBlock();
  }

  private feed(text: string): void {
    let start = 0;
    if (this.afterCR && text.length > 0) {
      this.afterCR = false;
      if (text.charCodeAt(0) === 10) {
        start = 1;
      }
    }
    const eol = /\r\n|\r|\n/g;
    eol.lastIndex = start;
    for (let m = eol.exec(text); m !== null; m = eol.exec(text)) {
      const line = this.partial + text.slice(start, m.index);
      this.partial = '';
      start = m.index + m[0].length;
      // A CR as the last character may be the first half of a CRLF split across chunks.
      if (m[0] === '\r' && start === text.length) {
        this.afterCR = true;
      }
      this.line(line);
    }
    this.partial += text.slice(start);
  }

  private line(line: string): void {
    if (line === '') {
      this.dispatch();
      return;
    }
    if (line.charCodeAt(0) === 58 /* : */) {
      return; // a comment, e.g. the engine's `:ping`
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32 /* space */) {
      value = value.slice(1);
    }
    switch (field) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        this.data.push(value);
        break;
      case 'id':
        if (!value.includes('\u0000')) {
          this.blockId = value;
          this.lastEventId = value;
        }
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) {
          this.onRetry?.(Number(value));
        }
        break;
      default:
        break; // unknown fields are ignored
    }
  }

  private dispatch(): void {
    // Unlike EventSource, a named event without data (`event: finished`) is still an event:
    // the contract does not fix the data of every event.
    if (this.data.length > 0 || this.eventType !== '') {
      const event: SseEvent = {
        event: this.eventType === '' ? 'message' : this.eventType,
        data: this.data.join('\n'),
        lastEventId: this.lastEventId,
      };
      if (this.blockId !== undefined) {
        event.id = this.blockId;
      }
      this.resetBlock();
      this.onEvent(event);
      return;
    }
    this.resetBlock();
  }

  private resetBlock(): void {
    this.data = [];
    this.eventType = '';
    this.blockId = undefined;
  }
}

export interface SseRequest {
  url: string;
  fetch: typeof fetch;
  /** aborting it ends the request and the read; the outcome is then `aborted` */
  signal: AbortSignal;
  headers?: Record<string, string>;
  /** called once the answer is a 200 event stream, before its first event */
  onOpen?: () => void;
  /** called for every event; the read continues after it returns */
  onEvent: (event: SseEvent) => void;
  onRetry?: (ms: number) => void;
  /** called for every chunk of bytes read, comments included: the connection is alive */
  onChunk?: () => void;
}

/** How an SSE request ended. */
export type SseOutcome =
  /** the server ended the event stream */
  | { kind: 'ended' }
  /** a non-200 answer: its status and body (parsed as JSON when it is JSON, else undefined) */
  | { kind: 'refused'; status: number; body: unknown; text: string }
  /** a 200 that is not `text/event-stream` (e.g. an HTML page from a misrouted proxy) */
  | { kind: 'not_event_stream'; status: number; contentType: string }
  /** the request failed or the connection broke mid-stream */
  | { kind: 'network'; error: unknown }
  | { kind: 'aborted' };

/** Requests an event stream and reads it to its end; never rejects. */
export async function readSse(request: SseRequest): Promise<SseOutcome> {
  const { signal } = request;
  let response: Response;
  try {
    response = await request.fetch(request.url, {
      method: 'GET',
      headers: { Accept: 'text/event-stream', ...request.headers },
      cache: 'no-store',
      signal,
    });
  } catch (error) {
    return signal.aborted ? { kind: 'aborted' } : { kind: 'network', error };
  }
  try {
    if (response.status !== 200) {
      const text = await response.text();
      return { kind: 'refused', status: response.status, body: parseJsonOrUndefined(text), text };
    }
    const contentType = response.headers.get('content-type') ?? '';
    if (!/^text\/event-stream\b/i.test(contentType) || response.body === null) {
      await response.body?.cancel();
      return { kind: 'not_event_stream', status: response.status, contentType };
    }
    request.onOpen?.();
    const parser = new SseParser((event) => {
      if (!signal.aborted) {
        request.onEvent(event);
      }
    }, request.onRetry);
    const reader = response.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (signal.aborted) {
          return { kind: 'aborted' };
        }
        if (done) {
          break;
        }
        request.onChunk?.();
        parser.push(value);
      }
    } finally {
      // Lets the connection go when we stop early (an onEvent that aborted, or an error).
      reader.cancel().catch(() => undefined);
    }
    parser.end();
    return signal.aborted ? { kind: 'aborted' } : { kind: 'ended' };
  } catch (error) {
    return signal.aborted ? { kind: 'aborted' } : { kind: 'network', error };
  }
}

function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
