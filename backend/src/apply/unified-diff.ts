/**
 * Exact unified diff of two texts for plans and the journal, made by jsdiff. jsdiff splits lines at
 * LF only and keeps every CR as a byte of its line (a CRLF file shows its CR, a lone CR stays inside its
 * line) and marks a missing final newline as `diff -u` does, so GNU patch rebuilds the exact bytes
 * (test/unit/unified-diff.test.ts proves it with patch itself).
 */
import { structuredPatch, formatPatch, FILE_HEADERS_ONLY } from 'diff';

/**
 * `diff -u`-style text with `context` lines around each change; '' when the texts are equal.
 * `existedBefore` false renders the old side as /dev/null, as for a file the change creates.
 */
export function unifiedDiff(
  path: string,
  before: string,
  after: string,
  options: { context?: number; existedBefore?: boolean; existsAfter?: boolean } = {},
): string {
  if (before === after) return '';
  const oldName = options.existedBefore === false ? '/dev/null' : `a${path}`;
  const newName = options.existsAfter === false ? '/dev/null' : `b${path}`;
  const patch = structuredPatch(oldName, newName, before, after, undefined, undefined, { context: options.context ?? 3 });
  // Only the ---/+++ lines: jsdiff's default adds an "Index:" line and a rule that `diff -u` does not print.
  return patch.hunks.length === 0 ? '' : formatPatch(patch, FILE_HEADERS_ONLY);
}
