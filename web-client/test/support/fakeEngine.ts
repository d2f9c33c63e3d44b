/**
 * A fresh scripted fake engine for every test, and a way to open streams on it that are all
 * closed after the test. Tests reach the server as `fake.server`.
 */
import { afterEach, beforeEach } from 'vitest';
import { openStream } from '../../src/stream';
import type { StreamOptions, SyncStream } from '../../src/types';
import { FakeServer } from './fakeServer';
import { ViewRecorder } from './views';

export interface FakeEngine<T> {
  readonly server: FakeServer;
  /** opens a stream on `tasks` with the fixture's defaults, quick backoff and a view recorder */
  open(options?: Partial<StreamOptions>): { stream: SyncStream<T>; rec: ViewRecorder<T> };
  /** closes a stream the test opened itself after the test */
  track(stream: SyncStream<unknown>): void;
}

export function useFakeEngine<T>(defaults: Partial<StreamOptions> = {}): FakeEngine<T> {
  let server: FakeServer | null = null;
  const streams: SyncStream<unknown>[] = [];

  beforeEach(async () => {
    server = await FakeServer.start();
  });

  afterEach(async () => {
    streams.splice(0).forEach((s) => s.close());
    await server?.close();
    server = null;
  });

  return {
    get server(): FakeServer {
      if (server === null) {
        throw new Error('the fake engine runs only inside a test');
      }
      return server;
    },
    open(options = {}) {
      const stream = openStream<T>({
        baseUrl: this.server.url,
        collection: 'tasks',
        backoff: { initialMs: 10, maxMs: 40, jitter: 0 },
        ...defaults,
        ...options,
      });
      streams.push(stream);
      return { stream, rec: new ViewRecorder(stream) };
    },
    track(stream) {
      streams.push(stream);
    },
  };
}
