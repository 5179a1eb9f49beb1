import { randomBytes } from 'node:crypto';

/** Ids that sort by creation time (base36 ms clock) and never collide (random tail): `ch_lx2k9f0a_3f9a1c2e`. */
export function newId(prefix: string): string {
  return `${prefix}_${Date.now().toString(36).padStart(9, '0')}_${randomBytes(4).toString('hex')}`;
}
