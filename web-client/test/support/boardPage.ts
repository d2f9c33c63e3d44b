/**
 * What the kanban board shows, read from its DOM through the test hooks listed at the top of
 * board/main.ts, and what the server's documents make of it: shared by the browser tests.
 */
import type { Page } from 'playwright-core';

export const STATUSES = ['todo', 'inprogress', 'inreview', 'done', 'cancelled'] as const;
export type Status = (typeof STATUSES)[number];
export interface Task {
  id: string;
  project_id: string;
  title: string;
  status: Status;
  description?: string | null;
  position?: number;
}

export interface CardInfo {
  id: string;
  title: string;
  description: string;
  status: string;
  pending: string;
}

export type Columns = Record<Status, CardInfo[]>;

/** What a page shows: each column's cards in display order. */
export function columnsOf(page: Page): Promise<Columns> {
  return page.evaluate((statuses) => {
    const out: Record<string, unknown[]> = {};
    for (const status of statuses) {
      const list = document.querySelector(`[data-testid="column-list-${status}"]`);
      out[status] = [...(list?.querySelectorAll<HTMLElement>('[data-task-id]') ?? [])].map((el) => ({
        id: el.dataset.taskId ?? '',
        title: el.querySelector('[data-testid="task-title"]')?.textContent ?? '',
        description: el.querySelector('[data-testid="task-description"]')?.textContent ?? '',
        status: el.dataset.status ?? '',
        pending: el.dataset.pending ?? '',
      }));
    }
    return out as Columns;
  }, STATUSES as unknown as string[]);
}

/** Where a card is: its column and index, or null when the page does not show it. */
export async function whereIs(page: Page, id: string): Promise<{ column: Status; index: number; title: string } | null> {
  const columns = await columnsOf(page);
  for (const status of STATUSES) {
    const index = columns[status].findIndex((c) => c.id === id);
    if (index >= 0) return { column: status, index, title: columns[status][index]!.title };
  }
  return null;
}

export const ids = (columns: Columns, status: Status) => columns[status].map((c) => c.id);

/** The columns the server's documents make (same order rule as the board: position, then id). */
export function columnsFromServer(docs: Record<string, Task>): Record<Status, string[]> {
  const out = Object.fromEntries(STATUSES.map((s) => [s, [] as Task[]])) as Record<Status, Task[]>;
  for (const t of Object.values(docs)) out[t.status].push(t);
  const key = (t: Task) => (typeof t.position === 'number' ? t.position : Infinity);
  for (const s of STATUSES) {
    out[s].sort((a, b) => key(a) - key(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
  return Object.fromEntries(STATUSES.map((s) => [s, out[s].map((t) => t.id)])) as Record<Status, string[]>;
}
