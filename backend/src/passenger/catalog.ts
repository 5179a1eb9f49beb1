/**
 * Our catalog of the Passenger 6.0 (open source) directives that matter for Node.js / Socket.IO apps.
 *
 * Facts come from Passenger's own option tables (phusion_passenger/{nginx,apache2}/config_options.rb,
 * Debian's 6.0.17) and from what was seen on a real host (docs field-notes §2). Where the two
 * disagree, what was seen wins: e.g. the source accepts the sticky cookie attributes in .htaccess,
 * but there they have no effect, so the catalog does not offer .htaccess for them.
 */

export type WebServer = 'apache' | 'nginx';
export type ApacheContext = 'server' | 'vhost' | 'directory' | 'htaccess';
export type NginxContext = 'http' | 'server' | 'location';
export type DirectiveType = 'boolean' | 'integer' | 'string' | 'path' | 'cookieAttributes';
export type DirectiveValue = boolean | number | string;

export interface DirectiveSpec<K extends string = string> {
  /** Stable key: the nginx name (snake case), e.g. `passenger_sticky_sessions`. */
  key: K;
  apacheName: string;
  nginxName: string;
  /** Where open source Passenger accepts the directive and it takes effect; empty = nowhere. */
  contexts: { apache: ApacheContext[]; nginx: NginxContext[] };
  type: DirectiveType;
  min?: number;
  max?: number;
  /** Allowed words for a string with a fixed vocabulary (compared case-insensitively). */
  allowed?: readonly string[];
  /** Apache's default; `null` when Passenger infers it at run time (see `dynamicDefault`). */
  default: DirectiveValue | null;
  /** Only where nginx's default differs from Apache's. */
  nginxDefault?: DirectiveValue | null;
  dynamicDefault?: string;
  enterpriseOnly: boolean;
  /** True when a change only takes effect after a web-server reload wherever it can be written. */
  needsReload: boolean;
  /** True for directives that act on the whole server (global context only). */
  serverOnly: boolean;
  /** Part of the app's identity (root, type, startup file...), not a tuning knob. */
  identity: boolean;
  explain: string;
  /** Facts seen on a real host that the plain context lists do not say. */
  caveat?: string;
}

const everyNginx: NginxContext[] = ['http', 'server', 'location'];
const apachePerApp: ApacheContext[] = ['server', 'vhost', 'directory'];
const apachePerLocation: ApacheContext[] = ['server', 'vhost', 'directory', 'htaccess'];

type Row = Omit<DirectiveSpec, 'key' | 'nginxName' | 'needsReload' | 'serverOnly' | 'identity' | 'enterpriseOnly'> &
  Partial<Pick<DirectiveSpec, 'identity' | 'enterpriseOnly'>>;

function row<K extends string>(nginxName: K, r: Row): DirectiveSpec<K> {
  const serverOnly = r.contexts.apache.length > 0 && r.contexts.apache.every((c) => c === 'server');
  return {
    key: nginxName,
    nginxName,
    ...r,
    enterpriseOnly: r.enterpriseOnly ?? false,
    identity: r.identity ?? false,
    serverOnly,
    // Only .htaccess changes are picked up without a reload (on the next request).
    needsReload: !r.contexts.apache.includes('htaccess'),
  };
}

function enterprise<K extends string>(nginxName: K, apacheName: string, type: DirectiveType, explain: string): DirectiveSpec<K> {
  return row(nginxName, {
    apacheName,
    contexts: { apache: [], nginx: [] },
    type,
    ...(type === 'integer' ? { min: 0 } : {}),
    default: null,
    enterpriseOnly: true,
    explain,
    caveat:
      'Passenger Enterprise only: open source Apache fails its config test (AH00526) when it is in a vhost, ' +
      'answers 500 for every request when it is in .htaccess, and nginx refuses it too.',
  });
}

