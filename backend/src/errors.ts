/** Base of every error the panel raises on purpose: a stable code plus a hint that says what to do. */
export class PanelError extends Error {
  readonly code: string;
  readonly hint: string | undefined;

  constructor(code: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
  }

  /** One line for terminals and logs: message, then the hint when there is one. */
  describe(): string {
    return this.hint ? `${this.message} (${this.hint})` : this.message;
  }
}

/** Input that the panel refuses before touching anything: bad values, unknown domains, wrong context. */
export class ValidationError extends PanelError {
  constructor(message: string, options: { hint?: string; field?: string } = {}) {
    super('invalid_input', message, options);
    this.field = options.field;
  }
  readonly field: string | undefined;
}

export function errorMessage(err: unknown): string {
  if (err instanceof PanelError) return err.describe();
  if (err instanceof Error) return err.message;
  return String(err);
}
