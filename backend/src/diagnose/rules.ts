/**
 * The rules that explain a domain's Socket.IO "400 Session ID unknown" risk (docs field-notes §1-2).
 * Each rule looks at the facts and returns findings with the evidence it used and the fix.
 * Rules run in order of importance; the first finding of the worst severity is the domain's headline.
 */
import { type WebServer, directiveName, lookupDirective } from '../passenger/catalog.js';
import { type FileBase, contextAt, fileBaseOfPath } from '../passenger/placement.js';
import { cookieAttributesHaveSecure } from '../passenger/value-check.js';
import {
  type DomainFacts,
  type FactDirective,
  type FactSetting,
  type ServerSettingFact,
  booleanOf,
  describeDirective,
  describeSetting,
  numberOf,
  settingOf,
  specOf,
} from './facts.js';
import type { Finding } from './findings.js';

/** What a rule may look at: the domain, and the server-wide settings behind its defaults. */
export interface RuleInput {
  facts: DomainFacts;
  global: readonly ServerSettingFact[];
}

export type DomainRule = (input: RuleInput) => Finding[];

/** Effective value: the domain's own, else the server's, else Passenger's default. */
export function resolve(input: RuleInput, key: string, side: 'main' | 'http' = 'main'): FactSetting {
  const own = settingOf(input.facts, key, side);
  if (own.source !== 'default') return own;
  return input.global.find((g) => g.key === key) ?? own;
}

const hasApp = (f: DomainFacts): boolean => f.appRoot !== '' && f.passengerEnabled !== false;

/** The sides a visitor can reach: the main one, plus plain http when a site serves both. */
function sides(f: DomainFacts): { side: 'main' | 'http'; label: string }[] {
  if (f.https && !f.httpOnly && f.effectiveHttp)
    return [
      { side: 'main', label: 'https' },
      { side: 'http', label: 'plain http' },
    ];
  return [{ side: 'main', label: f.httpOnly ? 'plain http' : 'https' }];
}

function pids(f: DomainFacts): string {
  const n = f.processes.length;
  if (n === 0) return 'no live process';
  return `${n} live process${n === 1 ? '' : 'es'} (pid ${f.processes.map((p) => p.pid).join(', ')})`;
}

/** Live processes > 1, or min instances > 1 (the domain may run several even when idle now). */
function mayRunSeveral(input: RuleInput, side: 'main' | 'http'): boolean {
  const min = numberOf(resolve(input, 'passenger_min_instances', side)) ?? 1;
  return input.facts.processes.length > 1 || min > 1;
}

const severalProcessesWithoutSticky: DomainRule = (input) => {
  const { facts } = input;
  if (!hasApp(facts)) return [];
  const bad = sides(facts).filter(
    ({ side }) => mayRunSeveral(input, side) && booleanOf(resolve(input, 'passenger_sticky_sessions', side)) !== true,
  );
  if (bad.length === 0) return [];
  const side = bad[0]!.side;
  return [
    {
      id: 'several-processes-no-sticky',
      severity: 'warning',
      title: 'Several processes without sticky sessions',
      evidence:
        `${pids(facts)}; ${describeSetting('passenger_min_instances', resolve(input, 'passenger_min_instances', side), facts.mode)}; ` +
        `${describeSetting('passenger_sticky_sessions', resolve(input, 'passenger_sticky_sessions', side), facts.mode)}` +
        (bad.length < sides(facts).length ? ` (on ${bad.map((b) => b.label).join(', ')})` : '') +
        '. A long-poll request and the next request of the same client reach different processes: 400 "Session ID unknown".',
      fix: `Turn on sticky sessions (${name('passenger_sticky_sessions', facts.mode)} on): apply the "Socket.IO safe" profile.`,
    },
  ];
};

