/**
 * patchwire kanban board: a live view of `projects` and of the chosen project's `tasks`, with
 * optimistic moves and edits that are undone when the server refuses them.
 *
 * TEST HOOKS — stable; the e2e tests use exactly these (all are data-testid unless noted)
 *
 * Header
 *   project-picker        <select>: option value = project id, text = name (sorted by name, then
 *                         id). selectOption(id) switches the board and pushes ?project=<id>. A
 *                         ?project= that names no project shows as "<id> (no such project)".
 *                         Without ?project= the first project is chosen (URL replaced).
 *   new-project           button → project-dialog
 *   connection-state      indicator, role="status" aria-live="polite". data-state = connecting |
 *                         ready | resyncing | reconnecting | closed | failed (the StreamState; the
 *                         worst of the projects and tasks streams). Text: "Connecting…", "Live",
 *                         "Resyncing…", "Reconnecting…", "Offline", "Failed: <message>".
 *                         data-transport = ws | sse | "" ; title = details (attempt, error)
 *   reconnect             button, visible only in closed/failed: reopens both streams
 * Board
 *   board                 <main>; aria-busy="true" until the project's tasks snapshot arrived;
 *                         hidden when no project is chosen
 *   column-<status>       <section>, one per status in this order: todo, inprogress, inreview,
 *                         done, cancelled (data-status=<status>; class drop-target while dragged over)
 *   column-count-<status> number of cards shown in the column
 *   column-list-<status>  <ul> of the column's cards in display order
 *   new-task-<status>     "+ Add task" button at the column's foot → task-dialog (create there)
 *   task-<id>             a card <li tabindex=0 draggable=true>, <id> the raw id (any characters:
 *                         use getByTestId('task-' + id), which escapes). Attributes:
 *                         data-task-id=<id>, data-status, data-position (number as text, "" when
 *                         none), data-pending="true" while a change of it is in flight (optimistic)
 *                         else "false". Cards of a column in order:
 *                         getByTestId('column-list-todo').locator('[data-task-id]')
 *                         (ids equal to "title", "edit", ... make task-<id> equal an inner hook
 *                         below: scope inner hooks to a card locator)
 *   Inside a card:
 *   task-title            the title (textContent)
 *   task-description      the description (hidden when empty or null)
 *   task-move             <select> "Move…": value "" (a hidden placeholder) and one option per
 *                         status (value = status; the card's own column is disabled, "(here)").
 *                         selectOption(s) moves the card to the end of column s; the select
 *                         then shows "Move…" again. By keyboard: arrows/letters on the closed
 *                         select only pick, Enter moves, Escape or leaving the select drops the
 *                         pick; a choice made in the opened popup moves at once.
 *   task-edit             button → task-dialog (edit)
 *   task-delete           button → delete-dialog
 * Dialogs — native modal <dialog>; Escape or Cancel closes; focus goes back to the opener
 *   task-dialog           task-form-title (input), task-form-description (textarea; empty → null),
 *                         task-form-save (submit; Enter in the title submits), task-form-cancel.
 *                         task-form-notice: shown when the edited task changed (with
 *                         task-form-reload "Load their version") or was deleted meanwhile
 *                         (task-form-save disabled). A blank title is refused in the form.
 *   delete-dialog         delete-confirm (deletes at once, optimistic), delete-cancel (has focus)
 *   project-dialog        project-form-name, project-form-save, project-form-cancel; the new
 *                         project is chosen once created
 *   no-projects           shown when there is no project at all; no-projects-create button
 * Messages
 *   toast                 one element per message inside toasts (bottom right); textContent is
 *                         the message alone. data-kind="error" (role="alert") or "info"
 *                         (role="status"). toast-dismiss closes it; each goes after 10 s; at most 4.
 *                         A refused move reads: Task “<title>” was changed by someone else; your
 *                         move was undone.  (edit: "...your edit was undone."; 404: "...was deleted
 *                         by someone else; your move was undone.")
 *                         A write that got no answer (engine down, network): The server cannot be
 *                         reached; <outcome>  — 502/503/504: The server is unavailable right now;
 *                         <outcome>  — other 5xx: The server ran into a problem; <outcome>
 *                         where <outcome> is task “<title>” was not saved. (create) | task
 *                         “<title>” was not deleted. (delete) | your move|edit of task “<title>”
 *                         was undone.  A failure toast's title attribute holds the technical text,
 *                         also logged by console.warn: `<code> (HTTP <status>): <message>`, or
 *                         `network_error: <method> <path>: no answer (<why>)` when none came.
 *   announcer             visually hidden role="status" region saying what a move/create/delete did
 *
 * Moving cards
 *   Drag and drop (HTML5; playwright locator.dragTo works in Chromium — bring the page to the
 *   front first, a background tab gets no animation frames and each action stalls): the card lands
 *   in the column under the pointer, before the first other card of that column whose
 *   top + 45% of its height is below the pointer, else at the end. So:
 *   onto a card's top part → before it (dragTo(card, {targetPosition: {x: 10, y: 4}})); onto its
 *   centre (dragTo's default) or lower part → after it; onto new-task-<status> → end of that
 *   column; onto column-count-<status> → top of that column.
 *   Keyboard, on a focused card (the card itself, not its controls): Alt+ArrowLeft/Right = to the
 *   end of the previous/next column; Alt+ArrowUp/Down = swap with the card above/below; the card
 *   keeps focus. ArrowUp/Down/Left/Right move focus between cards; Enter or F2 = edit; Delete =
 *   delete (asks first).
 *   Position: midpoint of the new neighbours; before the first / after the last: ∓1024 from it;
 *   empty column: 1024. The PATCH is [test /status <seen>, test /position <seen> (if it had one),
 *   replace /status (if it changes), replace|add /position].
 */
