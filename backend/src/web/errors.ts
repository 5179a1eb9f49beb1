import { PanelError } from '../errors.js';

/** A request the panel refuses because of who sent it: no session, a bad token, or a domain outside the user's reach. */
export class AuthError extends PanelError {
  /** HTTP status the web layer answers with: 401 when nobody is logged in, 403 when the user lacks the right, 429 when throttled. */
  readonly status: 401 | 403 | 429;

  constructor(code: string, message: string, options: { status?: 401 | 403 | 429; hint?: string; cause?: unknown } = {}) {
    super(code, message, options);
    this.status = options.status ?? 401;
  }
}
