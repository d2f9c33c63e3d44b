/**
 * The board's data model and its pure helpers: columns, ordering, and positions for moves.
 * No DOM here, so every rule about order and position is in one place.
 */

export const STATUSES = ['todo', 'inprogress', 'inreview', 'done', 'cancelled'] as const;
export type Status = (typeof STATUSES)[number];

export const STATUS_LABELS: Readonly<Record<Status, string>> = {
  todo: 'To do',
  inprogress: 'In progress',
  inreview: 'In review',
  done: 'Done',
  cancelled: 'Cancelled',
};

/** A document of `tasks` (schemas/kanban/task.schema.json). */
export interface Task {
  id: string;
  project_id: string;
  title: string;
  description?: string | null;
  status: Status;
  position?: number;
  created_at?: string;
  updated_at?: string;
}

/** A document of `projects` (schemas/kanban/project.schema.json). */
export interface Project {
  id: string;
  name: string;
  created_at?: string;
  updated_at?: string;
}

/** The distance a task put before the first or after the last card keeps from its neighbour. */
export const GAP = 1024;

export function isStatus(value: unknown): value is Status {
  return typeof value === 'string' && (STATUSES as readonly string[]).includes(value);
}

/** The task's position when it has a usable one. */
export function positionOf(task: Task | undefined): number | undefined {
  const p = task?.position;
  return typeof p === 'number' && Number.isFinite(p) ? p : undefined;
}

/** Code-unit order, the same in every browser (localeCompare is not). */
function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Board order in a column: by position, then by id; tasks without a position last (by id). */
export function compareTasks(a: Task, b: Task): number {
  const pa = positionOf(a);
  const pb = positionOf(b);
  if (pa !== undefined && pb !== undefined && pa !== pb) return pa - pb;
  if (pa === undefined && pb !== undefined) return 1;
  if (pa !== undefined && pb === undefined) return -1;
  return compareIds(a.id, b.id);
}

/** The tasks of each column, sorted. A task whose status is unknown is not shown. */
export function groupByStatus(tasks: Iterable<Task>): Record<Status, Task[]> {
  const groups = { todo: [], inprogress: [], inreview: [], done: [], cancelled: [] } as Record<Status, Task[]>;
  for (const task of tasks) {
    if (isStatus(task.status)) groups[task.status].push(task);
  }
  for (const status of STATUSES) groups[status].sort(compareTasks);
  return groups;
}

/**
 * The position that puts a task at `index` among `others` (a column's sorted tasks, without the
 * task that moves): the midpoint between its neighbours, or GAP beyond the only neighbour, or GAP
 * in an empty column. Tasks without a position sort last, so a task dropped among them gets a
 * position just after the last one that has a position.
 */
export function positionAt(others: readonly Task[], index: number): number {
  const prev = positionOf(others[index - 1]);
  const next = positionOf(others[index]);
  if (prev !== undefined && next !== undefined) return prev + (next - prev) / 2;
  if (prev !== undefined) return prev + GAP;
  if (next !== undefined) return next - GAP;
  let max: number | undefined;
  for (const t of others) {
    const p = positionOf(t);
    if (p !== undefined && (max === undefined || p > max)) max = p;
  }
  return max === undefined ? GAP : max + GAP;
}

/** Sorts projects for the picker: by name, then id. */
export function sortProjects(projects: Iterable<Project>): Project[] {
  return [...projects].sort((a, b) => {
    const byName = String(a.name ?? '').localeCompare(String(b.name ?? ''));
    return byName !== 0 ? byName : compareIds(a.id, b.id);
  });
}

/** A random UUID, also where crypto.randomUUID is missing (a page served over plain http to a LAN address). */
export function uuid(): string {
  if (typeof crypto.randomUUID === 'function' && globalThis.isSecureContext) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
