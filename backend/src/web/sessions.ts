import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { PanelUser } from './users.js';

/** One browser's state: anonymous until login, then bound to a user; always carries its CSRF token. */
export interface Session {
  id: string;
  csrfToken: string;
  user: PanelUser | null;
  createdAt: number;
  lastSeenAt: number;
}

export interface SessionStoreOptions {
  /** Session ends after this much inactivity. Default 8 h. */
  idleMs?: number;
  /** Session ends this long after creation whatever the activity. Default 24 h. */
  absoluteMs?: number;
  /** Oldest sessions are dropped beyond this many, so an attacker cannot grow memory without bound. Default 5000. */
  maxSessions?: number;
  now?: () => number;
}

/**
 * In-memory sessions behind a signed cookie value `<id>.<hmac>`. The signing key lives only in this
 * process, so a restart logs everybody out, which is acceptable for an admin tool and keeps secrets off disk.
 */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly key = randomBytes(32);
  private readonly idleMs: number;
  private readonly absoluteMs: number;
  private readonly maxSessions: number;
  private readonly now: () => number;

  constructor(options: SessionStoreOptions = {}) {
    this.idleMs = options.idleMs ?? 8 * 3600_000;
    this.absoluteMs = options.absoluteMs ?? 24 * 3600_000;
    this.maxSessions = options.maxSessions ?? 5000;
    this.now = options.now ?? Date.now;
  }

  create(user: PanelUser | null): Session {
    const at = this.now();
    const session: Session = {
      id: randomBytes(24).toString('base64url'),
      csrfToken: randomBytes(24).toString('base64url'),
      user,
      createdAt: at,
      lastSeenAt: at,
    };
    this.sessions.set(session.id, session);
    while (this.sessions.size > this.maxSessions) this.evictOne();
    return session;
  }

  /** Logging in gets a new id (and CSRF token) so an id planted before login is worthless afterwards. */
  login(previous: Session | null, user: PanelUser): Session {
    if (previous) this.sessions.delete(previous.id);
    return this.create(user);
  }

  destroy(session: Session): void {
    this.sessions.delete(session.id);
  }

  cookieValue(session: Session): string {
    return `${session.id}.${this.sign(session.id)}`;
  }

  /** The live session for a cookie value, or null when unsigned, unknown or expired. */
  fromCookie(value: string | undefined): Session | null {
    if (!value) return null;
    const dot = value.lastIndexOf('.');
    if (dot <= 0) return null;
    const id = value.slice(0, dot);
    const given = Buffer.from(value.slice(dot + 1), 'base64url');
    const expected = Buffer.from(this.sign(id), 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    const session = this.byId(id);
    if (session) session.lastSeenAt = this.now();
    return session;
  }

  /** The live session with this id (expiry applied), for connections that outlive a request (sockets). */
  byId(id: string): Session | null {
    const session = this.sessions.get(id);
    if (!session) return null;
    const at = this.now();
    if (at - session.lastSeenAt > this.idleMs || at - session.createdAt > this.absoluteMs) {
      this.sessions.delete(id);
      return null;
    }
    return session;
  }

  /**
   * Anonymous sessions (anyone can make one by opening the login page) go first, oldest first,
   * so flooding the login page cannot push logged-in users out.
   */
  private evictOne(): void {
    let victim: string | undefined;
    for (const [id, session] of this.sessions) {
      if (session.user === null) {
        victim = id;
        break;
      }
    }
    victim ??= this.sessions.keys().next().value;
    if (victim !== undefined) this.sessions.delete(victim);
  }

  get size(): number {
    return this.sessions.size;
  }

  private sign(id: string): string {
    return createHmac('sha256', this.key).update(id).digest('base64url');
  }
}

/** Reads one cookie from a Cookie header without pulling in a parser for a single name. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const raw = part.slice(eq + 1).trim();
      try {
        return decodeURIComponent(raw);
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
