import type { ServerEntry } from '../config/types.js';
import { errorMessage, PanelError } from '../errors.js';
import type { SessionPool } from '../ssh/pool.js';
import { booleanOption, integerOption, requirePositionals, stringOption } from './args.js';
import type { Command } from './command.js';
import { ExitCode, UsageError } from './exit-codes.js';

export interface ServerCheck {
  ok: boolean;
  /** Connect (when needed) plus one `true` command, in milliseconds. */
  ms: number;
  hostKeyFingerprint?: string | undefined;
  error?: { code: string; message: string };
}

/** Connects and runs `true`: proves reachability, the pinned host key, the key login and exec. */
export async function checkServer(pool: SessionPool, server: ServerEntry, timeoutMs: number): Promise<ServerCheck> {
  const started = performance.now();
  try {
    const session = await pool.get(server);
    await session.exec(['true'], { timeoutMs });
    return { ok: true, ms: Math.round(performance.now() - started), hostKeyFingerprint: session.hostKeyFingerprint };
  } catch (err) {
    return {
      ok: false,
      ms: Math.round(performance.now() - started),
      error: { code: err instanceof PanelError ? err.code : 'error', message: errorMessage(err) },
    };
  }
}

function pinText(s: ServerEntry): string {
  const pins = [s.hostKeyFingerprint ? `${s.hostKeyFingerprint.slice(0, 19)}…` : '', s.knownHostsPath ? 'known_hosts' : ''];
  return pins.filter(Boolean).join(' + ');
}

/** The documented `servers --json` shape: every key always present (null when unset). */
export function serverJson(s: ServerEntry, check: ServerCheck | undefined) {
  return {
    name: s.name,
    host: s.host,
    port: s.port,
    username: s.username,
    privateKeyPath: s.privateKeyPath,
    knownHostsPath: s.knownHostsPath ?? null,
    hostKeyFingerprint: s.hostKeyFingerprint ?? null,
    socketIoPaths: s.socketIoPaths ?? {},
    source: s.source,
    ...(check
      ? { check: { ok: check.ok, ms: check.ms, hostKeyFingerprint: check.hostKeyFingerprint ?? null, error: check.error ?? null } }
      : {}),
  };
}

const CHECK_CONCURRENCY = 16;

const USAGE = [
  'servers [--check] [--json]',
  'servers add NAME --host HOST [--port N] [--user USER] --key FILE (--known-hosts FILE | --fingerprint SHA256:...)',
  'servers remove NAME',
].join('\n       ');

export const serversCommand: Command = {
  name: 'servers',
  summary: 'list the managed servers (--check: connect to each), add or remove a stored server',
  usage: USAGE,
  options: {
    check: { type: 'boolean', description: 'connect to every server and run one command; exit code 4 if any fails' },
    host: { type: 'string', valueName: 'HOST', description: 'add: host name or IP' },
    port: { type: 'string', valueName: 'N', description: 'add: sshd port (default 22)' },
    user: { type: 'string', valueName: 'USER', description: 'add: login (default root)' },
    key: { type: 'string', valueName: 'FILE', description: 'add: private key file' },
    'known-hosts': { type: 'string', valueName: 'FILE', description: 'add: known_hosts file with the host key' },
    fingerprint: { type: 'string', valueName: 'SHA256:...', description: 'add: pinned host key fingerprint' },
  },

  async run({ args, out, services }) {
    const [action = 'list', name] = args.positionals;
    const { servers, pool, config } = await services();

    if (action === 'add') {
      requirePositionals(args, { min: 2, max: 2 }, 'servers add NAME --host HOST --key FILE ...');
      const added = servers.add({
        name,
        host: stringOption(args, 'host'),
        port: integerOption(args, 'port', { min: 1, max: 65535 }),
        username: stringOption(args, 'user'),
        privateKeyPath: stringOption(args, 'key'),
        knownHostsPath: stringOption(args, 'known-hosts'),
        hostKeyFingerprint: stringOption(args, 'fingerprint'),
      });
      if (out.json) out.data({ server: added });
      else
        out.text(
          `added server ${added.name} (${added.username}@${added.host}:${added.port}); check it with \`passenger-panel servers --check\``,
        );
      return ExitCode.ok;
    }
    if (action === 'remove') {
      requirePositionals(args, { min: 2, max: 2 }, 'servers remove NAME');
      servers.remove(name as string);
      if (out.json) out.data({ removed: name });
      else out.text(`removed server ${name}`);
      return ExitCode.ok;
    }
    if (action !== 'list') throw new UsageError(`unknown action "${action}": use list, add or remove`);
    requirePositionals(args, { min: 0, max: 1 }, 'servers [list] [--check]');

    const list = servers.list();
    const check = booleanOption(args, 'check');
    const checks = new Map<string, ServerCheck>();
    if (check) {
      // Each check is bounded by the connect and command timeouts; a few servers are checked at a time.
      const queue = [...list];
      const worker = async () => {
        for (let s = queue.shift(); s; s = queue.shift())
          checks.set(s.name, await checkServer(pool, s, Math.min(config.ssh.commandTimeoutMs, 15_000)));
      };
      await Promise.all(Array.from({ length: Math.min(CHECK_CONCURRENCY, list.length) }, worker));
    }

    if (out.json) {
      out.data({ servers: list.map((s) => serverJson(s, check ? checks.get(s.name) : undefined)) });
    } else if (list.length === 0) {
      out.text('no servers configured: set PASSENGER_PANEL_CONFIG (see backend/src/config/README.md) or run `bash test/host/setup.sh`');
    } else {
      out.table(
        [
          { header: 'NAME', value: (s: ServerEntry) => s.name, minWidth: 8 },
          { header: 'ADDRESS', value: (s) => `${s.username}@${s.host}:${s.port}`, minWidth: 12 },
          { header: 'HOST KEY PIN', value: (s) => pinText(s), minWidth: 12 },
          { header: 'SOURCE', value: (s) => s.source },
          ...(check
            ? [
                {
                  header: 'CHECK',
                  value: (s: ServerEntry) => {
                    const c = checks.get(s.name) as ServerCheck;
                    return c.ok ? `ok ${c.ms} ms` : `${c.error?.code}: ${c.error?.message}`;
                  },
                  minWidth: 20,
                },
              ]
            : []),
        ],
        list,
      );
    }
    if (!check) return ExitCode.ok;
    const failed = [...checks.values()].filter((c) => !c.ok);
    if (failed.length === 0) return ExitCode.ok;
    // Unreachable dominates: it is what a script waiting for a server needs to tell apart.
    return ExitCode.unreachable;
  },
};
