/**
 * Tokens for an engine started with `--jwt-secret`: HS256 JWTs minted as docs/protocol.md's
 * Node recipe does, with patchwire's `pw` grants claim.
 */
import { createHmac, randomBytes } from 'node:crypto';

/** a fresh secret of 64 hex digits (the engine wants at least 32 bytes) */
export const newSecret = (): string => randomBytes(32).toString('hex');

export interface Grant {
  c: string;
  where?: Record<string, string | number | boolean | null>;
}

export interface Claims {
  sub?: string;
  /** seconds from now; default 3600 */
  ttlS?: number;
  read?: Grant[];
  write?: Grant[];
  admin?: boolean;
}

const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');

export function mintToken(secret: string, claims: Claims = {}): string {
  const pw: Record<string, unknown> = {};
  if (claims.read) pw.read = claims.read;
  if (claims.write) pw.write = claims.write;
  if (claims.admin !== undefined) pw.admin = claims.admin;
  const payload = { sub: claims.sub ?? 'test', exp: Math.floor(Date.now() / 1000) + (claims.ttlS ?? 3600), pw };
  const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(payload)}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}

/** what the demo board needs: read the projects and the demo project's tasks, write those tasks */
export const DEMO_GRANTS: Claims = {
  read: [{ c: 'projects' }, { c: 'tasks', where: { project_id: 'demo' } }],
  write: [{ c: 'tasks', where: { project_id: 'demo' } }],
};
