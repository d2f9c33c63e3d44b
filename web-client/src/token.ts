/**
 * The access token of a client or stream (docs/protocol.md "Auth"): a fixed string, or a
 * function that fetches one, which is asked again when the engine refuses the token (401, close
 * 4401, `token_expired`) and shortly before the token's `exp`. The token is never logged and
 * never put in an error message.
 */

/** A token, or a function that fetches a fresh one (called again when it is refused or about to expire). */
export type TokenOption = string | (() => Promise<string>);

/** How long before `exp` a token is replaced: this, or half its remaining life if that is shorter. */
export const REFRESH_BEFORE_EXP_MS = 30_000;

export class TokenSource {
  private token: string | null;
  private pending: Promise<string> | null = null;

  constructor(
    private readonly option: TokenOption,
    private readonly now: () => number = Date.now,
  ) {
    if (typeof option !== 'string' && typeof option !== 'function') {
      throw new TypeError('patchwire: `token` must be a string or a function returning a Promise of one');
    }
    this.token = typeof option === 'string' ? checked(option) : null;
  }

  /** whether a refused token can be replaced (a function was given) */
  get refreshable(): boolean {
    return typeof this.option === 'function';
  }

  /** The token to send now: the one held, or a fresh one when there is none or it is about to expire. */
  async current(): Promise<string> {
    if (this.token !== null && !(this.refreshable && this.dueForRefresh(this.token))) {
      return this.token;
    }
    return this.fresh();
  }

  /**
   * A new token from the function (one call for everyone asking at the same time); for a fixed
   * token, the same one.
   */
  fresh(): Promise<string> {
    const option = this.option;
    if (typeof option === 'string') {
      return Promise.resolve(option);
    }
    if (this.pending === null) {
      this.pending = Promise.resolve()
        .then(() => option())
        .then((token) => {
          this.token = checked(token);
          return this.token;
        })
        .finally(() => {
          this.pending = null;
        });
    }
    return this.pending;
  }

  /**
   * When `token` should be replaced (ms since the epoch): before its `exp`, by
   * REFRESH_BEFORE_EXP_MS or half its remaining life; null when it has no readable `exp`.
   */
  refreshAt(token: string): number | null {
    const exp = expiryOf(token);
    if (exp === null) {
      return null;
    }
    const now = this.now();
    return exp - Math.min(REFRESH_BEFORE_EXP_MS, Math.max(0, (exp - now) / 2));
  }

  private dueForRefresh(token: string): boolean {
    const at = this.refreshAt(token);
    return at !== null && this.now() >= at;
  }
}

function checked(token: unknown): string {
  if (typeof token !== 'string' || token === '' || /[\s]/.test(token)) {
    // the value itself stays out of the message
    throw new TypeError('patchwire: the token must be a non-empty string without spaces');
  }
  return token;
}

/** The `exp` of a JWT (ms since the epoch), read without verifying it; null when there is none. */
export function expiryOf(token: string): number | null {
  const parts = token.split('.');
  if (parts.length !== 3) {
    return null;
  }
  try {
    const base64 = parts[1]!.replace(/-/g, '+').replace(/_/g, '/');
    const json = decodeURIComponent(
      Array.from(atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, '=')), (c) =>
        `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
      ).join(''),
    );
    const payload = JSON.parse(json) as { exp?: unknown };
    return typeof payload.exp === 'number' && Number.isFinite(payload.exp) ? payload.exp * 1000 : null;
  } catch {
    return null;
  }
}

/** `text` with every `access_token=` value replaced, for error messages that may quote a URL. */
export function redactToken(text: string): string {
  return text.replace(/(access_token=)[^&\s#"')]+/gi, '$1REDACTED');
}
