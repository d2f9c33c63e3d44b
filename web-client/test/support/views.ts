/**
 * Records every view a stream hands its listeners and waits for one that satisfies a condition.
 */
import type { StreamState, StreamView, SyncStream } from '../../src/types';

export class ViewRecorder<T> {
  readonly views: StreamView<T>[] = [];
  private readonly waiters: { pred: (v: StreamView<T>) => boolean; resolve: (v: StreamView<T>) => void }[] = [];
  readonly unsubscribe: () => void;

  constructor(readonly stream: SyncStream<T>) {
    this.unsubscribe = stream.subscribe((view) => {
      this.views.push(view);
      for (const w of [...this.waiters]) {
        if (w.pred(view)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(view);
        }
      }
    });
  }

  get states(): StreamState[] {
    return this.views.map((v) => v.state);
  }

  /** the current view if it matches, else the next view that does (fails after timeoutMs) */
  until(pred: (v: StreamView<T>) => boolean, timeoutMs = 3000, what = 'a matching view'): Promise<StreamView<T>> {
    const current = this.stream.getView();
    if (pred(current)) {
      return Promise.resolve(current);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        const last = this.stream.getView();
        reject(new Error(`no ${what} within ${timeoutMs} ms; last view: ${JSON.stringify({ ...last, data: Object.keys(last.data) })}`));
      }, timeoutMs);
      const waiter = {
        pred,
        resolve: (v: StreamView<T>) => {
          clearTimeout(timer);
          resolve(v);
        },
      };
      this.waiters.push(waiter);
    });
  }

  state(state: StreamState, timeoutMs?: number): Promise<StreamView<T>> {
    return this.until((v) => v.state === state, timeoutMs, `view in state ${state}`);
  }

  position(position: string, timeoutMs?: number): Promise<StreamView<T>> {
    return this.until((v) => v.position === position, timeoutMs, `view at ${position}`);
  }
}

/** Lets pending I/O and timers of `ms` run. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
