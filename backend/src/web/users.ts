import { AuthError } from './errors.js';
import type { Role, TokenClaims } from './token.js';

/** Who is using the panel, after login (standalone) or token exchange (Plesk). */
export interface PanelUser {
  name: string;
  role: Role;
  /** '*' for admins; otherwise the exact domains the user may see and change. */
  domains: '*' | readonly string[];
  via: 'plesk' | 'login-link' | 'password';
}

/** What web/ needs to know about a job to decide who may watch it. */
export interface JobScope {
  id: string;
  /** bulk and server-wide jobs are admin-only, whatever domains they touch. */
  kind: 'single' | 'bulk' | 'server';
  domains: readonly string[];
}

export function userFromClaims(claims: TokenClaims): PanelUser {
  return { name: claims.sub, role: claims.role, domains: claims.domains, via: 'plesk' };
}

export function isAdmin(user: PanelUser): boolean {
  return user.role === 'admin';
}

export function canSeeDomain(user: PanelUser, domain: string): boolean {
  if (isAdmin(user)) return true;
  return user.domains !== '*' && user.domains.includes(domain.toLowerCase());
}

/** A non-admin sees a job only when it is a single-domain job on one of their own domains. */
export function canSeeJob(user: PanelUser, job: JobScope): boolean {
  if (isAdmin(user)) return true;
  if (job.kind !== 'single' || job.domains.length === 0) return false;
  return job.domains.every((domain) => canSeeDomain(user, domain));
}

export function assertCanSeeDomain(user: PanelUser, domain: string): void {
  if (!canSeeDomain(user, domain)) {
    throw new AuthError('domain_forbidden', `${user.name} may not open ${domain}.`, { status: 403 });
  }
}

export function assertAdmin(user: PanelUser, action: string): void {
  if (!isAdmin(user)) {
    throw new AuthError('admin_only', `${action} is for administrators only.`, { status: 403 });
  }
}
