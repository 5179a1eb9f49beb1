import type { FileRefusal } from '../ssh/files.js';
/**
 * The shapes of an inventory (docs/CONTRACTS.md): what one server and each of its domains run, with
 * every catalog directive's effective value and where it comes from. Read side only.
 */
import type { DirectiveValue, WebServer } from '../passenger/catalog.js';
import type { ParsedDirective } from '../passenger/parsed-config.js';
import type { DomainFileKind } from '../passenger/placement.js';
import type { ProcessInfo } from '../passenger/status-xml.js';

export type { ProcessInfo };

export type SettingSource = 'default' | 'server' | 'domain' | 'htaccess';

/** Where a value comes from: a file and line unless it is Passenger's default. */
export interface ResolvedSetting {
  /** `null` when Passenger decides at run time (no static default) and nothing sets it. */
  value: DirectiveValue | null;
  source: SettingSource;
  file?: string;
  line?: number;
  /** The directive as written, for evidence. */
  raw?: string;
}

/** A server-wide setting found in the web server's own config. */
export interface ResolvedSettingSource extends ResolvedSetting {
  key: string;
  name: string;
  server: WebServer;
}

export type { DomainFileKind };

export interface DomainFile {
  path: string;
  kind: DomainFileKind;
  exists: boolean;
  /** UTF-8 text as read (CRLF kept); '' when the file does not exist. */
  content: string;
  /** sha256 hex of the bytes; '' when the file does not exist. */
  sha256: string;
  /** Set when the file was not read for safety (a link, a FIFO, too large...): content is then ''. */
  refused?: { reason: FileRefusal; detail: string };
}

export interface DomainInventory {
  name: string;
  /** Passenger's app root (PassengerAppRoot / passenger_app_root); '' when the domain has no Node.js app. */
  appRoot: string;
  documentRoot: string;
  startupFile: string;
  appType?: string;
  /** Major version taken from the Node.js binary Plesk configured (e.g. `/opt/plesk/node/20/bin/node`). */
  nodeVersion?: string;
  /** Which web server runs Passenger for this domain. */
  mode: WebServer;
  /** Served over https (an SSL virtual host exists). */
  https: boolean;
  /** Served over plain http only (no https at all): browsers drop a Secure sticky cookie there. */
  httpOnly: boolean;
  /** The document root's .htaccess may hold Passenger directives (Apache mode and AllowOverride not None). */
  htaccessOverrides: boolean;
  /** Passenger is enabled for the domain (PassengerEnabled / passenger_enabled not off). */
  passengerEnabled: boolean;
  files: DomainFile[];
  /** Every Passenger directive that applies to the domain, from generated and admin files and .htaccess. */
  directives: ParsedDirective[];
  /** Catalog key -> effective value for the scheme people use (https when there is one). */
  effective: Record<string, ResolvedSetting>;
  /** Same for the plain http virtual host (identical for http-only sites). */
  effectiveHttp: Record<string, ResolvedSetting>;
  processes: ProcessInfo[];
  socketIoPath: string;
  /** Things the read could not establish (missing generated config, unreadable files...). */
  notes: string[];
}

export interface ServerInventory {
  server: string;
  /** ISO time the remote read finished. */
  readAt: string;
  /** `6.0.17`, or '' when passenger-config did not answer. */
  passengerVersion: string;
  /** Web servers with Passenger loaded on this server. */
  webServer: { apache: boolean; nginx: boolean };
  global: ResolvedSettingSource[];
  domains: DomainInventory[];
  /** Processes whose app root matches no domain (other apps on the server). */
  processesUnmatched: ProcessInfo[];
  /** How the read went: SSH execs used, wall time, problems that did not stop it. */
  read: { execs: number; ms: number; warnings: string[] };
}
