/**
 * The board's DOM: five columns and one keyed card element per task. render() reconciles the
 * existing elements with the tasks (moving, updating or removing only what changed), so live
 * updates never rebuild the board, and focus survives a card's move. All text goes in through
 * textContent; ids only ever land in attributes.
 */
import { STATUSES, STATUS_LABELS, groupByStatus, positionOf, type Status, type Task } from './model';

export interface BoardHandlers {
  /** the user asked to put task `id` at `index` of column `status` (index among the column's other tasks) */
  move(id: string, status: Status, index: number): void;
  edit(id: string): void;
  remove(id: string): void;
  create(status: Status): void;
}

interface Card {
  el: HTMLLIElement;
  title: HTMLElement;
  description: HTMLElement;
  move: HTMLSelectElement;
  edit: HTMLButtonElement;
  remove: HTMLButtonElement;
  task: Task | null;
  pending: boolean;
}

interface Column {
  status: Status;
  section: HTMLElement;
  list: HTMLUListElement;
  count: HTMLElement;
  add: HTMLButtonElement;
}

let uid = 0;

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

export class Board {
  private readonly columns = new Map<Status, Column>();
  private readonly cards = new Map<string, Card>();
  /** each column's tasks in display order, as last rendered */
  private order: Record<Status, Task[]> = groupByStatus([]);
  private dragging: string | null = null;
  private dropMark: Element | null = null;

  constructor(
    private readonly root: HTMLElement,
    private readonly handlers: BoardHandlers,
  ) {
    for (const status of STATUSES) this.columns.set(status, this.makeColumn(status));
    root.replaceChildren(...[...this.columns.values()].map((c) => c.section));
    root.addEventListener('click', (e) => this.onClick(e));
    root.addEventListener('change', (e) => this.onChange(e));
    root.addEventListener('keydown', (e) => this.onKeyDown(e));
    root.addEventListener('focusout', (e) => {
      // a pick made with arrow keys and never confirmed with Enter is dropped
      const t = e.target;
      if (t instanceof HTMLSelectElement && t.dataset.browsing === 'true') {
        delete t.dataset.browsing;
        t.value = '';
      }
    });
    root.addEventListener('dragstart', (e) => this.onDragStart(e));
    root.addEventListener('dragenter', (e) => this.onDragOver(e));
    root.addEventListener('dragover', (e) => this.onDragOver(e));
    root.addEventListener('dragleave', (e) => this.onDragLeave(e));
    root.addEventListener('drop', (e) => this.onDrop(e));
    document.addEventListener('dragend', () => this.endDrag(), true);
  }

  /** The tasks of a column in display order (as last rendered, overlay included). */
  column(status: Status): readonly Task[] {
    return this.order[status];
  }

  task(id: string): Task | undefined {
    return this.cards.get(id)?.task ?? undefined;
  }

  focusCard(id: string): void {
    const card = this.cards.get(id);
    if (card) {
      card.el.focus();
      card.el.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    }
  }

  /** Shows `tasks`, keyed by id. `pending`: ids with a change in flight. */
  render(tasks: ReadonlyMap<string, Task>, pending: ReadonlySet<string>): void {
    const focused = document.activeElement;
    // where the focused card (or its control) was, to focus its neighbour if it goes away
    const focusedId = focused?.closest<HTMLElement>('li.card[data-task-id]')?.dataset.taskId;
    const focusedTask = focusedId === undefined ? undefined : this.cards.get(focusedId)?.task;
    const focusedIndex = focusedTask ? this.order[focusedTask.status].findIndex((t) => t.id === focusedId) : -1;
    this.order = groupByStatus(tasks.values());
    const seen = new Set<string>();
    for (const status of STATUSES) {
      const column = this.columns.get(status)!;
      const list = this.order[status];
      let cursor = column.list.firstElementChild;
      for (const task of list) {
        let card = this.cards.get(task.id);
        if (!card) {
          card = this.makeCard(task.id);
          this.cards.set(task.id, card);
        }
        this.updateCard(card, task, pending.has(task.id));
        if (card.el === cursor) cursor = cursor.nextElementSibling;
        else column.list.insertBefore(card.el, cursor);
        seen.add(task.id);
      }
      const n = String(list.length);
      if (column.count.textContent !== n) {
        column.count.textContent = n;
        column.count.setAttribute('aria-label', `${list.length} ${list.length === 1 ? 'task' : 'tasks'}`);
      }
    }
    for (const [id, card] of this.cards) {
      if (!seen.has(id)) {
        card.el.remove();
        this.cards.delete(id);
      }
    }
    // moving a node blurs it: give focus back to what had it, if it is still on the page
    if (focused instanceof HTMLElement && focused !== document.activeElement && focused.isConnected) {
      focused.focus({ preventScroll: true });
    } else if (focusedTask && focused && !focused.isConnected) {
      const list = this.order[focusedTask.status];
      const next = list[Math.min(focusedIndex, list.length - 1)];
      const target = next ? this.cards.get(next.id)?.el : this.columns.get(focusedTask.status)?.add;
      target?.focus({ preventScroll: true });
    }
  }