const secureCookieOnPlainHttp: DomainRule = (input) => {
  const { facts } = input;
  if (!hasApp(facts)) return [];
  const out: Finding[] = [];
  const attrs = resolve(input, 'passenger_sticky_sessions_cookie_attributes', 'http');
  const secure = typeof attrs.value === 'string' && cookieAttributesHaveSecure(attrs.value);
  if (!secure) return [];
  const sticky = booleanOf(resolve(input, 'passenger_sticky_sessions', 'http')) === true;
  const evidence = `${describeSetting('passenger_sticky_sessions_cookie_attributes', attrs, facts.mode)}; ${describeSetting(
    'passenger_sticky_sessions',
    resolve(input, 'passenger_sticky_sessions', 'http'),
    facts.mode,
  )}`;
  const attrName = name('passenger_sticky_sessions_cookie_attributes', facts.mode);
  if (facts.httpOnly && (sticky || mayRunSeveral(input, 'http'))) {
    out.push({
      id: 'sticky-cookie-secure-on-http',
      severity: 'warning',
      title: 'Sticky cookie is Secure on a plain http site',
      evidence:
        `${evidence}; the site is served on plain http only, where browsers drop Secure cookies, so ` +
        (sticky ? 'stickiness silently does nothing.' : 'turning on sticky sessions alone will not help.'),
      fix: `Set ${attrName} "SameSite=Lax" (without Secure) in the vhost (it has no effect in .htaccess), or better, serve the site over https.`,
    });
  } else if (facts.https && !facts.httpOnly && sticky && sides(facts).length > 1) {
    out.push({
      id: 'sticky-cookie-secure-http-visitors',
      severity: 'info',
      title: 'Visitors on http:// get no stickiness',
      evidence: `${evidence}; the site also answers on plain http, where browsers drop the Secure cookie.`,
      fix: 'Redirect http to https so every Socket.IO client uses https.',
    });
  }
  return out;
};

const minInstancesZero: DomainRule = (input) => {
  const { facts } = input;
  if (!hasApp(facts)) return [];
  const min = resolve(input, 'passenger_min_instances');
  const idle = resolve(input, 'passenger_pool_idle_time');
  if (numberOf(min) !== 0 || (numberOf(idle) ?? 300) <= 0) return [];
  return [
    {
      id: 'min-instances-zero',
      severity: 'warning',
      title: 'The app is stopped when idle (min instances 0)',
      evidence: `${describeSetting('passenger_min_instances', min, facts.mode)}; ${describeSetting('passenger_pool_idle_time', idle, facts.mode)}: after that many idle seconds the last process is stopped and every Socket.IO session with it.`,
      fix: `Set ${name('passenger_min_instances', facts.mode)} 1: apply the "Socket.IO safe" profile.`,
    },
  ];
};

const maxRequestsRecycles: DomainRule = (input) => {
  const { facts } = input;
  const max = resolve(input, 'passenger_max_requests');
  if (!hasApp(facts) || (numberOf(max) ?? 0) <= 0) return [];
  return [
    {
      id: 'max-requests-recycles',
      severity: 'warning',
      title: 'Processes are replaced after a number of requests',
      evidence: `${describeSetting('passenger_max_requests', max, facts.mode)}: every long-poll counts as a request, so processes (and their Socket.IO sessions) are replaced often.`,
      fix: `Set ${name('passenger_max_requests', facts.mode)} 0: apply the "Socket.IO safe" profile.`,
    },
  ];
};

const forceMaxConcurrent: DomainRule = (input) => {
  const { facts } = input;
  const force = resolve(input, 'passenger_force_max_concurrent_requests_per_process');
  if (!hasApp(facts) || (numberOf(force) ?? -1) <= 0) return [];
  return [
    {
      id: 'force-max-concurrent',
      severity: 'warning',
      title: 'A fixed concurrency makes Passenger spawn more processes',
      evidence: `${describeSetting('passenger_force_max_concurrent_requests_per_process', force, facts.mode)}: each open long-poll uses a slot, so Passenger starts more processes under load.`,
      fix: `Remove ${name('passenger_force_max_concurrent_requests_per_process', facts.mode)} (Node.js apps are unlimited by default): apply the "Socket.IO safe" profile.`,
    },
  ];
};

const websocketUnderApache: DomainRule = ({ facts }) => {
  if (!hasApp(facts) || facts.mode !== 'apache') return [];
  return [
    {
      id: 'websocket-unavailable-apache',
      severity: 'info',
      title: 'WebSocket is unavailable through Passenger under Apache',
      evidence:
        'Passenger runs inside Apache for this domain; its Apache integration does not pass WebSocket upgrades (phusion/passenger#1202), so Socket.IO stays on HTTP long-polling.',
      fix: 'Nothing to change for long-polling to work; it makes sticky sessions and stable processes decisive.',
    },
  ];
};

