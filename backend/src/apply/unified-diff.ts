/**
 * Exact unified diff of two texts, line by line, for plans and the journal.
 * Line ends are kept as they are (a CRLF file shows its CR), and a missing final
 * newline is marked the way `diff -u` marks it, so the plan shows every byte that changes.
 */

interface Line {
  text: string;
  /** false only for the last line of a text that does not end with a newline */
  terminated: boolean;
}

type Op = { kind: ' ' | '-' | '+'; line: Line };

export function splitLines(text: string): Line[] {
  if (text === '') return [];
  const parts = text.split('\n');
  const last = parts.pop() as string;
  const lines: Line[] = parts.map((t) => ({ text: t, terminated: true }));
  if (last !== '') lines.push({ text: last, terminated: false });
  return lines;
}

function sameLine(a: Line, b: Line): boolean {
  return a.text === b.text && a.terminated === b.terminated;
}

/** Myers' O(ND) shortest edit script; per-domain config files are small, so the simple variant with a trace is enough. */
function editScript(a: Line[], b: Line[]): Op[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max + 1;
  const v = new Array<number>(2 * max + 3).fill(0);
  const trace: number[][] = [];
  let found = false;
  for (let d = 0; d <= max && !found; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x: number;
      if (k === -d || (k !== d && (v[offset + k - 1] as number) < (v[offset + k + 1] as number))) {
        x = v[offset + k + 1] as number;
      } else {
        x = (v[offset + k - 1] as number) + 1;
      }
      let y = x - k;
      while (x < n && y < m && sameLine(a[x] as Line, b[y] as Line)) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
  }
  // Walk the trace backwards to recover the path.
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const vd = trace[d] as number[];
    const k = x - y;
    let prevK: number;
    if (k === -d || (k !== d && (vd[offset + k - 1] as number) < (vd[offset + k + 1] as number))) {
      prevK = k + 1;
    } else {
      prevK = k - 1;
    }
    const prevX = vd[offset + prevK] as number;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push({ kind: ' ', line: a[x - 1] as Line });
      x--;
      y--;
    }
    if (d > 0) {
      if (x === prevX) ops.push({ kind: '+', line: b[y - 1] as Line });
      else ops.push({ kind: '-', line: a[x - 1] as Line });
    }
    x = prevX;
    y = prevY;
  }
  return ops.reverse();
}

function renderOp(op: Op): string {
  const body = `${op.kind}${op.line.text}\n`;
  return op.line.terminated ? body : `${body}\\ No newline at end of file\n`;
}

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
  if (before === after && options.existedBefore !== false) return '';
  const context = options.context ?? 3;
  const ops = editScript(splitLines(before), splitLines(after));
  const changed = ops.map((op) => op.kind !== ' ');
  if (!changed.some(Boolean)) return '';

  const oldName = options.existedBefore === false ? '/dev/null' : `a${path}`;
  const newName = options.existsAfter === false ? '/dev/null' : `b${path}`;
  let out = `--- ${oldName}\n+++ ${newName}\n`;

  let i = 0;
  while (i < ops.length) {
    if (!changed[i]) {
      i++;
      continue;
    }
    // A hunk spans from `context` lines before this change to `context` lines after the last change
    // whose surrounding context touches it.
    let start = Math.max(0, i - context);
    let end = i;
    let j = i;
    while (j < ops.length) {
      if (changed[j]) {
        end = j;
        j++;
        continue;
      }
      if (j - end > 2 * context) break;
      j++;
    }
    const stop = Math.min(ops.length, end + context + 1);
    let oldStart = 1;
    let newStart = 1;
    for (let k = 0; k < start; k++) {
      const kind = (ops[k] as Op).kind;
      if (kind !== '+') oldStart++;
      if (kind !== '-') newStart++;
    }
    let oldLen = 0;
    let newLen = 0;
    let body = '';
    for (let k = start; k < stop; k++) {
      const op = ops[k] as Op;
      if (op.kind !== '+') oldLen++;
      if (op.kind !== '-') newLen++;
      body += renderOp(op);
    }
    // diff -u numbers an empty side as the line before it.
    const oldHead = oldLen === 0 ? `${oldStart - 1},0` : oldLen === 1 ? `${oldStart}` : `${oldStart},${oldLen}`;
    const newHead = newLen === 0 ? `${newStart - 1},0` : newLen === 1 ? `${newStart}` : `${newStart},${newLen}`;
    out += `@@ -${oldHead} +${newHead} @@\n${body}`;
    i = stop;
    start = stop;
  }
  return out;
}