/** Every directive the panel knows, in the order people read them. */
export const CATALOG = Object.freeze([
  // App identity: written by Plesk's Node.js extension; we read them, rarely change them.
  row('passenger_enabled', {
    apacheName: 'PassengerEnabled',
    contexts: { apache: apachePerLocation, nginx: everyNginx },
    type: 'boolean',
    default: true,
    nginxDefault: false,
    identity: true,
    explain: 'Whether Passenger serves this location at all.',
  }),
  row('passenger_app_root', {
    apacheName: 'PassengerAppRoot',
    contexts: { apache: apachePerApp, nginx: everyNginx },
    type: 'path',
    default: null,
    dynamicDefault: 'parent directory of the document root',
    identity: true,
    explain: "The app's root directory; Passenger groups processes by it.",
  }),
  row('passenger_app_type', {
    apacheName: 'PassengerAppType',
    contexts: { apache: apachePerApp, nginx: everyNginx },
    type: 'string',
    allowed: ['node', 'rack', 'wsgi', 'meteor'],
    default: null,
    dynamicDefault: 'autodetected',
    identity: true,
    explain: 'Which kind of app this is (node for Node.js).',
  }),
  row('passenger_startup_file', {
    apacheName: 'PassengerStartupFile',
    contexts: { apache: apachePerApp, nginx: everyNginx },
    type: 'path',
    default: null,
    dynamicDefault: 'autodetected (app.js for Node.js)',
    identity: true,
    explain: 'The script Passenger starts, relative to the app root.',
  }),
  row('passenger_app_env', {
    apacheName: 'PassengerAppEnv',
    contexts: { apache: apachePerApp, nginx: everyNginx },
    type: 'string',
    default: 'production',
    identity: true,
    explain: 'NODE_ENV the app runs under.',
  }),
  row('passenger_restart_dir', {
    apacheName: 'PassengerRestartDir',
    contexts: { apache: apachePerApp, nginx: everyNginx },
    type: 'path',
    default: 'tmp',
    identity: true,
    explain: 'Where Passenger looks for restart.txt, relative to the app root.',
  }),
  row('passenger_nodejs', {
    apacheName: 'PassengerNodejs',
    contexts: { apache: apachePerApp, nginx: everyNginx },
    type: 'path',
    default: 'nodejs',
    identity: true,
    explain: 'The Node.js binary (Plesk points it at /opt/plesk/node/<major>/bin/node).',
  }),

  // Sticky sessions: the fix for "several processes, no stickiness".
  row('passenger_sticky_sessions', {
    apacheName: 'PassengerStickySessions',
    contexts: { apache: apachePerLocation, nginx: everyNginx },
    type: 'boolean',
    default: false,
    explain: 'Send every request of a client to the same process (needed by Socket.IO long-polling).',
  }),
  row('passenger_sticky_sessions_cookie_name', {
    apacheName: 'PassengerStickySessionsCookieName',
    // The source also allows .htaccess; the sibling attributes directive was seen to have no effect
    // there, so we do not rely on .htaccess for the cookie's name either.
    contexts: { apache: apachePerApp, nginx: everyNginx },
    type: 'string',
    default: '_passenger_route',
    explain: 'Name of the cookie that carries the sticky route.',
  }),
  row('passenger_sticky_sessions_cookie_attributes', {
    apacheName: 'PassengerStickySessionsCookieAttributes',
    contexts: { apache: apachePerApp, nginx: everyNginx },
    type: 'cookieAttributes',
    default: 'SameSite=Lax; Secure;',
    explain: 'Attributes of the sticky cookie; drop Secure only for sites served on plain http.',
    caveat: 'Accepted in .htaccess by the source, but has no effect there (seen on 6.0.17): set it in the vhost.',
  }),

  // Process counts and recycling: the causes of "the process was replaced".
  row('passenger_min_instances', {
    apacheName: 'PassengerMinInstances',
    contexts: { apache: apachePerApp, nginx: everyNginx },
    type: 'integer',
    min: 0,
    // Our cap, not Passenger's: more than this per app is a typo on any host we serve.
    max: 256,
    default: 1,
    explain: 'Processes kept alive when idle processes are cleaned; 0 lets the app be stopped when idle.',
  }),
  row('passenger_max_requests', {
    apacheName: 'PassengerMaxRequests',
    contexts: { apache: apachePerApp, nginx: everyNginx },
    type: 'integer',
    min: 0,
    max: 1_000_000_000,
    default: 0,
    explain: 'Replace a process after this many requests (0 = never); every long-poll counts as one.',
  }),
  row('passenger_force_max_concurrent_requests_per_process', {
    apacheName: 'PassengerForceMaxConcurrentRequestsPerProcess',
    contexts: { apache: apachePerApp, nginx: everyNginx },
    type: 'integer',
    min: -1,
    max: 1_000_000,
    default: -1,
    explain: 'Concurrency Passenger assumes per process (-1 = unlimited for Node.js); >0 makes it spawn more.',
  }),
  row('passenger_max_preloader_idle_time', {
    apacheName: 'PassengerMaxPreloaderIdleTime',
    contexts: { apache: ['server', 'vhost'], nginx: everyNginx },
    type: 'integer',
    min: 0,
    max: 86_400 * 365,
    default: 300,
    explain: 'Idle seconds before a preloader stops; only smart spawning (Ruby) uses it.',
  }),
  row('passenger_abort_websockets_on_process_shutdown', {
    apacheName: 'PassengerAbortWebsocketsOnProcessShutdown',
    contexts: { apache: [], nginx: everyNginx },
    type: 'boolean',
    default: true,
    explain: 'Close WebSocket connections when their process shuts down (nginx / Standalone only).',
    caveat: 'Does not exist under Apache: apache2 answers "Invalid command".',
  }),

  // Server-wide: never written per domain.
  row('passenger_pool_idle_time', {
    apacheName: 'PassengerPoolIdleTime',
    contexts: { apache: ['server'], nginx: ['http'] },
    type: 'integer',
    min: 0,
    max: 86_400 * 365,
    default: 300,
    explain: 'Seconds an idle process may live before it is stopped (down to min instances), server-wide.',
    caveat: 'Inside a <VirtualHost> Apache only warns and still says Syntax OK, and the value then acts on the whole server.',
  }),
  row('passenger_max_pool_size', {
    apacheName: 'PassengerMaxPoolSize',
    contexts: { apache: ['server'], nginx: ['http'] },
    type: 'integer',
    min: 1,
    max: 100_000,
    default: 6,
    explain: 'Most processes alive at once on the whole server.',
  }),
  row('passenger_max_instances_per_app', {
    apacheName: 'PassengerMaxInstancesPerApp',
    contexts: { apache: ['server'], nginx: ['http'] },
    type: 'integer',
    min: 0,
    max: 100_000,
    default: 0,
    explain: 'Most processes per app (0 = no limit), server-wide: the open source way to cap processes.',
  }),

  // Enterprise only: refused, and flagged as broken when found.
  enterprise('passenger_max_instances', 'PassengerMaxInstances', 'integer', 'Most processes for this app (Enterprise).'),
  enterprise(
    'passenger_max_request_time',
    'PassengerMaxRequestTime',
    'integer',
    'Seconds a request may take before its process is killed (Enterprise).',
  ),
  enterprise('passenger_rolling_restarts', 'PassengerRollingRestarts', 'boolean', 'Restart processes one by one (Enterprise).'),
  enterprise('passenger_memory_limit', 'PassengerMemoryLimit', 'integer', 'Memory cap per process in MB (Enterprise).'),
]);

