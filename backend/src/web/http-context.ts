import type { Request, Response } from 'express';
import { AuthError } from './errors.js';
import type { Session } from './sessions.js';
import type { PanelUser } from './users.js';

/** Per-request state lives in res.locals under these keys, typed through these accessors. */
export function sessionOf(res: Response): Session | null {
  return (res.locals.session as Session | null | undefined) ?? null;
}

export function setSession(res: Response, session: Session | null): void {
  res.locals.session = session;
}

/** The logged-in user; the requireUser middleware guarantees one on every protected route. */
export function userOf(res: Response): PanelUser {
  const user = sessionOf(res)?.user;
  if (!user) throw new AuthError('not_logged_in', 'Log in first.');
  return user;
}

export function wantsJson(req: Request): boolean {
  return req.path.startsWith('/api/') || (req.get('accept') ?? '').includes('application/json');
}

/** A local path to go to after login; anything else (other hosts, `//x`, `/\x`) becomes '/'. */
export function safeNextPath(next: unknown): string {
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\') || next.length > 500) return '/';
  return /^[\x21-\x7e]*$/.test(next) ? next : '/';
}
