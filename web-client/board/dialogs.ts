/**
 * The modal dialogs (native <dialog>, so focus is trapped and Escape cancels): create/edit a task,
 * confirm a delete, create a project. Their markup is in index.html.
 */
import { STATUS_LABELS, type Status, type Task } from './model';

function byId<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`#${id} is missing from index.html`);
  return node as T;
}

const sessions = new WeakMap<HTMLDialogElement, number>();

/** Opens a dialog and gives focus back to whatever had it when it closes (if still on the page). */
function show(dialog: HTMLDialogElement, onClose: () => void): void {
  const opener = document.activeElement;
  const session = (sessions.get(dialog) ?? 0) + 1;
  sessions.set(dialog, session);
  const handler = (): void => {
    if (sessions.get(dialog) !== session) {
      dialog.removeEventListener('close', handler); // a later open() took over
      return;
    }
    if (dialog.open) return; // 'close' is queued: this one closed an earlier session
    dialog.removeEventListener('close', handler);
    onClose();
    if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
  };
  dialog.addEventListener('close', handler);
  dialog.showModal();
}

export interface TaskValues {
  title: string;
  /** null when the field was left empty */
  description: string | null;
}

export type TaskDialogMode = { kind: 'create'; status: Status } | { kind: 'edit'; task: Task };

export class TaskDialog {
  private readonly dialog = byId<HTMLDialogElement>('task-dialog');
  private readonly form = byId<HTMLFormElement>('task-form');
  private readonly heading = byId<HTMLElement>('task-dialog-heading');
  private readonly title = byId<HTMLInputElement>('task-form-title');
  private readonly description = byId<HTMLTextAreaElement>('task-form-description');
  private readonly notice = byId<HTMLElement>('task-form-notice');
  private readonly noticeText = byId<HTMLElement>('task-form-notice-text');
  private readonly reload = byId<HTMLButtonElement>('task-form-reload');
  private readonly save = byId<HTMLButtonElement>('task-form-save');
  private mode: TaskDialogMode | null = null;
  /** the task as it was when the user last loaded it into the form */
  private baseline: Task | null = null;
  private latest: Task | null = null;
  private onSave: ((values: TaskValues, baseline: Task | null) => void) | null = null;

  constructor() {
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.submit();
    });
    byId<HTMLButtonElement>('task-form-cancel').addEventListener('click', () => this.dialog.close());
    this.title.addEventListener('input', () => this.title.setCustomValidity(''));
    this.reload.addEventListener('click', () => {
      if (this.latest) this.load(this.latest);
    });
  }

  /** The id of the task being edited, if the dialog is open in edit mode. */
  get editingId(): string | null {
    return this.dialog.open && this.mode?.kind === 'edit' ? this.mode.task.id : null;
  }

  open(mode: TaskDialogMode, onSave: (values: TaskValues, baseline: Task | null) => void): void {
    if (this.dialog.open) this.dialog.close();
    this.mode = mode;
    this.onSave = onSave;
    this.title.setCustomValidity('');
    if (mode.kind === 'create') {
      this.heading.textContent = `New task in ${STATUS_LABELS[mode.status]}`;
      this.save.textContent = 'Create task';
      this.baseline = null;
      this.title.value = '';
      this.description.value = '';
      this.setNotice(null);
    } else {
      this.heading.textContent = 'Edit task';
      this.save.textContent = 'Save';
      this.load(mode.task);
    }
    show(this.dialog, () => {
      this.mode = null;
      this.onSave = null;
      this.baseline = this.latest = null;
    });
    this.title.focus();
  }

  /** Called on every board update: warns when the task being edited changed or vanished meanwhile. */
  sync(current: Task | undefined): void {
    if (this.editingId === null || !this.baseline) return;
    if (current === undefined) {
      this.latest = null;
      this.setNotice('This task was deleted by someone else.', false);
      this.save.disabled = true;
      return;
    }
    this.latest = current;
    this.save.disabled = false;
    const changed =
      current.title !== this.baseline.title || (current.description ?? null) !== (this.baseline.description ?? null);
    this.setNotice(changed ? 'Someone else changed this task while you were editing it. Saving now would be refused.' : null, true);
  }

  close(): void {
    if (this.dialog.open) this.dialog.close();
  }

  private load(task: Task): void {
    this.baseline = this.latest = task;
    this.title.value = task.title;
    this.description.value = task.description ?? '';
    this.save.disabled = false;
    this.setNotice(null);
  }

  private setNotice(text: string | null, canReload = false): void {
    this.notice.hidden = text === null;
    this.reload.hidden = !canReload;
    if (this.noticeText.textContent !== (text ?? '')) this.noticeText.textContent = text ?? '';
  }

  private submit(): void {
    const title = this.title.value.trim();
    if (title === '') {
      this.title.setCustomValidity('A task needs a title.');
      this.title.reportValidity();
      return;
    }
    const description = this.description.value.trim() === '' ? null : this.description.value;
    const onSave = this.onSave;
    const baseline = this.baseline;
    this.dialog.close();
    onSave?.({ title, description }, baseline);
  }
}

export class DeleteDialog {
  private readonly dialog = byId<HTMLDialogElement>('delete-dialog');
  private readonly text = byId<HTMLElement>('delete-dialog-text');
  private onConfirm: (() => void) | null = null;
  private taskId: string | null = null;

  constructor() {
    byId<HTMLButtonElement>('delete-confirm').addEventListener('click', () => {
      const confirm = this.onConfirm;
      this.dialog.close();
      confirm?.();
    });
    byId<HTMLButtonElement>('delete-cancel').addEventListener('click', () => this.dialog.close());
  }

  get openFor(): string | null {
    return this.dialog.open ? this.taskId : null;
  }

  open(task: Task, onConfirm: () => void): void {
    if (this.dialog.open) this.dialog.close();
    this.text.textContent = `Delete “${task.title}”? This cannot be undone.`;
    this.onConfirm = onConfirm;
    this.taskId = task.id;
    show(this.dialog, () => {
      this.onConfirm = null;
      this.taskId = null;
    });
    byId<HTMLButtonElement>('delete-cancel').focus();
  }

  close(): void {
    if (this.dialog.open) this.dialog.close();
  }
}

export class ProjectDialog {
  private readonly dialog = byId<HTMLDialogElement>('project-dialog');
  private readonly form = byId<HTMLFormElement>('project-form');
  private readonly name = byId<HTMLInputElement>('project-form-name');
  private onSave: ((name: string) => void) | null = null;

  constructor() {
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      const name = this.name.value.trim();
      if (name === '') {
        this.name.setCustomValidity('A project needs a name.');
        this.name.reportValidity();
        return;
      }
      const onSave = this.onSave;
      this.dialog.close();
      onSave?.(name);
    });
    this.name.addEventListener('input', () => this.name.setCustomValidity(''));
    byId<HTMLButtonElement>('project-form-cancel').addEventListener('click', () => this.dialog.close());
  }

  open(onSave: (name: string) => void): void {
    this.onSave = onSave;
    this.name.value = '';
    this.name.setCustomValidity('');
    show(this.dialog, () => {
      this.onSave = null;
    });
    this.name.focus();
  }
}
