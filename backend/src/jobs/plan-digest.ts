/**
 * A plan's fingerprint: what a confirm form carries so the change carried out is the one the user saw.
 * It covers the target, the request (the plan's `what`, which names a rollback's checkpoint) and every
 * file's bytes before and after, so a file edited since the preview, a newer checkpoint or another
 * request all give another digest.
 */
import { createHash } from 'node:crypto';
import { afterSha } from '../apply/checkpoints.js';
import type { ChangePlan } from '../apply/plan.js';

/** Hex sha256 over the plan's server, domain, request and each file's path, before and after hashes. */
export function planDigest(plan: Pick<ChangePlan, 'server' | 'domain' | 'what' | 'files'>): string {
  const files = plan.files
    .map((f) => ({ path: f.path, before: f.beforeSha256, after: afterSha(f) }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const canonical = JSON.stringify({ server: plan.server, domain: plan.domain, what: plan.what, files });
  return createHash('sha256').update(canonical).digest('hex');
}

/** Why a change is refused when its plan is no longer the previewed one (null when it still is). */
export function staleConfirmReason(plan: ChangePlan, expected: string | undefined): string | null {
  if (expected === undefined || planDigest(plan) === expected) return null;
  return `${plan.domain} changed since its plan was shown (a file was edited, another change ran or the request differs); nothing was written. Look at the new plan and confirm again.`;
}
