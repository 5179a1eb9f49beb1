/** JSON columns: stored as text, parsed on the way out; NULL stays undefined. */
export function toJson(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

export function fromJson<T>(text: string | null | undefined): T | undefined {
  return text === null || text === undefined ? undefined : (JSON.parse(text) as T);
}

export function nowIso(): string {
  return new Date().toISOString();
}
