import { PanelError } from '../errors.js';

/** Raised when another change holds the domain's lock, in this process or in another one sharing the store. */
export class DomainBusyError extends PanelError {
  constructor(domain: string, heldBy: string) {
    super('domain_busy', `Another change is already running on ${domain} (held by ${heldBy}).`, {
      hint: 'Wait for it to finish (see `history`), then try again.',
    });
  }
}

/** The part of the store that keeps a lock row per domain, so two panel processes do not interleave either. */
export interface LockRows {
  /** Inserts the row when free (or when the holder's lease ran out); returns the current holder otherwise. */
  tryAcquireLock(key: string, owner: string, leaseMs: number): { acquired: true } | { acquired: false; owner: string };
  releaseLock(key: string, owner: string): void;
}

/**
 * One lock per server+domain. Inside this process callers queue (a second change waits for the first);
 * across processes the store row refuses the second caller instead of waiting, with a clear error.
 */
export class DomainLocks {
  private readonly tails = new Map<string, Promise<void>>();

  constructor(
    private readonly rows: LockRows | undefined,
    private readonly owner: string = `pid ${process.pid}`,
    private readonly leaseMs: number = 30 * 60_000,
  ) {}

  async withLock<T>(server: string, domain: string, work: () => Promise<T>): Promise<T> {
    const key = `${server}/${domain}`;
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    try {
      if (this.rows) {
        const got = this.rows.tryAcquireLock(key, this.owner, this.leaseMs);
        if (!got.acquired) throw new DomainBusyError(domain, got.owner);
      }
      try {
        return await work();
      } finally {
        this.rows?.releaseLock(key, this.owner);
      }
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** True while some change in this process holds or waits for the domain. */
  isBusy(server: string, domain: string): boolean {
    return this.tails.has(`${server}/${domain}`);
  }
}
