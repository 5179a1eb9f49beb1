/**
 * XML for machine-written documents such as `passenger-status --show=xml`, read by fast-xml-parser
 * and handed on as a small element tree (name, attributes, children, text) that readers walk by name.
 * Decoding bytes is the caller's job: the parser works on a string.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { PanelError } from '../errors.js';

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** Text directly inside this element (children's text not included), entities resolved. */
  text: string;
}

export class XmlError extends PanelError {
  constructor(message: string, where: string) {
    super('xml_malformed', `Malformed XML at ${where}: ${message}`, {
      hint: 'the command output was cut or is not XML; run it by hand on the server to see why',
    });
  }
}

/** Everything kept as text: numbers and booleans are the reader's business, not the parser's. */
const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // Numeric character references (passenger-status writes "(" as &#40;) need the HTML entity table.
  htmlEntities: true,
});

/** One node of fast-xml-parser's ordered output: `{ name: [...children], ':@': {attributes} }` or `{ '#text': '...' }`. */
type OrderedNode = Record<string, unknown>;

function toElement(node: OrderedNode): XmlElement | undefined {
  const name = Object.keys(node).find((k) => k !== ':@');
  if (name === undefined || name === '#text') return undefined;
  const element: XmlElement = {
    name,
    attributes: { ...((node[':@'] as Record<string, string> | undefined) ?? {}) },
    children: [],
    text: '',
  };
  for (const inner of node[name] as OrderedNode[]) {
    if ('#text' in inner) element.text += String(inner['#text']);
    else {
      const child = toElement(inner);
      if (child) element.children.push(child);
    }
  }
  return element;
}

/** Parses a whole document and returns its root element; refuses malformed or cut input. */
export function parseXml(input: string): XmlElement {
  const valid = XMLValidator.validate(input);
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    const where = `line ${line}${col === undefined ? '' : `, column ${col}`}`;
    const root = /<([A-Za-z_][-\w.:]*)/.exec(input)?.[1];
    // The validator names a cut document's open tags in a list; say plainly what happened instead.
    if (root !== undefined && !new RegExp(`</${root}\\s*>`).test(input))
      throw new XmlError(`<${root}> is not closed (document cut short?)`, where);
    throw new XmlError(msg, where);
  }
  const root = (parser.parse(input) as OrderedNode[]).map(toElement).find((e) => e !== undefined);
  if (!root) throw new XmlError('no root element', 'line 1');
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