/** Every catalog key as a literal: `passenger_min_instances` | `passenger_sticky_sessions` | ... */
export type DirectiveKey = (typeof CATALOG)[number]['key'];

/** A catalog entry, its key one of the catalog's. */
export type CatalogSpec = DirectiveSpec<DirectiveKey>;

const byKey = new Map<string, CatalogSpec>();
for (const spec of CATALOG) {
  byKey.set(spec.nginxName, spec);
  byKey.set(spec.apacheName.toLowerCase(), spec);
  byKey.set(spec.nginxName.replace(/^passenger_/, ''), spec);
}

/**
 * The spec for a name in any of its spellings: nginx name (`passenger_min_instances`), the same
 * without the prefix (`min_instances`), or the Apache name in any letter case (`passengermininstances`).
 */
export function lookupDirective(name: string): CatalogSpec | undefined {
  const trimmed = name.trim();
  return byKey.get(trimmed) ?? byKey.get(trimmed.toLowerCase());
}

/** Like `lookupDirective`, but for names coming from nginx files, where names are case-sensitive. */
export function lookupNginxDirective(name: string): CatalogSpec | undefined {
  const spec = byKey.get(name);
  return spec && spec.nginxName === name ? spec : undefined;
}

/** Like `lookupDirective`, but only Apache names (Apache compares them case-insensitively). */
export function lookupApacheDirective(name: string): CatalogSpec | undefined {
  const spec = byKey.get(name.toLowerCase());
  return spec && spec.apacheName.toLowerCase() === name.toLowerCase() ? spec : undefined;
}

/** The name a given web server knows the directive by. */
export function directiveName(spec: DirectiveSpec, server: WebServer): string {
  return server === 'apache' ? spec.apacheName : spec.nginxName;
}

/** The built-in value when nothing sets the directive, for the web server Passenger runs in. */
export function defaultValue(spec: DirectiveSpec, server: WebServer): DirectiveValue | null {
  if (server === 'nginx' && spec.nginxDefault !== undefined) return spec.nginxDefault;
  return spec.default;
}

export function allowedIn(spec: DirectiveSpec, server: WebServer, context: ApacheContext | NginxContext): boolean {
  return server === 'apache' ? (spec.contexts.apache as string[]).includes(context) : (spec.contexts.nginx as string[]).includes(context);
}