import { PatchwireClient, PatchwireError } from '../src/index';
import type { PatchOperation, SyncStream, WriteResult } from '../src/types';
import { Board } from './board';
import { DeleteDialog, ProjectDialog, TaskDialog, type TaskValues } from './dialogs';
import {
  STATUS_LABELS,
  positionAt,
  positionOf,
  sortProjects,
  uuid,
  type Project,
  type Status,
  type Task,
} from './model';
import { Overlay, type Layer } from './overlay';
import { announce, showConnection, toast } from './ui';
import './style.css';

/** How long the stream may take to show a write the server confirmed before the overlay goes anyway. */
const WAIT_MS = 10_000;
/** No optimistic change stays on screen longer than this, answered or not. */
const SAFETY_MS = 20_000;

function byId<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`#${id} is missing from index.html`);
  return node as T;
}

const boardEl = byId<HTMLElement>('board');
const picker = byId<HTMLSelectElement>('project-picker');
const noProjects = byId<HTMLElement>('no-projects');

const TOKEN_KEY = 'patchwire.token';

/**
 * The access token for an engine with auth, from `?token=` (the board address that
 * `--print-demo-token` prints). It is taken out of the address at once, so it stays out of the
 * history, bookmarks and later Referers, and kept for this tab in sessionStorage, so a reload
 * still has it. It is never logged; the client sends it on every call and stream.
 */
function takeToken(): string | undefined {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl !== null) {
    url.searchParams.delete('token');
    history.replaceState(history.state, '', url);
  }
  try {
    if (fromUrl) sessionStorage.setItem(TOKEN_KEY, fromUrl);
    return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
  } catch {
    return fromUrl || undefined; // storage refused (a sandboxed frame): this page load only
  }
}

const client = new PatchwireClient({ token: takeToken() });
const overlay = new Overlay();
const taskDialog = new TaskDialog();
const deleteDialog = new DeleteDialog();
const projectDialog = new ProjectDialog();
const board = new Board(boardEl, { move, edit, remove: confirmDelete, create });

let projectsStream: SyncStream<Project> | null = null;
let stopProjects: (() => void) | null = null;
let tasksStream: SyncStream<Task> | null = null;
let stopTasks: (() => void) | null = null;
let projectId: string | null = null;

// ---------------------------------------------------------------- rendering

let renderQueued = false;

/** Coalesces the renders that one burst of events asks for. */
function scheduleRender(): void {
  if (renderQueued) return;
  renderQueued = true;
  queueMicrotask(render);
}

