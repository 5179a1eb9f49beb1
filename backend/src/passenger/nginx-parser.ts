/**
 * Reads nginx directive syntax as found in Plesk's vhost_nginx.conf (included inside a `server`
 * block) and Passenger's nginx config: `#` comments, quoted strings with backslash escapes,
 * `name args;` statements and `name args { ... }` blocks such as `location` and `if`, nested to
 * any depth. It never throws: what it cannot make sense of is kept as an `unknown` item plus a problem.
 */
import { lookupNginxDirective } from './catalog.js';
import { isBeginMarker, isEndMarker } from './managed-block.js';
import type { BlockRef, ConfigItem, ParseOptions, ParseProblem, ParsedConfig, ParsedDirective } from './parsed-config.js';

type TokenKind = 'word' | ';' | '{' | '}' | 'comment';

interface Token {
  kind: TokenKind;
  /** Word value with quotes and escapes resolved; comment text; or the punctuation itself. */
  value: string;
  start: number;
  end: number;
  line: number;
}

const escapes: Record<string, string> = { n: '\n', r: '\r', t: '\t' };

function tokenize(content: string, problems: ParseProblem[]): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  const advance = (): string => {
    const ch = content[i]!;
    if (ch === '\n') line += 1;
    i += 1;
    return ch;
  };
  while (i < content.length) {
    const ch = content[i]!;
    if (/\s/.test(ch)) {
      advance();
      continue;
    }
    const start = i;
    const startLine = line;
    if (ch === '#') {
      while (i < content.length && content[i] !== '\n') i += 1;
      tokens.push({ kind: 'comment', value: content.slice(start, i).replace(/\r$/, ''), start, end: i, line: startLine });
      continue;
    }
    if (ch === ';' || ch === '{' || ch === '}') {
      advance();
      tokens.push({ kind: ch, value: ch, start, end: i, line: startLine });
      continue;
    }
    let value = '';
    if (ch === '"' || ch === "'") {
      advance();
      while (i < content.length && content[i] !== ch) {
        if (content[i] === '\\' && i + 1 < content.length) {
          advance();
          const next = advance();
          value += next === ch || next === '\\' ? next : (escapes[next] ?? `\\${next}`);
        } else {
          value += advance();
        }
      }
      if (i >= content.length) problems.push({ line: startLine, message: 'a quoted string is not closed' });
      else advance();
    } else {
      while (i < content.length && !/[\s;{}]/.test(content[i]!)) {
        if (content[i] === '$' && content[i + 1] === '{') {
          // `${name}` is one variable inside a word, not a block.
          while (i < content.length && content[i] !== '}') value += advance();
        }
        if (content[i] === '\\' && i + 1 < content.length) value += advance();
        if (i < content.length) value += advance();
      }
    }
    tokens.push({ kind: 'word', value, start, end: i, line: startLine });
  }
  return tokens;
}

export function parseNginxConfig(content: string, options: ParseOptions = {}): ParsedConfig {
  const problems: ParseProblem[] = [];
  const tokens = tokenize(content, problems);
  const directives: ParsedDirective[] = [];
  const items: ConfigItem[] = [];
  const stack: BlockRef[] = [];
  let inManaged = false;
  let words: Token[] = [];
  const lineAt = lineFinder(content);

  const flushUnknown = (): void => {
    if (words.length === 0) return;
    const first = words[0]!;
    problems.push({ line: first.line, message: `"${first.value}" is not ended by ";" or "{"` });
    items.push({ kind: 'unknown', line: first.line, raw: content.slice(first.start, words[words.length - 1]!.end) });
    words = [];
  };

  for (const token of tokens) {
    if (token.kind === 'comment') {
      if (isBeginMarker(token.value)) inManaged = true;
      else if (isEndMarker(token.value)) inManaged = false;
      items.push({ kind: 'comment', line: token.line, raw: token.value });
      continue;
    }
    if (token.kind === 'word') {
      words.push(token);
      continue;
    }
    if (token.kind === '}') {
      flushUnknown();
      if (stack.pop()) items.push({ kind: 'blockClose', line: token.line, raw: '}' });
      else {
        problems.push({ line: token.line, message: '"}" has no matching "{"' });
        items.push({ kind: 'unknown', line: token.line, raw: '}' });
      }
      continue;
    }
    const [first, ...rest] = words;
    if (!first) {
      problems.push({ line: token.line, message: `"${token.kind}" without a directive` });
      items.push({ kind: 'unknown', line: token.line, raw: token.value });
      if (token.kind === '{') stack.push({ name: '', args: [], line: token.line });
      continue;
    }
    const raw = content.slice(first.start, token.end);
    if (token.kind === '{') {
      stack.push({ name: first.value, args: rest.map((w) => w.value), line: first.line });
      items.push({ kind: 'blockOpen', line: first.line, raw });
    } else {
      const spec = lookupNginxDirective(first.value);
      directives.push({
        name: first.value,
        ...(spec ? { key: spec.key } : {}),
        args: rest.map((w) => w.value),
        line: first.line,
        endLine: lineAt(token.start),
        blocks: stack.map((b) => ({ ...b, args: [...b.args] })),
        inManagedBlock: inManaged,
        server: 'nginx',
        ...(options.file !== undefined ? { file: options.file } : {}),
        raw,
      });
      items.push({ kind: 'directive', line: first.line, raw });
    }
    words = [];
  }
  flushUnknown();
  for (const open of stack) problems.push({ line: open.line, message: `block "${open.name}" is never closed` });
  return { server: 'nginx', ...(options.file !== undefined ? { file: options.file } : {}), directives, items, problems };
}

/** 1-based line of a character offset, for the end line of multi-line statements. */
function lineFinder(content: string): (offset: number) => number {
  const starts = [0];
  for (let i = content.indexOf('\n'); i >= 0; i = content.indexOf('\n', i + 1)) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}
