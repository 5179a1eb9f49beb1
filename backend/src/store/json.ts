import { z } from 'zod';
import { PanelError } from '../errors.js';

/** JSON columns: stored as text, parsed on the way out; NULL stays undefined. */
export function toJson(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

/** A JSON column's value, unknown until a schema says otherwise. */
export function fromJson(text: string | null | undefined): unknown {
  if (text === null || text === undefined) return undefined;
  const value: unknown = JSON.parse(text);
  return value;
}

/** A zod schema for a JSON text column that yields the parsed value (unknown: its owner parses it further). */
export const jsonText = z.string().transform((text, ctx): unknown => {
  try {
    return fromJson(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `not JSON: ${err instanceof Error ? err.message : String(err)}` });
    return z.NEVER;
  }
});

/** Parses one row read from SQLite; a row that does not fit says which table and what is wrong. */
export function parseRow<S extends z.ZodType>(schema: S, table: string, row: unknown): z.output<S> {
  const parsed = schema.safeParse(row);
  if (!parsed.success) {
    throw new PanelError('store_row_invalid', `a row of ${table} does not fit its schema: ${z.prettifyError(parsed.error)}`, {
      hint: 'the database was changed outside the panel or by a newer version; restore it from a backup',
    });
  }
  return parsed.data;
}

export function nowIso(): string {
  return new Date().toISOString();
}
