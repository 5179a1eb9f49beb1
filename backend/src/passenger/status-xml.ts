/**
 * Reads `passenger-status --show=xml` (Passenger 6.0, `<info version="3">`): per app group its root,
 * type, environment and options, per process its identity (pid, gupid, spawn times) and load.
 * A changed pid, gupid or spawn time means Passenger replaced the process.
 *
 * The document is ISO-8859-1; give it as a latin1-decoded string or as the raw bytes.
 * Secrets Passenger prints (the group's api_key) are dropped here and never leave this module.
 */
import { PanelError } from '../errors.js';
import { type XmlElement, child, childText, children, parseXml } from './xml-reader.js';

export interface ProcessInfo {
  pid: number;
  /** Passenger's unique id for this process; survives nothing, so a new one means a new process. */
  gupid: string;
  /** The value the sticky cookie carries to route a client to this process. */
  stickySessionId: string | null;
  /** Epoch microseconds. */
  spawnStartTime: number | null;
  spawnEndTime: number | null;
  lastUsed: number | null;
  /** As Passenger prints it, e.g. `16s` or `1h 2m 3s`. */
  uptime: string | null;
  /** Requests currently open on the process (a pending long-poll counts). */
  sessions: number;
  /** Requests handled since spawn. */
  processed: number;
  busyness: number;
  concurrency: number;
  /** ALIVE, SHUTTING_DOWN, SHUT_DOWN. */
  lifeStatus: string;
  /** ENABLED, DISABLING, DISABLED, DETACHED. */
  enabled: string;
  /** From the process's group, so a flat list of processes can still be matched to apps. */
  appRoot: string;
  /** Resident memory in KB and CPU %, when Passenger had metrics for the process. */
  rssKb: number | null;
  cpu: number | null;
}

export interface AppGroupStatus {
  /** `<app root> (<environment>)`. */
  name: string;
  appRoot: string;
  /** `nodejs` for Node.js apps. */
  appType: string;
  environment: string;
  lifeStatus: string;
  enabledProcessCount: number;
  processesBeingSpawned: number;
  /** Requests waiting for a free process. */
  getWaitListSize: number;
  /** The effective `min_processes` (PassengerMinInstances) Passenger uses for the group. */
  minProcesses: number | null;
  /** The effective sticky cookie attributes for the group. */
  stickySessionsCookieAttributes: string | null;
  /** Every option Passenger reported for the group, as text, without secrets. */
  options: Record<string, string>;
  processes: ProcessInfo[];
}

export interface PassengerStatus {
  passengerVersion: string;
  groupCount: number;
  processCount: number;
  /** PassengerMaxPoolSize in effect. */
  maxPoolSize: number;
  capacityUsed: number;
  getWaitListSize: number;
  groups: AppGroupStatus[];
}

export class StatusXmlError extends PanelError {
  constructor(message: string, cause?: unknown) {
    super('passenger_status_unreadable', `passenger-status output unreadable: ${message}`, {
      hint: 'run `passenger-status --show=xml` on the server by hand; Passenger may not be running or may be another version',
      ...(cause === undefined ? {} : { cause }),
    });
  }
}

/** Option names whose values are secrets and are never kept. */
const SECRET_OPTIONS = new Set(['api_key', 'secret', 'password', 'union_station_key']);

export function parsePassengerStatus(input: string | Uint8Array): PassengerStatus {
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
  const start = text.indexOf('<');
  if (start < 0) throw new StatusXmlError(`no XML in the output (${JSON.stringify(text.trim().slice(0, 120))})`);
  // passenger-status prints a tip after the document; the document ends at the last </info>.
  const end = text.lastIndexOf('</info>');
  let root: XmlElement;
  try {
    root = parseXml(text.slice(start, end < start ? undefined : end + '</info>'.length));
  } catch (err) {
    throw new StatusXmlError(err instanceof Error ? err.message : String(err), err);
  }
  if (root.name !== 'info') throw new StatusXmlError(`root element is <${root.name}>, expected <info>`);
  const supergroups = child(root, 'supergroups');
  return {
    passengerVersion: (childText(root, 'passenger_version') ?? '').trim(),
    groupCount: int(root, 'group_count'),
    processCount: int(root, 'process_count'),
    maxPoolSize: int(root, 'max'),
    capacityUsed: int(root, 'capacity_used'),
    getWaitListSize: int(root, 'get_wait_list_size'),
    groups: supergroups ? children(supergroups, 'supergroup').flatMap((sg) => children(sg, 'group').map(readGroup)) : [],
  };
}

