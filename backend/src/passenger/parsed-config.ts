/** What the Apache and nginx parsers return: the same shapes, so readers need not care which one ran. */
import type { WebServer } from './catalog.js';

/** An enclosing section: `<IfModule mod_passenger.c>` or `location /app {`. */
export interface BlockRef {
  /** As written (`IfModule`, `Directory`, `location`). */
  name: string;
  args: string[];
  line: number;
}

export interface ParsedDirective {
  /** As written in the file. */
  name: string;
  /** Catalog key (nginx name) when the catalog knows the directive. */
  key?: string;
  /** Arguments with quotes removed. */
  args: string[];
  /** 1-based line where the directive starts, and where it ends (continuations, multi-line nginx). */
  line: number;
  endLine: number;
  /** Enclosing sections, outermost first; empty at the top of the file. */
  blocks: BlockRef[];
  inManagedBlock: boolean;
  server: WebServer;
  file?: string;
  /** The directive's text as in the file (continuation lines joined by their line ends). */
  raw: string;
}

export type ConfigItemKind = 'directive' | 'blockOpen' | 'blockClose' | 'comment' | 'blank' | 'unknown';

/** Every piece of the file in order, so nothing the parser does not understand is lost. */
export interface ConfigItem {
  kind: ConfigItemKind;
  line: number;
  raw: string;
}

export interface ParseProblem {
  line: number;
  message: string;
}

export interface ParsedConfig {
  server: WebServer;
  file?: string;
  directives: ParsedDirective[];
  items: ConfigItem[];
  /** Things the web server would likely reject (unbalanced sections, open quotes); parsing goes on. */
  problems: ParseProblem[];
}

export interface ParseOptions {
  /** Stamped on every directive, for evidence ("vhost.conf line 4"). */
  file?: string;
}
