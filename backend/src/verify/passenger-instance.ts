/**
 * Which Passenger instance to talk to when a graceful reload left two registered. The old instance keeps
 * draining held long-polls (up to Engine.IO's 25 s pingInterval) beside the new one, and meanwhile
 * passenger-status and passenger-config refuse to guess. The newest instance is the one that serves.
 * Watchdog pids cannot tell which is newer (pids wrap), so we read each instance's properties.json.
 */
import type { RemoteRunner } from '../ssh/runner.js';

export const MULTIPLE_INSTANCES = /multiple Phusion Passenger\(R\) instances are running/i;

// Passenger registers instances under PASSENGER_INSTANCE_REGISTRY_DIR, /var/run/passenger-instreg or $TMPDIR.
const LIST_INSTANCES = `for f in /var/run/passenger-instreg/passenger.*/properties.json "\${TMPDIR:-/tmp}"/passenger.*/properties.json; do
  [ -f "$f" ] && { cat "$f"; printf '\\n@@instance@@\\n'; }
done; true`;

interface InstanceProperties {
  name: string;
  createdAt: number;
}

/** Names from properties.json documents joined by the separator line, newest first. */
export function instancesNewestFirst(listing: string): InstanceProperties[] {
  const found: InstanceProperties[] = [];
  for (const chunk of listing.split('\n@@instance@@\n')) {
    if (!chunk.trim()) continue;
    try {
      const doc = JSON.parse(chunk) as { name?: unknown; instance_dir?: { created_at_monotonic_usec?: unknown; created_at?: unknown } };
      const created = Number(doc.instance_dir?.created_at_monotonic_usec ?? Number(doc.instance_dir?.created_at ?? 0) * 1e6);
      if (typeof doc.name === 'string' && /^[A-Za-z0-9]+$/.test(doc.name)) found.push({ name: doc.name, createdAt: created });
    } catch {
      // A half-written properties.json belongs to an instance still starting: not the one to pick.
    }
  }
  return found.sort((a, b) => b.createdAt - a.createdAt);
}

/** The newest registered instance among those the refusing command listed, or undefined. */
export async function newestPassengerInstance(ssh: RemoteRunner, refusal: string): Promise<string | undefined> {
  if (!MULTIPLE_INSTANCES.test(refusal)) return undefined;
  const run = await ssh.exec(['sh', '-c', LIST_INSTANCES], { timeoutMs: 15_000, allowFail: true });
  const listed = instancesNewestFirst(run.stdout);
  return listed.find((i) => refusal.includes(i.name))?.name ?? listed[0]?.name;
}
