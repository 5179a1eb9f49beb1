/**
 * Reads of the Passenger pool (every app group and process, as `passenger-status --show=xml` prints it),
 * shared by every check that runs at the same time on one server: in a bulk job eight verifications poll
 * the same pool, and one read answers them all. A caller never gets a read that began before it asked
 * (after a restart that would show the old processes): a caller arriving while a read is under way joins
 * the next one, which starts as soon as the current one ends. Callers in the same event-loop turn as the
 * read's start share it: its command leaves after anything they saw complete.
 *
 * The core API (core-api.ts) is asked first; `passenger-status` (Ruby, slow) only when the API cannot be
 * used on that server (no curl, instances out of reach), and then for good.
 */
import { parsePassengerStatus, type PassengerStatus } from '../passenger/status-xml.js';
import type { RemoteRunner } from '../ssh/runner.js';
import { readPoolXml } from './core-api.js';
import { PassengerCommandError } from './errors.js';
import { newestPassengerInstance } from './passenger-instance.js';

export interface PoolRead {
  xml: string;
  /** Epoch ms when the read was sent: it shows nothing older than this. */
  startedAt: number;
  via: 'core-api' | 'passenger-status';
  /** The document parsed, once for every caller that shares the read (hundreds of groups in a bulk job). */
  status(): PassengerStatus;
}

function poolRead(xml: string, startedAt: number, via: PoolRead['via']): PoolRead {
  let parsed: PassengerStatus | undefined;
  return { xml, startedAt, via, status: () => (parsed ??= parsePassengerStatus(xml)) };
}

const STATUS_COMMAND = ['passenger-status', '--show=xml'];
const READ_TIMEOUT_MS = 15_000;
const API_MISSES_BEFORE_GIVING_UP = 3;

// Seen on the test host during an Apache restart or graceful reload: for a moment the old instance
// is still registered beside the new one, or none is. Both pass within seconds.
const TRANSIENT_STATUS =
  /multiple Phusion Passenger\(R\) instances are running|no Phusion Passenger\(R\) instances running|doesn't seem to be running/i;

/** The read failed the way it does while a web server restarts: worth asking again shortly. */
export function isTransientPoolError(err: unknown): boolean {
  return err instanceof PassengerCommandError && TRANSIENT_STATUS.test(err.message);
}

class SharedPoolReads {
  private current: Promise<PoolRead> | undefined;
  private queued: Promise<PoolRead> | undefined;
  /** The current read was started in this event-loop turn (its command is not older than any caller's ask). */
  private currentJoinable = false;
  /** Reads in a row that passenger-status answered after the API could not; see readOnce. */
  private apiMisses = 0;

  constructor(private readonly ssh: RemoteRunner) {}

  read(): Promise<PoolRead> {
    if (!this.current) return this.start();
    if (this.currentJoinable) return this.current;
    const ignore = (): void => undefined;
    this.queued ??= this.current.then(ignore, ignore).then(() => {
      this.queued = undefined;
      return this.start();
    });
    return this.queued;
  }

  private start(): Promise<PoolRead> {
    const read: Promise<PoolRead> = this.readOnce().finally(() => {
      if (this.current === read) this.current = undefined;
    });
    this.current = read;
    this.currentJoinable = true;
    setImmediate(() => {
      if (this.current === read) this.currentJoinable = false;
    });
    return read;
  }

  private async readOnce(): Promise<PoolRead> {
    const startedAt = Date.now();
    if (this.apiMisses < API_MISSES_BEFORE_GIVING_UP) {
      const api = await readPoolXml(this.ssh, READ_TIMEOUT_MS);
      if (api.ok) {
        this.apiMisses = 0;
        return poolRead(api.value, startedAt, 'core-api');
      }
      const xml = await readViaPassengerStatus(this.ssh);
      // passenger-status found what the API path could not. Once may be a web-server restart between the
      // two; without curl, or several times in a row, the API is out of reach on this server.
      this.apiMisses = api.reason === 'no-curl' ? API_MISSES_BEFORE_GIVING_UP : this.apiMisses + 1;
      return poolRead(xml, startedAt, 'passenger-status');
    }
    return poolRead(await readViaPassengerStatus(this.ssh), startedAt, 'passenger-status');
  }
}

const shared = new WeakMap<RemoteRunner, SharedPoolReads>();

/** One read of the whole pool, begun no earlier than this call, shared with concurrent callers on the same runner. */
export function readPool(ssh: RemoteRunner): Promise<PoolRead> {
  let reads = shared.get(ssh);
  if (!reads) {
    reads = new SharedPoolReads(ssh);
    shared.set(ssh, reads);
  }
  return reads.read();
}

async function readViaPassengerStatus(ssh: RemoteRunner): Promise<string> {
  const run = await ssh.exec(STATUS_COMMAND, { timeoutMs: READ_TIMEOUT_MS, allowFail: true });
  if (run.code === 0) return run.stdout;
  const output = (run.stderr || run.stdout).trim();
  const newest = await newestPassengerInstance(ssh, output);
  if (newest) {
    // The old instance of a reloaded web server drains held long-polls for up to Engine.IO's 25 s
    // pingInterval; the newest one is the instance that serves.
    const named = await ssh.exec(['passenger-status', newest, '--show=xml'], { timeoutMs: READ_TIMEOUT_MS, allowFail: true });
    if (named.code === 0) return named.stdout;
  }
  throw new PassengerCommandError(STATUS_COMMAND.join(' '), `exit ${run.code}: ${output.slice(0, 400)}`);
}