  /** Removes every card (another project is being loaded). */
  clear(): void {
    for (const card of this.cards.values()) card.el.remove();
    this.cards.clear();
    this.order = groupByStatus([]);
    for (const column of this.columns.values()) column.count.textContent = '0';
  }

  private makeColumn(status: Status): Column {
    const headingId = `column-heading-${status}`;
    const section = el('section', {
      class: 'column',
      'data-testid': `column-${status}`,
      'data-status': status,
      'aria-labelledby': headingId,
    });
    const header = el('header', { class: 'column-header' });
    const heading = el('h2', { id: headingId }, STATUS_LABELS[status]);
    const count = el('span', { class: 'count', 'data-testid': `column-count-${status}` }, '0');
    header.append(heading, count);
    const list = el('ul', {
      class: 'cards',
      role: 'list', // list-style: none drops the list role in some browsers
      'data-testid': `column-list-${status}`,
      'aria-label': `${STATUS_LABELS[status]} tasks`,
      'data-empty-text': 'No tasks',
    });
    const add = el('button', {
      type: 'button',
      class: 'add-task',
      'data-testid': `new-task-${status}`,
      'data-action': 'create',
      'aria-label': `Add a task to ${STATUS_LABELS[status]}`,
    });
    add.append(el('span', { 'aria-hidden': 'true' }, '+'), ' Add task');
    section.append(header, list, add);
    return { status, section, list, count, add };
  }

  private makeCard(id: string): Card {
    const n = ++uid;
    const li = el('li', {
      class: 'card',
      tabindex: '0',
      draggable: 'true',
      'data-testid': `task-${id}`,
      'data-task-id': id,
      'aria-labelledby': `card-title-${n}`,
      'aria-describedby': 'card-help',
    });
    const title = el('h3', { class: 'card-title', id: `card-title-${n}`, 'data-testid': 'task-title' });
    const description = el('p', { class: 'card-description', 'data-testid': 'task-description' });
    const actions = el('div', { class: 'card-actions' });
    const move = el('select', {
      class: 'card-move',
      'data-testid': 'task-move',
      'data-action': 'move',
      'aria-describedby': 'move-help',
    });
    const placeholder = new Option('Move…', '', true, true);
    placeholder.disabled = true;
    placeholder.hidden = true;
    move.append(placeholder, ...STATUSES.map((status) => new Option(STATUS_LABELS[status], status)));
    const edit = el('button', { type: 'button', class: 'card-edit', 'data-testid': 'task-edit', 'data-action': 'edit' }, 'Edit');
    const remove = el('button', { type: 'button', class: 'card-delete', 'data-testid': 'task-delete', 'data-action': 'delete' }, 'Delete');
    actions.append(move, edit, remove);
    li.append(title, description, actions);
    return { el: li, title, description, move, edit, remove, task: null, pending: false };
  }

