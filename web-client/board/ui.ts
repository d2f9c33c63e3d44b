/** Small page-wide widgets: toasts, the screen-reader announcer, the connection indicator. */
import type { StreamState, StreamView } from '../src/types';

const TOAST_MS = 10_000;
const MAX_TOASTS = 4;

/**
 * Shows a message at the bottom of the page; errors are role="alert", the rest role="status".
 * `detail` is the technical text behind it (the error's code and message): the toast's tooltip
 * (`title`) and a console warning, for whoever needs to know more than the message says.
 */
export function toast(message: string, kind: 'error' | 'info' = 'error', detail?: string): void {
  if (detail) console.warn(`${message} (${detail})`);
  const host = document.getElementById('toasts');
  if (!host) return;
  const item = document.createElement('div');
  item.className = `toast toast-${kind}`;
  item.dataset.testid = 'toast';
  item.dataset.kind = kind;
  if (detail) item.title = detail;
  item.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  const text = document.createElement('span');
  text.className = 'toast-text';
  text.textContent = message;
  const close = document.createElement('button');
  close.type = 'button';
  close.className = 'toast-dismiss';
  close.dataset.testid = 'toast-dismiss';
  close.setAttribute('aria-label', 'Dismiss'); // the × is drawn by CSS, so the toast's text is the message alone
  const timer = setTimeout(() => item.remove(), TOAST_MS);
  close.addEventListener('click', () => {
    clearTimeout(timer);
    item.remove();
  });
  item.append(text, close);
  host.append(item);
  while (host.children.length > MAX_TOASTS) host.firstElementChild?.remove();
}

/** Tells screen-reader users what a keyboard action did (visually hidden live region). */
export function announce(message: string): void {
  const region = document.getElementById('announcer');
  if (!region) return;
  // a change of text is announced even when the same message repeats
  region.textContent = region.textContent === message ? `${message}\u00a0` : message;
}

const RANK: Record<StreamState, number> = { ready: 0, connecting: 1, resyncing: 2, reconnecting: 3, closed: 4, failed: 5 };
const LABEL: Record<StreamState, string> = {
  connecting: 'Connecting…',
  ready: 'Live',
  resyncing: 'Resyncing…',
  reconnecting: 'Reconnecting…',
  closed: 'Offline',
  failed: 'Failed',
};

/** The connection indicator shows the worst state of the page's streams. */
export function showConnection(views: ReadonlyArray<StreamView<unknown> | null>): StreamState {
  let worst: StreamView<unknown> | null = null;
  for (const view of views) if (view && (!worst || RANK[view.state] > RANK[worst.state])) worst = view;
  const state: StreamState = worst?.state ?? 'connecting';
  const indicator = document.getElementById('connection');
  const label = indicator?.querySelector('.label');
  if (!indicator || !label) return state;
  let text = LABEL[state];
  if (state === 'failed' && worst?.error) text = `Failed: ${worst.error.message}`;
  let detail = '';
  if (state === 'reconnecting') detail = `attempt ${worst?.attempt ?? 0}${worst?.error ? ` · ${worst.error.message}` : ''}`;
  else if (worst?.error) detail = `${worst.error.code}: ${worst.error.message}`;
  else if (state === 'ready' && worst?.transport) detail = `via ${worst.transport === 'ws' ? 'WebSocket' : 'Server-Sent Events'}`;
  if (indicator.dataset.state !== state) indicator.dataset.state = state;
  if (label.textContent !== text) label.textContent = text;
  if (indicator.title !== detail) indicator.title = detail;
  const transport = worst?.transport ?? '';
  if ((indicator.dataset.transport ?? '') !== transport) indicator.dataset.transport = transport;
  const reconnect = document.getElementById('reconnect');
  if (reconnect) reconnect.hidden = state !== 'closed' && state !== 'failed';
  return state;
}
