/**
 * The one block per file that the panel owns, between a begin and an end marker. Everything
 * outside the markers is returned byte for byte: the same line ends (LF or CRLF, as the file
 * uses), a missing final newline stays missing. Both marker lines are `#` comments, which Apache,
 * nginx and .htaccess all read the same way.
 *
 * Works on strings; callers that read files should decode them as latin1 so any byte round-trips.
 */
import { PanelError } from '../errors.js';

export const BEGIN_MARKER = '# BEGIN passenger-panel (managed: do not edit inside)';
export const END_MARKER = '# END passenger-panel';

const beginPattern = /^[ \t]*# BEGIN passenger-panel\b/;
const endPattern = /^[ \t]*# END passenger-panel\b/;

export function isBeginMarker(line: string): boolean {
  return beginPattern.test(line);
}

export function isEndMarker(line: string): boolean {
  return endPattern.test(line);
}

/** A file whose markers we cannot trust; nothing is written to it until a person fixes it. */
export class ManagedBlockError extends PanelError {
  constructor(message: string, file: string | undefined) {
    super('managed_block_markers', file ? `${file}: ${message}` : message, {
      hint: 'fix the passenger-panel marker lines by hand (or restore the file from a checkpoint), then retry',
    });
  }
}

export type LineEnd = '\n' | '\r\n';

export interface ManagedBlock {
  /** Offset of the first character of the begin marker line. */
  start: number;
  /** Offset just past the end marker line, including its line end when it has one. */
  end: number;
  /** 1-based line numbers of the two markers. */
  beginLine: number;
  endLine: number;
  /** The lines between the markers, without line ends. */
  body: string[];
  /** Whether the end marker line is followed by a line end (false at the end of a file with no final newline). */
  endHasLineEnd: boolean;
}

interface Line {
  text: string;
  start: number;
  /** Offset just past the line end (or the text when there is none). */
  next: number;
  hasEnd: boolean;
}

function splitLines(content: string): Line[] {
  const lines: Line[] = [];
  let start = 0;
  while (start < content.length) {
    const nl = content.indexOf('\n', start);
    if (nl < 0) {
      lines.push({ text: content.slice(start), start, next: content.length, hasEnd: false });
      break;
    }
    const textEnd = nl > start && content[nl - 1] === '\r' ? nl - 1 : nl;
    lines.push({ text: content.slice(start, textEnd), start, next: nl + 1, hasEnd: true });
    start = nl + 1;
  }
  return lines;
}

/** The line end the file mostly uses; LF for empty files and files of one line. */
export function detectLineEnd(content: string): LineEnd {
  let crlf = 0;
  let lf = 0;
  for (let i = content.indexOf('\n'); i >= 0; i = content.indexOf('\n', i + 1)) {
    if (i > 0 && content[i - 1] === '\r') crlf += 1;
    else lf += 1;
  }
  return crlf > lf ? '\r\n' : '\n';
}

/** The managed block of a file, or null when it has none; throws on duplicated or unbalanced markers. */
export function findManagedBlock(content: string | null, file?: string): ManagedBlock | null {
  if (content === null || content === '') return null;
  const lines = splitLines(content);
  const begins: number[] = [];
  const ends: number[] = [];
  lines.forEach((line, i) => {
    if (isBeginMarker(line.text)) begins.push(i);
    else if (isEndMarker(line.text)) ends.push(i);
  });
  if (begins.length === 0 && ends.length === 0) return null;
  const at = (list: number[]): string => list.map((i) => i + 1).join(', ');
  if (begins.length > 1) throw new ManagedBlockError(`the begin marker appears ${begins.length} times (lines ${at(begins)})`, file);
  if (ends.length > 1) throw new ManagedBlockError(`the end marker appears ${ends.length} times (lines ${at(ends)})`, file);
  const [b] = begins;
  const [e] = ends;
  if (b === undefined) throw new ManagedBlockError(`an end marker at line ${e! + 1} has no begin marker`, file);
  if (e === undefined) throw new ManagedBlockError(`the begin marker at line ${b + 1} has no end marker`, file);
  if (e < b) throw new ManagedBlockError(`the end marker (line ${e + 1}) comes before the begin marker (line ${b + 1})`, file);
  const endLine = lines[e]!;
  return {
    start: lines[b]!.start,
    end: endLine.next,
    beginLine: b + 1,
    endLine: e + 1,
    body: lines.slice(b + 1, e).map((l) => l.text),
    endHasLineEnd: endLine.hasEnd,
  };
}

/** The block as text: markers around the body lines, each line ended by `lineEnd`. */
export function renderManagedBlock(body: readonly string[], lineEnd: LineEnd = '\n'): string {
  for (const line of body) {
    if (/[\r\n]/.test(line))
      throw new PanelError('managed_block_line', 'A managed block line contains a line break.', {
        hint: 'render each directive on its own line',
      });
    if (isBeginMarker(line) || isEndMarker(line)) {
      throw new PanelError('managed_block_line', 'A managed block line looks like a marker.', {
        hint: 'remove the marker text from the block body',
      });
    }
  }
  return [BEGIN_MARKER, ...body, END_MARKER].map((l) => l + lineEnd).join('');
}

/**
 * The file with its managed block set to `body`: replaced in place when present, else appended at
 * the end. `null` content means the file does not exist yet.
 */
export function replaceManagedBlock(content: string | null, body: readonly string[], file?: string): string {
  const text = content ?? '';
  const eol = detectLineEnd(text);
  const block = findManagedBlock(text, file);
  if (block) {
    let rendered = renderManagedBlock(body, eol);
    if (!block.endHasLineEnd) rendered = rendered.slice(0, -eol.length);
    return text.slice(0, block.start) + rendered + text.slice(block.end);
  }
  if (text === '') return renderManagedBlock(body, eol);
  const rendered = renderManagedBlock(body, eol);
  // A file without a final newline keeps that shape: the block goes after a new line end and
  // itself ends without one, so removing the block gives back the exact original. After a lone CR the
  // separator is always CRLF: a bare LF would pair with that CR, and removal could not tell them apart.
  if (!text.endsWith('\n')) return text + (text.endsWith('\r') ? '\r\n' : eol) + rendered.slice(0, -eol.length);
  return text + rendered;
}

/** The file without its managed block (unchanged when it has none). */
export function removeManagedBlock(content: string | null, file?: string): string {
  const text = content ?? '';
  const block = findManagedBlock(text, file);
  if (!block) return text;
  let start = block.start;
  if (!block.endHasLineEnd && start > 0) {
    // Undo the line end that `replaceManagedBlock` put before a block at the end of such a file.
    start -= text[start - 2] === '\r' && text[start - 1] === '\n' ? 2 : 1;
  }
  return text.slice(0, start) + text.slice(block.end);
}

/** The lines of a managed block, or an empty list when the file has none. */
export function managedBlockBody(content: string | null, file?: string): string[] {
  return findManagedBlock(content, file)?.body ?? [];
}