/** Directives in the domain's files that the web server will reject, ignore, or apply server-wide. */
const misplacedDirectives: DomainRule = ({ facts }) => {
  const groups = new Map<string, { finding: Omit<Finding, 'evidence'>; where: string[] }>();
  const add = (finding: Omit<Finding, 'evidence'>, d: FactDirective): void => {
    const g = groups.get(finding.id) ?? { finding, where: [] };
    g.where.push(describeDirective(d));
    groups.set(finding.id, g);
  };
  for (const d of facts.directives) {
    const spec = specOf(d);
    if (!spec) continue;
    const file = fileBaseOfPath(d.file, d.server);
    const inHtaccess = file.server === 'apache' && file.base === 'htaccess';
    const consequence = rejection(file);
    if (spec.enterpriseOnly) {
      add(
        {
          id: 'enterprise-directive',
          severity: 'critical',
          title: 'Passenger Enterprise directive on open source Passenger',
          fix: `Remove it. To cap processes per app use ${name('passenger_max_instances_per_app', d.server)} in the server config (admin).`,
        },
        d,
      );
      continue;
    }
    const placement = contextAt(file, d.blocks);
    const allowed: readonly string[] = placement.server === 'apache' ? spec.contexts.apache : spec.contexts.nginx;
    if (allowed.includes(placement.context)) continue;
    if (allowed.length === 0) {
      add(
        {
          id: 'directive-unknown-to-server',
          severity: 'critical',
          title: `${d.name} does not exist under ${d.server === 'apache' ? 'Apache' : 'nginx'}`,
          fix: `Remove it (${consequence}).`,
        },
        d,
      );
    } else if (spec.serverOnly) {
      const fatal = inHtaccess || d.server === 'nginx';
      add(
        {
          id: 'server-only-directive-per-domain',
          severity: fatal ? 'critical' : 'warning',
          title: 'Server-wide directive in a domain file',
          fix: fatal
            ? `Remove it from the domain file (${consequence}); set it in the server config if needed (admin).`
            : 'Remove it from the domain file: it acts on the whole server (Apache only warns). Set it once in the server config (admin).',
        },
        d,
      );
    } else if (inHtaccess && spec.key === 'passenger_sticky_sessions_cookie_attributes') {
      add(
        {
          id: 'cookie-attributes-in-htaccess',
          severity: 'warning',
          title: 'Sticky cookie attributes in .htaccess have no effect',
          fix: 'Move it to vhost.conf and vhost_ssl.conf (needs a reload): apply the "Socket.IO safe" profile.',
        },
        d,
      );
    } else {
      add(
        {
          id: 'directive-not-allowed-here',
          severity: 'critical',
          title: 'Passenger directive where the web server does not allow it',
          fix: `Move it to a context where it is allowed (${consequence}).`,
        },
        d,
      );
    }
  }
  return [...groups.values()].map(({ finding, where }) => ({ ...finding, evidence: `${where.join('; ')}.` }));
};

function rejection(file: FileBase): string {
  if (file.server === 'apache' && file.base === 'htaccess') return 'in .htaccess Apache answers 500 to every request of the site';
  if (file.server === 'apache') return "Apache's config test fails, so the next reload takes every site down";
  return "nginx's config test fails, so the next reload takes every site down";
}

/** The directive's name as the domain's web server spells it, for fixes people can copy. */
function name(key: string, server: WebServer): string {
  const spec = lookupDirective(key);
  return spec ? directiveName(spec, server) : key;
}

/** A file of the domain was not read (a link, FIFO, huge file...): nothing about it can be trusted or changed. */
const unsafeFiles: DomainRule = ({ facts }) => {
  const refused = (facts.files ?? []).filter((f) => f.refused);
  if (refused.length === 0) return [];
  return [
    {
      id: 'unsafe-file',
      severity: 'critical',
      title: 'A config file of this domain was not read: it is a link, a special file or too large',
      evidence: refused.map((f) => `${f.path}: ${f.refused?.reason}${f.refused?.detail ? ` (${f.refused.detail})` : ''}`).join('; '),
      fix: 'Replace it with a plain file owned by the subscription (remove the link or special file), then read the domain again. Passenger Panel never follows links in a customer folder, so it changes nothing here until then.',
    },
  ];
};

/** Most important first: the headline of a domain is its first finding of the worst severity. */
export const DOMAIN_RULES: readonly DomainRule[] = [
  unsafeFiles,
  misplacedDirectives,
  severalProcessesWithoutSticky,
  secureCookieOnPlainHttp,
  minInstancesZero,
  maxRequestsRecycles,
  forceMaxConcurrent,
  websocketUnderApache,
];
