import type { Writable } from 'node:stream';
import type { StepEvent } from '../events.js';

export const TERMINAL_WIDTH = 100;

export interface Column<Row> {
  header: string;
  value: (row: Row) => string;
  /** Right-align (numbers). */
  align?: 'left' | 'right';
  /** Never shrink below this width when the table must fit (default 6). */
  minWidth?: number;
}

function clip(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/**
 * Remote text (domain names, file contents, messages) never moves the cursor or breaks a line: each run
 * of control characters (C0, DEL and C1, whose 0x9b starts an escape sequence too) becomes one space.
 */
export function flattenControls(text: string): string {
  return text.replace(/\p{Cc}+/gu, ' ');
}

/**
 * A plain text table no wider than `width`: columns keep their natural width when everything fits,
 * otherwise the widest columns give way first and long cells end in "…". Control characters from
 * remote data are flattened so a server cannot move the cursor or break the layout.
 */
export function formatTable<Row>(columns: readonly Column<Row>[], rows: readonly Row[], width = TERMINAL_WIDTH): string {
  const cells = rows.map((row) => columns.map((c) => flattenControls(c.value(row))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => (r[i] as string).length)));
  const gap = 2;
  const available = width - gap * (columns.length - 1);
  let total = widths.reduce((a, b) => a + b, 0);
  while (total > available) {
    let widest = -1;
    widths.forEach((w, i) => {
      const min = columns[i]?.minWidth ?? 6;
      if (w > min && (widest < 0 || w > (widths[widest] as number))) widest = i;
    });
    if (widest < 0) break;
    widths[widest] = (widths[widest] as number) - 1;
    total -= 1;
  }
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => {
        const w = widths[i] as number;
        const text = clip(v, w);
        return columns[i]?.align === 'right' ? text.padStart(w) : text.padEnd(w);
      })
      .join(' '.repeat(gap))
      .trimEnd();
  return `${[line(columns.map((c) => c.header)), ...cells.map(line)].join('\n')}\n`;
}

/**
 * Text from servers and customers (a .htaccess in a diff, an error message) made safe for a terminal:
 * every control character but newline, tab and the CR of a CRLF, C1 controls included, is shown as a
 * visible `\xHH`, so no escape sequence reaches the admin's terminal and a lone carriage return cannot hide
 * what precedes it.
 */
export function escapeControls(text: string): string {
  return text.replace(/\r(?!\n)|(?![\n\t\r])\p{Cc}/gu, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

const STATUS_MARK: Record<StepEvent['status'], string> = { start: '..', ok: 'ok', fail: '!!', info: '--' };

/** One event as one terminal line: `20:41:07 ok  checkpoint  a.test  Checkpoint cp_…`. */
export function formatEvent(event: StepEvent, width = TERMINAL_WIDTH): string {
  const time = event.at.slice(11, 19);
  const where = event.domain ?? event.server ?? '';
  const text = `${time} ${STATUS_MARK[event.status]}  ${event.step.padEnd(12)} ${where ? `${where}  ` : ''}${event.message.replace(/\s+/g, ' ')}`;
  return clip(text, width);
}

/** Where a command writes: human text, or one JSON document with --json. */
export class Output {
  readonly json: boolean;
  private readonly stdout: Writable;
  private readonly stderr: Writable;

  constructor(options: { json: boolean; stdout?: Writable; stderr?: Writable }) {
    this.json = options.json;
    this.stdout = options.stdout ?? process.stdout;
    this.stderr = options.stderr ?? process.stderr;
  }

  /** Text for people; suppressed with --json so stdout stays one parseable document. */
  text(text: string): void {
    if (!this.json) this.stdout.write(escapeControls(text.endsWith('\n') ? text : `${text}\n`));
  }

  table<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): void {
    this.text(formatTable(columns, rows));
  }

  /** The --json result: pretty-printed, stable key order as given. */
  data(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** Progress and problems for people, on stderr (so it never mixes into --json output). */
  note(text: string): void {
    this.stderr.write(escapeControls(text.endsWith('\n') ? text : `${text}\n`));
  }

  /** Live step events: on stderr with --json (stdout holds the final document), on stdout otherwise. */
  event(event: StepEvent): void {
    const line = `${escapeControls(formatEvent(event))}\n`;
    if (this.json) this.stderr.write(line);
    else this.stdout.write(line);
  }
}