function render(): void {
  renderQueued = false;
  const view = tasksStream?.getView() ?? null;
  const tasks = overlay.apply(view?.docs ?? new Map<string, Task>());
  board.render(tasks, overlay.pendingIds());
  const busy = String(projectId !== null && (view === null || view.position === null));
  if (boardEl.getAttribute('aria-busy') !== busy) boardEl.setAttribute('aria-busy', busy);
  const editing = taskDialog.editingId;
  if (editing !== null) taskDialog.sync(tasks.get(editing));
  const deleting = deleteDialog.openFor;
  if (deleting !== null && !tasks.has(deleting)) deleteDialog.close();
  showConnection([projectsStream?.getView() ?? null, view]);
}

let pickerKey = '';

function renderProjects(): void {
  const view = projectsStream?.getView();
  const loaded = view !== undefined && view.position !== null;
  const projects = sortProjects([...(view?.docs.values() ?? [])]);
  if (projectId === null && loaded && projects[0]) {
    setProject(projects[0].id, 'replace');
    return; // setProject renders the projects again
  }
  const entries: [string, string][] = projects.map((p) => [p.id, p.name || p.id]);
  if (projectId !== null && !projects.some((p) => p.id === projectId)) {
    entries.unshift([projectId, loaded ? `${projectId} (no such project)` : projectId]);
  }
  const key = JSON.stringify(entries);
  if (key !== pickerKey) {
    pickerKey = key;
    picker.replaceChildren(...entries.map(([id, name]) => new Option(name, id)));
    if (entries.length === 0) picker.append(new Option(loaded ? 'No projects' : 'Loading…', ''));
  }
  if (projectId !== null && picker.value !== projectId) picker.value = projectId;
  picker.disabled = entries.length === 0;
  const none = loaded && projectId === null;
  noProjects.hidden = !none;
  boardEl.hidden = projectId === null;
  const name = projects.find((p) => p.id === projectId)?.name;
  const title = name ? `${name} · patchwire kanban` : 'patchwire kanban';
  if (document.title !== title) document.title = title;
}

// ---------------------------------------------------------------- streams and projects

function openProjects(): void {
  stopProjects?.();
  projectsStream?.close();
  projectsStream = client.stream<Project>('projects');
  stopProjects = projectsStream.subscribe(() => {
    renderProjects();
    scheduleRender();
  });
  renderProjects();
}

function openTasks(id: string): void {
  stopTasks?.();
  tasksStream?.close();
  tasksStream = client.stream<Task>('tasks', { where: `project_id:${id}` });
  stopTasks = tasksStream.subscribe(scheduleRender);
  scheduleRender();
}

function projectFromUrl(): string | null {
  const id = new URL(location.href).searchParams.get('project');
  return id === null || id === '' ? null : id;
}

/** Shows project `id`: a new tasks stream (the old one is closed), and ?project=<id> in the URL. */
function setProject(id: string, historyMode: 'push' | 'replace' | 'none'): void {
  if (id === projectId) return;
  projectId = id;
  if (historyMode !== 'none') {
    const url = new URL(location.href);
    url.searchParams.set('project', id);
    if (historyMode === 'push') history.pushState({ project: id }, '', url);
    else history.replaceState({ project: id }, '', url);
  }
  overlay.clear();
  taskDialog.close();
  deleteDialog.close();
  board.clear();
  openTasks(id);
  renderProjects();
}

picker.addEventListener('change', () => {
  if (picker.value) setProject(picker.value, 'push');
});

window.addEventListener('popstate', () => {
  const id = projectFromUrl();
  const first = sortProjects([...(projectsStream?.getView().docs.values() ?? [])])[0];
  if (id !== null) setProject(id, 'none');
  else if (first) setProject(first.id, 'replace');
});

function newProject(): void {
  projectDialog.open((name) => void createProject(name));
}

async function createProject(name: string): Promise<void> {
  const project: Project = { id: uuid(), name };
  try {
    const result = await client.create<Project>('projects', project);
    await projectsStream?.waitFor(result.position, { timeoutMs: WAIT_MS }).catch(() => undefined);
    setProject(project.id, 'push');
    announce(`Created project “${name}”.`);
  } catch (err) {
    const project = `project “${name}”`;
    const refused = (why: string) => `The server refused ${project} (${why}); it was not created.`;
    toast(failureMessage(err, `${project} was not created.`, refused), 'error', detailOf(err));
  }
}