function readGroup(group: XmlElement): AppGroupStatus {
  const options: Record<string, string> = {};
  for (const opt of child(group, 'options')?.children ?? []) {
    if (!SECRET_OPTIONS.has(opt.name)) options[opt.name] = opt.text;
  }
  const appRoot = str(group, 'app_root') ?? options.app_root ?? '';
  const processes = children(child(group, 'processes') ?? emptyElement, 'process').map((p) => readProcess(p, appRoot));
  const minProcesses = options.min_processes;
  return {
    name: str(group, 'name') ?? '',
    appRoot,
    appType: str(group, 'app_type') ?? options.app_type ?? '',
    environment: str(group, 'environment') ?? options.environment ?? '',
    lifeStatus: str(group, 'life_status') ?? '',
    enabledProcessCount: int(group, 'enabled_process_count'),
    processesBeingSpawned: int(group, 'processes_being_spawned'),
    getWaitListSize: int(group, 'get_wait_list_size'),
    minProcesses: minProcesses !== undefined && /^\d+$/.test(minProcesses.trim()) ? Number(minProcesses) : null,
    stickySessionsCookieAttributes: options.sticky_sessions_cookie_attributes ?? null,
    options,
    processes,
  };
}

function readProcess(p: XmlElement, appRoot: string): ProcessInfo {
  const pid = optInt(p, 'pid');
  if (pid === null) throw new StatusXmlError('a <process> has no <pid>');
  return {
    pid,
    gupid: str(p, 'gupid') ?? '',
    stickySessionId: str(p, 'sticky_session_id') ?? null,
    spawnStartTime: optInt(p, 'spawn_start_time'),
    spawnEndTime: optInt(p, 'spawn_end_time'),
    lastUsed: optInt(p, 'last_used'),
    uptime: str(p, 'uptime') ?? null,
    sessions: int(p, 'sessions'),
    processed: int(p, 'processed'),
    busyness: int(p, 'busyness'),
    concurrency: int(p, 'concurrency'),
    lifeStatus: str(p, 'life_status') ?? '',
    enabled: str(p, 'enabled') ?? '',
    appRoot,
    rssKb: optInt(p, 'rss'),
    cpu: optInt(p, 'cpu'),
  };
}

const emptyElement: XmlElement = { name: '', attributes: {}, children: [], text: '' };

function str(el: XmlElement, name: string): string | undefined {
  const t = childText(el, name);
  return t === undefined ? undefined : t.trim();
}

function optInt(el: XmlElement, name: string): number | null {
  const t = str(el, name);
  if (t === undefined || t === '') return null;
  if (!/^-?\d+$/.test(t)) throw new StatusXmlError(`<${name}> is not a whole number: ${JSON.stringify(t.slice(0, 40))}`);
  return Number(t);
}

function int(el: XmlElement, name: string): number {
  return optInt(el, name) ?? 0;
}

/** '/var/www/x/httpdocs/' and '/var/www/x/httpdocs' are the same app. */
export function normalizeAppRoot(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

/** Processes per app root (normalised), for matching groups to domains. */
export function processesByAppRoot(status: PassengerStatus): Map<string, ProcessInfo[]> {
  const out = new Map<string, ProcessInfo[]>();
  for (const group of status.groups) {
    const key = normalizeAppRoot(group.appRoot);
    out.set(key, [...(out.get(key) ?? []), ...group.processes]);
  }
  return out;
}
