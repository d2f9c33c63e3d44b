/**
 * Pending local changes laid over the stream's data, so an edit shows at once and the card does
 * not flicker back while the write travels. Layers apply in the order they were made; each one is
 * dropped when its write is confirmed by the stream, refused, or too slow.
 */
import type { Task } from './model';

export type Layer =
  /** fields changed on an existing task; ignored once the task is gone from the server */
  | { kind: 'update'; id: string; fields: Partial<Task> }
  /** a task being created; ignored once the stream has it */
  | { kind: 'create'; id: string; doc: Task }
  /** a task being deleted */
  | { kind: 'delete'; id: string };

export class Overlay {
  private readonly layers = new Map<number, Layer>();
  private nextKey = 1;

  /** Adds a layer on top and returns its key. */
  add(layer: Layer): number {
    const key = this.nextKey++;
    this.layers.set(key, layer);
    return key;
  }

  /** Drops a layer; true when it was still there. */
  remove(key: number): boolean {
    return this.layers.delete(key);
  }

  has(key: number): boolean {
    return this.layers.has(key);
  }

  clear(): void {
    this.layers.clear();
  }

  /** Ids of the tasks with a change in flight. */
  pendingIds(): Set<string> {
    const ids = new Set<string>();
    for (const layer of this.layers.values()) ids.add(layer.id);
    return ids;
  }

  /**
   * The tasks as the user should see them. Tasks without a layer keep their identity (the stream
   * shares unchanged documents between views), so the renderer can skip them cheaply.
   */
  apply(docs: ReadonlyMap<string, Task>): Map<string, Task> {
    const tasks = new Map<string, Task>(docs);
    for (const layer of this.layers.values()) {
      const current = tasks.get(layer.id);
      if (layer.kind === 'create') {
        if (current === undefined && !docs.has(layer.id)) tasks.set(layer.id, layer.doc);
      } else if (layer.kind === 'update') {
        if (current !== undefined) tasks.set(layer.id, { ...current, ...layer.fields });
      } else {
        tasks.delete(layer.id);
      }
    }
    return tasks;
  }
}