  private updateCard(card: Card, task: Task, pending: boolean): void {
    const old = card.task;
    if (old === task && card.pending === pending) return;
    if (old?.title !== task.title) {
      card.title.textContent = task.title;
      card.move.setAttribute('aria-label', `Move “${task.title}” to another column`);
      card.edit.setAttribute('aria-label', `Edit “${task.title}”`);
      card.remove.setAttribute('aria-label', `Delete “${task.title}”`);
    }
    const description = task.description ?? '';
    if ((old?.description ?? '') !== description || old === null) {
      card.description.textContent = description;
      card.description.hidden = description === '';
    }
    if (old?.status !== task.status) {
      card.el.dataset.status = task.status;
      for (const option of card.move.options) {
        const current = option.value === task.status;
        if (option.value !== '' && option.disabled !== current) {
          option.disabled = current;
          option.text = current ? `${STATUS_LABELS[task.status]} (here)` : STATUS_LABELS[option.value as Status];
        }
      }
    }
    const position = positionOf(task);
    const positionText = position === undefined ? '' : String(position);
    if (card.el.getAttribute('data-position') !== positionText) card.el.setAttribute('data-position', positionText);
    if (card.pending !== pending) {
      card.el.classList.toggle('pending', pending);
      card.el.dataset.pending = String(pending);
      if (pending) card.el.setAttribute('aria-busy', 'true');
      else card.el.removeAttribute('aria-busy');
    } else if (old === null) {
      card.el.dataset.pending = String(pending);
    }
    card.task = task;
    card.pending = pending;
  }

  private cardOf(target: EventTarget | null): { id: string; el: HTMLElement } | null {
    const node = target instanceof Element ? target.closest<HTMLElement>('li.card[data-task-id]') : null;
    const id = node?.dataset.taskId;
    return node && id !== undefined && this.cards.get(id)?.el === node ? { id, el: node } : null;
  }

  private onClick(e: MouseEvent): void {
    const button = e.target instanceof Element ? e.target.closest<HTMLElement>('button[data-action]') : null;
    if (!button) return;
    const action = button.dataset.action;
    if (action === 'create') {
      const status = button.closest<HTMLElement>('section.column')?.dataset.status;
      if (status) this.handlers.create(status as Status);
      return;
    }
    const card = this.cardOf(button);
    if (!card) return;
    if (action === 'edit') this.handlers.edit(card.id);
    else if (action === 'delete') this.handlers.remove(card.id);
  }

  private onChange(e: Event): void {
    const select = e.target;
    if (!(select instanceof HTMLSelectElement) || select.dataset.action !== 'move') return;
    // arrow keys on a closed select change its value at once: that only picks, Enter moves
    if (select.dataset.browsing !== 'true') this.commitMove(select);
  }

  private commitMove(select: HTMLSelectElement): void {
    delete select.dataset.browsing;
    const card = this.cardOf(select);
    const task = card && this.cards.get(card.id)?.task;
    const status = select.value as Status;
    select.value = ''; // back to "Move…"
    if (!card || !task || status === task.status || !STATUSES.includes(status)) return;
    this.handlers.move(card.id, status, this.order[status].length);
  }

  /** Keys on a card's "Move…" select: browsing with arrows/letters, Enter to move, Escape to drop it. */
  private onMoveSelectKey(select: HTMLSelectElement, e: KeyboardEvent): void {
    if (e.key === 'Enter') {
      if (select.value !== '') {
        e.preventDefault();
        this.commitMove(select);
      }
    } else if (e.key === 'Escape' && select.value !== '') {
      e.preventDefault();
      delete select.dataset.browsing;
      select.value = '';
    } else if (e.key === ' ' || (e.altKey && (e.key === 'ArrowDown' || e.key === 'ArrowUp'))) {
      delete select.dataset.browsing; // opens the popup: a choice made there moves at once
    } else if (!e.altKey && !e.ctrlKey && !e.metaKey && e.key !== 'Tab' && e.key !== 'Shift') {
      select.dataset.browsing = 'true';
    }
  }

