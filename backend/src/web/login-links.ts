import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * One-time login codes for standalone mode: printed to the console of whoever started the panel,
 * good for one login, then gone. Only a hash is kept, so a heap dump does not hand out logins.
 */
export class LoginLinks {
  private pending: { hash: Buffer; expiresAt: number } | null = null;

  constructor(
    private readonly lifetimeMs = 24 * 3600_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** A fresh code; any earlier unused code stops working. */
  issue(): string {
    const code = randomBytes(24).toString('base64url');
    this.pending = { hash: digest(code), expiresAt: this.now() + this.lifetimeMs };
    return code;
  }

  /** True exactly once for the current code. */
  consume(code: string): boolean {
    const pending = this.pending;
    if (!pending || this.now() > pending.expiresAt) return false;
    if (!timingSafeEqual(digest(code), pending.hash)) return false;
    this.pending = null;
    return true;
  }
}

function digest(code: string): Buffer {
  return createHash('sha256').update(code).digest();
}
