/**
 * A small, dependency-free XML reader for machine-written documents such as
 * `passenger-status --show=xml`: elements, attributes, text, the five named entities, numeric
 * character references, CDATA, comments and processing instructions. No DTDs, no namespaces.
 * Anything after the root element is ignored: passenger-status prints a tip there.
 */
import { PanelError } from '../errors.js';

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** Text directly inside this element (children's text not included), entities resolved. */
  text: string;
}

export class XmlError extends PanelError {
  constructor(message: string, offset: number) {
    super('xml_malformed', `Malformed XML at offset ${offset}: ${message}`, {
      hint: 'the command output was cut or is not XML; run it by hand on the server to see why',
    });
  }
}

const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

export function decodeEntities(text: string, offset = 0): string {
  return text.replace(/&([^;&\s]{1,10});/g, (whole, ref: string) => {
    if (ref.startsWith('#x') || ref.startsWith('#X')) return codePoint(parseInt(ref.slice(2), 16), whole, offset);
    if (ref.startsWith('#')) return codePoint(parseInt(ref.slice(1), 10), whole, offset);
    const ch = named[ref];
    if (ch === undefined) throw new XmlError(`unknown entity ${whole}`, offset);
    return ch;
  });
}

function codePoint(n: number, whole: string, offset: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 0x10ffff) throw new XmlError(`bad character reference ${whole}`, offset);
  return String.fromCodePoint(n);
}

const namePattern = /^[A-Za-z_:][-A-Za-z0-9_:.]*/;

/** Parses the first root element of a document. */
export function parseXml(input: string): XmlElement {
  let i = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;

  const expectAt = (s: string): void => {
    if (!input.startsWith(s, i)) throw new XmlError(`expected "${s}"`, i);
    i += s.length;
  };
  const skipTo = (end: string, what: string): string => {
    const at = input.indexOf(end, i);
    if (at < 0) throw new XmlError(`${what} is not closed`, i);
    const body = input.slice(i, at);
    i = at + end.length;
    return body;
  };

  while (i < input.length) {
    const lt = input.indexOf('<', i);
    const textEnd = lt < 0 ? input.length : lt;
    const current = stack[stack.length - 1];
    if (current) current.text += decodeEntities(input.slice(i, textEnd), i);
    else if (root) return root;
    else if (input.slice(i, textEnd).trim() !== '') throw new XmlError('text before the root element', i);
    if (lt < 0) break;
    i = lt;
    if (input.startsWith('<?', i)) {
      i += 2;
      skipTo('?>', 'processing instruction');
    } else if (input.startsWith('<!--', i)) {
      i += 4;
      skipTo('-->', 'comment');
    } else if (input.startsWith('<![CDATA[', i)) {
      i += 9;
      const body = skipTo(']]>', 'CDATA section');
      if (!current) throw new XmlError('CDATA outside the root element', i);
      current.text += body;
    } else if (input.startsWith('<!', i)) {
      if (stack.length > 0 || root) throw new XmlError('declaration inside the document', i);
      i += 2;
      skipTo('>', 'declaration');
    } else if (input.startsWith('</', i)) {
      i += 2;
      const name = namePattern.exec(input.slice(i, i + 200))?.[0];
      if (!name) throw new XmlError('closing tag without a name', i);
      const open = stack.pop();
      if (!open || open.name !== name) throw new XmlError(`</${name}> does not close <${open?.name ?? '(nothing)'}>`, i);
      i += name.length;
      while (/\s/.test(input[i] ?? '')) i += 1;
      expectAt('>');
      if (stack.length === 0) root = open;
    } else {
      if (!current && root) return root;
      i += 1;
      const name = namePattern.exec(input.slice(i, i + 200))?.[0];
      if (!name) throw new XmlError('tag without a name', i);
      i += name.length;
      const element: XmlElement = { name, attributes: {}, children: [], text: '' };
      for (;;) {
        while (/\s/.test(input[i] ?? '')) i += 1;
        if (input.startsWith('/>', i) || input[i] === '>') break;
        const attr = namePattern.exec(input.slice(i, i + 200))?.[0];
        if (!attr) throw new XmlError(`bad attribute in <${name}>`, i);
        i += attr.length;
        while (/\s/.test(input[i] ?? '')) i += 1;
        expectAt('=');
        while (/\s/.test(input[i] ?? '')) i += 1;
        const quote = input[i];
        if (quote !== '"' && quote !== "'") throw new XmlError(`attribute ${attr} is not quoted`, i);
        i += 1;
        element.attributes[attr] = decodeEntities(skipTo(quote, `attribute ${attr}`), i);
      }
      if (current) current.children.push(element);
      if (input.startsWith('/>', i)) {
        i += 2;
        if (!current) root = element;
      } else {
        i += 1;
        stack.push(element);
      }
    }
  }
  if (stack.length > 0) throw new XmlError(`<${stack[stack.length - 1]!.name}> is not closed (document cut short?)`, input.length);
  if (!root) throw new XmlError('no root element', 0);
  return root;
}

/** The first direct child with this name. */
export function child(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((c) => c.name === name);
}

/** Every direct child with this name. */
export function children(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((c) => c.name === name);
}

/** Text of the first direct child with this name, or undefined when there is none. */
export function childText(element: XmlElement, name: string): string | undefined {
  return child(element, name)?.text;
}