  private onKeyDown(e: KeyboardEvent): void {
    if (e.target instanceof HTMLSelectElement && e.target.dataset.action === 'move') {
      this.onMoveSelectKey(e.target, e);
      return;
    }
    const card = this.cardOf(e.target);
    if (!card || e.target !== card.el) return; // keys inside the card's controls are theirs
    const task = this.cards.get(card.id)?.task;
    if (!task) return;
    const col = STATUSES.indexOf(task.status);
    const list = this.order[task.status];
    const index = list.findIndex((t) => t.id === task.id);
    const plain = !e.altKey && !e.ctrlKey && !e.metaKey && !e.shiftKey;
    let handled = true;
    if (e.altKey && !e.ctrlKey && !e.metaKey) {
      if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
        const to = STATUSES[col + (e.key === 'ArrowLeft' ? -1 : 1)];
        if (to) this.handlers.move(task.id, to, this.order[to].length);
      } else if (e.key === 'ArrowUp' && index > 0) {
        this.handlers.move(task.id, task.status, index - 1);
      } else if (e.key === 'ArrowDown' && index < list.length - 1) {
        this.handlers.move(task.id, task.status, index + 1);
      } else {
        handled = e.key === 'ArrowUp' || e.key === 'ArrowDown';
      }
    } else if (plain && (e.key === 'ArrowUp' || e.key === 'ArrowDown')) {
      const next = list[index + (e.key === 'ArrowUp' ? -1 : 1)];
      if (next) this.focusCard(next.id);
    } else if (plain && (e.key === 'ArrowLeft' || e.key === 'ArrowRight')) {
      const step = e.key === 'ArrowLeft' ? -1 : 1;
      for (let c = col + step; c >= 0 && c < STATUSES.length; c += step) {
        const other = this.order[STATUSES[c]!];
        const target = other[Math.min(index, other.length - 1)];
        if (target) {
          this.focusCard(target.id);
          break;
        }
      }
    } else if (plain && (e.key === 'Enter' || e.key === 'F2')) {
      this.handlers.edit(task.id);
    } else if (plain && e.key === 'Delete') {
      this.handlers.remove(task.id);
    } else {
      handled = false;
    }
    if (handled) e.preventDefault();
    if (e.altKey) {
      // after the re-render the moves above scheduled: keep the moved card in sight
      queueMicrotask(() => card.el.scrollIntoView({ block: 'nearest', inline: 'nearest' }));
    }
  }

  // --- drag and drop (HTML5) ---

  private onDragStart(e: DragEvent): void {
    const card = this.cardOf(e.target);
    if (!card || e.target !== card.el || !e.dataTransfer) return;
    this.dragging = card.id;
    e.dataTransfer.effectAllowed = 'move';
    e.dataTransfer.setData('text/plain', card.id);
    // after the browser took the drag image, so the image is not faded
    setTimeout(() => {
      if (this.dragging === card.id) card.el.classList.add('dragging');
    }, 0);
  }

  /** The column under the pointer and the index among its other cards where a drop would land. */
  private dropTarget(e: DragEvent): { column: Column; index: number; before: Element | null } | null {
    if (this.dragging === null) return null;
    const section = e.target instanceof Element ? e.target.closest<HTMLElement>('section.column') : null;
    const column = section && this.columns.get(section.dataset.status as Status);
    if (!column) return null;
    let index = 0;
    let before: Element | null = null;
    for (const node of column.list.children) {
      if ((node as HTMLElement).dataset.taskId === this.dragging) continue;
      const rect = node.getBoundingClientRect();
      // the upper 45% means "before": a drop on the exact centre (dragTo's default) is always "after"
      if (e.clientY < rect.top + rect.height * 0.45) {
        before = node;
        break;
      }
      index++;
    }
    return { column, index, before };
  }

  private onDragOver(e: DragEvent): void {
    const target = this.dropTarget(e);
    if (!target) return;
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'move';
    const mark = target.before ?? target.column.list;
    if (mark !== this.dropMark) {
      this.clearDropMark();
      mark.classList.add(target.before ? 'drop-before' : 'drop-end');
      target.column.section.classList.add('drop-target');
      this.dropMark = mark;
    }
  }

  private onDragLeave(e: DragEvent): void {
    // relatedTarget is not reliable on drag events: look where the pointer went instead
    const section = this.dropMark?.closest('section.column');
    if (!section) return;
    const r = section.getBoundingClientRect();
    if (e.clientX < r.left || e.clientX >= r.right || e.clientY < r.top || e.clientY >= r.bottom) this.clearDropMark();
  }

  private onDrop(e: DragEvent): void {
    const target = this.dropTarget(e);
    const id = this.dragging;
    this.endDrag();
    if (!target || id === null) return;
    e.preventDefault();
    this.handlers.move(id, target.column.status, target.index);
  }

  private clearDropMark(): void {
    if (!this.dropMark) return;
    this.dropMark.classList.remove('drop-before', 'drop-end');
    this.dropMark.closest('section.column')?.classList.remove('drop-target');
    this.dropMark = null;
  }

  private endDrag(): void {
    this.clearDropMark();
    if (this.dragging !== null) this.cards.get(this.dragging)?.el.classList.remove('dragging');
    this.dragging = null;
  }
}
