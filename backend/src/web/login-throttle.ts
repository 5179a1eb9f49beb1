/**
 * Slows password guessing: after `maxFailures` wrong passwords from one address within `windowMs`,
 * that address is refused until the window has passed. An attempt is counted when it starts, before the
 * (slow, on purpose) password check, so parallel guesses cannot all slip in while earlier ones are still
 * being checked. Memory is bounded by dropping old entries.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();
  private readonly inFlight = new Map<string, number>();

  constructor(
    private readonly maxFailures = 10,
    private readonly windowMs = 10 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Reserves one attempt for the address, or returns false when its failures and open attempts reach the limit. */
  tryBegin(address: string): boolean {
    const open = this.inFlight.get(address) ?? 0;
    if (this.recent(address).length + open >= this.maxFailures) return false;
    this.inFlight.set(address, open + 1);
    return true;
  }

  /** Ends an attempt begun with tryBegin: a failure stays counted for the window, a success clears the address. */
  finish(address: string, ok: boolean): void {
    const open = (this.inFlight.get(address) ?? 1) - 1;
    if (open > 0) this.inFlight.set(address, open);
    else this.inFlight.delete(address);
    if (ok) {
      this.failures.delete(address);
      return;
    }
    const list = this.recent(address);
    list.push(this.now());
    this.failures.set(address, list);
    if (this.failures.size > 10_000) {
      const oldest = this.failures.keys().next().value;
      if (oldest !== undefined) this.failures.delete(oldest);
    }
  }

  private recent(address: string): number[] {
    const since = this.now() - this.windowMs;
    return (this.failures.get(address) ?? []).filter((at) => at > since);
  }
}
