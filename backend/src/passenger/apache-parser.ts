/**
 * Reads Apache directive syntax as found in Plesk's vhost.conf / vhost_ssl.conf and .htaccess:
 * `#` comment lines, backslash line continuations, single or double quoted arguments, sections
 * such as `<IfModule>` / `<Directory>` / `<Location>` / `<VirtualHost>` nested to any depth.
 * It never throws: what it cannot make sense of is kept as an `unknown` item plus a problem.
 */
import { lookupApacheDirective } from './catalog.js';
import { isBeginMarker, isEndMarker } from './managed-block.js';
import type { BlockRef, ConfigItem, ParseOptions, ParseProblem, ParsedConfig, ParsedDirective } from './parsed-config.js';

interface LogicalLine {
  text: string;
  raw: string;
  line: number;
  endLine: number;
}

/** Joins continuation lines the way Apache does: a line whose last non-blank character is `\`. */
function logicalLines(content: string): LogicalLine[] {
  const physical = content.split('\n');
  if (physical.length > 0 && physical[physical.length - 1] === '') physical.pop();
  const out: LogicalLine[] = [];
  for (let i = 0; i < physical.length; i++) {
    const start = i;
    let rawParts = [physical[i]!];
    let text = stripCr(physical[i]!);
    while (/\\[ \t]*$/.test(text) && i + 1 < physical.length) {
      i += 1;
      rawParts = [...rawParts, physical[i]!];
      text = text.replace(/\\[ \t]*$/, '') + stripCr(physical[i]!);
    }
    out.push({ text, raw: stripCr(rawParts.join('\n')), line: start + 1, endLine: i + 1 });
  }
  return out;
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** Splits arguments like Apache's ap_getword_conf: quotes group words, `\` escapes the quote char. */
export function splitApacheArgs(text: string): { args: string[]; unclosedQuote: boolean } {
  const args: string[] = [];
  let i = 0;
  let unclosedQuote = false;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i]!)) i += 1;
    if (i >= text.length) break;
    const quote = text[i];
    if (quote === '"' || quote === "'") {
      let word = '';
      i += 1;
      while (i < text.length && text[i] !== quote) {
        if (text[i] === '\\' && text[i + 1] === quote) i += 1;
        word += text[i];
        i += 1;
      }
      if (i >= text.length) unclosedQuote = true;
      i += 1;
      args.push(word);
    } else {
      let word = '';
      while (i < text.length && !/\s/.test(text[i]!)) {
        word += text[i];
        i += 1;
      }
      args.push(word);
    }
  }
  return { args, unclosedQuote };
}

export function parseApacheConfig(content: string, options: ParseOptions = {}): ParsedConfig {
  const directives: ParsedDirective[] = [];
  const items: ConfigItem[] = [];
  const problems: ParseProblem[] = [];
  const stack: BlockRef[] = [];
  let inManaged = false;

  for (const ll of logicalLines(content)) {
    const trimmed = ll.text.trim();
    const item = (kind: ConfigItem['kind']): void => {
      items.push({ kind, line: ll.line, raw: ll.raw });
    };
    if (trimmed === '') {
      item('blank');
      continue;
    }
    if (trimmed.startsWith('#')) {
      if (isBeginMarker(trimmed)) inManaged = true;
      else if (isEndMarker(trimmed)) inManaged = false;
      item('comment');
      continue;
    }
    if (trimmed.startsWith('</')) {
      const name = trimmed.slice(2).replace(/>\s*$/, '').trim();
      const open = stack[stack.length - 1];
      if (open && open.name.toLowerCase() === name.toLowerCase()) {
        stack.pop();
        item('blockClose');
      } else {
        problems.push({
          line: ll.line,
          message: open ? `</${name}> closes <${open.name}> opened at line ${open.line}` : `</${name}> has no matching opening section`,
        });
        item('unknown');
      }
      continue;
    }
    if (trimmed.startsWith('<')) {
      if (!trimmed.endsWith('>')) {
        problems.push({ line: ll.line, message: 'section line does not end with ">"' });
        item('unknown');
        continue;
      }
      const inner = splitApacheArgs(trimmed.slice(1, -1));
      const [name, ...args] = inner.args;
      if (!name) {
        problems.push({ line: ll.line, message: 'section without a name' });
        item('unknown');
        continue;
      }
      stack.push({ name, args, line: ll.line });
      item('blockOpen');
      continue;
    }
    const { args: words, unclosedQuote } = splitApacheArgs(trimmed);
    if (unclosedQuote) problems.push({ line: ll.line, message: 'a quoted argument is not closed' });
    const [name, ...args] = words;
    const spec = lookupApacheDirective(name!);
    directives.push({
      name: name!,
      ...(spec ? { key: spec.key } : {}),
      args,
      line: ll.line,
      endLine: ll.endLine,
      blocks: stack.map((b) => ({ ...b, args: [...b.args] })),
      inManagedBlock: inManaged,
      server: 'apache',
      ...(options.file !== undefined ? { file: options.file } : {}),
      raw: ll.raw,
    });
    item('directive');
  }
  for (const open of stack) problems.push({ line: open.line, message: `<${open.name}> is never closed` });
  return { server: 'apache', ...(options.file !== undefined ? { file: options.file } : {}), directives, items, problems };
}