byId('new-project').addEventListener('click', newProject);
byId('no-projects-create').addEventListener('click', newProject);
byId('reconnect').addEventListener('click', () => {
  openProjects();
  if (projectId !== null) openTasks(projectId);
});

// ---------------------------------------------------------------- optimistic writes

type Action = 'move' | 'edit' | 'delete' | 'create';

interface Pending {
  key: number;
  id: string;
  cancelled: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** Changes of each task still in flight, oldest first. */
const inFlight = new Map<string, Pending[]>();
/** The writes of one task go one after another, so each one's `test` sees the previous one's result. */
const queues = new Map<string, Promise<void>>();

function statusOf(err: unknown): number | undefined {
  if (err instanceof PatchwireError) return err.status;
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The technical text of a failure (code and message), for the toast's title and the console. */
function detailOf(err: unknown): string {
  if (!(err instanceof PatchwireError)) return messageOf(err);
  return err.status === 0 ? `${err.code}: ${err.message}` : `${err.code} (HTTP ${err.status}): ${err.message}`;
}

/**
 * What a user reads when a write failed: why, in words (no request line, no exception text),
 * then what became of the change (`outcome`, e.g. "your move of task “X” was undone."). The
 * server's own words appear only when it refused the content (a 4xx): `refused(reason)`.
 */
function failureMessage(err: unknown, outcome: string, refused: (reason: string) => string): string {
  const status = statusOf(err);
  if (status === 0) return `The server cannot be reached; ${outcome}`;
  if (status === undefined) return `Something went wrong; ${outcome}`;
  if (status === 502 || status === 503 || status === 504) return `The server is unavailable right now; ${outcome}`;
  if (status >= 500) return `The server ran into a problem; ${outcome}`;
  return refused(messageOf(err));
}

/** failureMessage for a task write; a move or edit the server refused says who got there first. */
function taskFailureMessage(err: unknown, action: Action, title: string): string {
  const task = `task “${title}”`;
  switch (action) {
    case 'create':
      return failureMessage(err, `${task} was not saved.`, (why) => `The server refused ${task} (${why}); it was not saved.`);
    case 'delete':
      return failureMessage(err, `${task} was not deleted.`, (why) => `The server refused to delete ${task} (${why}).`);
    default: {
      const status = statusOf(err);
      if (status === 409) return `Task “${title}” was changed by someone else; your ${action} was undone.`;
      if (status === 404) return `Task “${title}” was deleted by someone else; your ${action} was undone.`;
      return failureMessage(
        err,
        `your ${action} of ${task} was undone.`,
        (why) => `The server refused your ${action} of ${task} (${why}); it was undone.`,
      );
    }
  }
}

/** Takes a pending change off the screen; true when it was still shown. */
function drop(pending: Pending): boolean {
  clearTimeout(pending.timer);
  const list = inFlight.get(pending.id);
  if (list) {
    const i = list.indexOf(pending);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) inFlight.delete(pending.id);
  }
  const shown = overlay.remove(pending.key);
  if (shown) scheduleRender();
  return shown;
}

/**
 * Shows `layer` at once and sends the write behind it. On success the layer stays until the
 * stream has applied the write (so the card does not flicker back); on refusal it goes at once,
 * with the changes of the same task queued after it, and a toast says why.
 */
function optimistic(layer: Layer, action: Action, title: string, send: () => Promise<WriteResult<unknown> | null>): void {
  const stream = tasksStream;
  if (!stream) return;
  const id = layer.id;
  const pending: Pending = { key: overlay.add(layer), id, cancelled: false, timer: undefined };
  pending.timer = setTimeout(() => {
    if (drop(pending)) toast(`The server has not confirmed your ${action} of task “${title}” yet; showing its current state.`, 'info');
  }, SAFETY_MS);
  const list = inFlight.get(id) ?? [];
  list.push(pending);
  inFlight.set(id, list);
  scheduleRender();

  const run = (queues.get(id) ?? Promise.resolve()).then(async () => {
    if (pending.cancelled) return;
    let result: WriteResult<unknown> | null;
    try {
      result = await send();
    } catch (err) {
      // the changes queued after this one were made on top of it: they go too
      const queued = inFlight.get(id) ?? [];
      for (const later of queued.slice(queued.indexOf(pending) + 1)) {
        later.cancelled = true;
        drop(later);
      }
      drop(pending);
      toast(taskFailureMessage(err, action, title), 'error', detailOf(err));
      return;
    }
    if (result?.position) {
      await stream.waitFor(result.position, { timeoutMs: WAIT_MS }).catch(() => undefined);
    }
    drop(pending);
  });
  queues.set(id, run);
  void run.finally(() => {
    if (queues.get(id) === run) queues.delete(id);
  });
}

function move(id: string, status: Status, index: number): void {
  const task = board.task(id);
  if (!task) return;
  const column = board.column(status);
  if (task.status === status && column.findIndex((t) => t.id === id) === index) return;
  const others = column.filter((t) => t.id !== id);
  const position = positionAt(others, index);
  const old = positionOf(task);
  // guard what the user saw: the card's column and place
  const ops: PatchOperation[] = [{ op: 'test', path: '/status', value: task.status }];
  if (old !== undefined) ops.push({ op: 'test', path: '/position', value: old });
  if (status !== task.status) ops.push({ op: 'replace', path: '/status', value: status });
  ops.push({ op: old === undefined ? 'add' : 'replace', path: '/position', value: position });
  optimistic({ kind: 'update', id, fields: { status, position } }, 'move', task.title, () =>
    client.patch<Task>('tasks', id, ops),
  );
  announce(
    status === task.status
      ? `Moved “${task.title}” to place ${index + 1} of ${others.length + 1} in ${STATUS_LABELS[status]}.`
      : `Moved “${task.title}” to ${STATUS_LABELS[status]}.`,
  );
}

function edit(id: string): void {
  const task = board.task(id);
  if (!task) return;
  taskDialog.open({ kind: 'edit', task }, (values, baseline) => {
    if (baseline) saveEdit(baseline, values);
  });
}

function saveEdit(seen: Task, values: TaskValues): void {
  const ops: PatchOperation[] = [];
  const fields: Partial<Task> = {};
  if (values.title !== seen.title) {
    ops.push({ op: 'test', path: '/title', value: seen.title }, { op: 'replace', path: '/title', value: values.title });
    fields.title = values.title;
  }
  if ((seen.description ?? null) !== values.description) {
    if (seen.description === undefined) {
      ops.push({ op: 'add', path: '/description', value: values.description });
    } else {
      ops.push(
        { op: 'test', path: '/description', value: seen.description },
        { op: 'replace', path: '/description', value: values.description },
      );
    }
    fields.description = values.description;
  }
  if (ops.length === 0) return;
  optimistic({ kind: 'update', id: seen.id, fields }, 'edit', seen.title, () => client.patch<Task>('tasks', seen.id, ops));
}

function confirmDelete(id: string): void {
  const task = board.task(id);
  if (!task) return;
  deleteDialog.open(task, () => {
    optimistic({ kind: 'delete', id }, 'delete', task.title, async () => {
      try {
        return await client.delete('tasks', id);
      } catch (err) {
        if (statusOf(err) === 404) return null; // gone already: what the user wanted
        throw err;
      }
    });
    announce(`Deleted “${task.title}”.`);
  });
}

function create(status: Status): void {
  if (projectId === null) return;
  const project = projectId;
  taskDialog.open({ kind: 'create', status }, (values) => {
    const column = board.column(status);
    const doc: Task = { id: uuid(), project_id: project, title: values.title, status, position: positionAt(column, column.length) };
    if (values.description !== null) doc.description = values.description;
    optimistic({ kind: 'create', id: doc.id, doc }, 'create', doc.title, () => client.create<Task>('tasks', doc));
    announce(`Added “${doc.title}” to ${STATUS_LABELS[status]}.`);
  });
}

// ---------------------------------------------------------------- start

openProjects();
const initial = projectFromUrl();
if (initial !== null) setProject(initial, 'replace');
