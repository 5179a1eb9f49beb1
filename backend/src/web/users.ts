import { AuthError } from './errors.js';
import type { Role, TokenClaims } from './token.js';

/** Who is using the panel, after login (standalone) or token exchange (Plesk). */
export interface PanelUser {
  name: string;
  role: Role;
  /** '*' for admins; otherwise the exact domains the user may see and change. */
  domains: '*' | readonly string[];
  /**
   * The server the domain list is for: '*' for admins; a Plesk customer's domains are those of the Plesk
   * server the panel runs on, so the same name on another managed server is not theirs. Unset: no server.
   */
  server?: string;
  via: 'plesk' | 'login-link' | 'password';
}

/** What web/ needs to know about a job to decide who may watch it. */
export interface JobScope {
  id: string;
  /** bulk and server-wide jobs are admin-only, whatever domains they touch. */
  kind: 'single' | 'bulk' | 'server';
  domains: readonly string[];
  /** The server of a single-domain job (its domains' server), when known. */
  server?: string;
}

/** A Plesk token's user; its domains belong to `localServer`, the server this Plesk panel runs on. */
export function userFromClaims(claims: Pick<TokenClaims, 'sub' | 'role' | 'domains'>, localServer: string | undefined): PanelUser {
  const server = claims.role === 'admin' ? '*' : localServer;
  return { name: claims.sub, role: claims.role, domains: claims.domains, ...(server ? { server } : {}), via: 'plesk' };
}

export function isAdmin(user: PanelUser): boolean {
  return user.role === 'admin';
}

/**
 * Whether the user may see `domain`; with `server` (wherever the caller knows it), the domain must also
 * be on the user's server, so a customer's name never matches a namesake on another server.
 */
export function canSeeDomain(user: PanelUser, domain: string, server?: string): boolean {
  if (isAdmin(user)) return true;
  if (server !== undefined && user.server !== server) return false;
  return user.domains !== '*' && user.domains.includes(domain.toLowerCase());
}

/** The only server a user's domains may be looked up on: undefined for admins (any server). */
export function serverScopeOf(user: PanelUser): string | undefined {
  // An empty name matches no server: a customer without a known server sees none.
  return isAdmin(user) ? undefined : (user.server ?? '');
}

/** A non-admin sees a job only when it is a single-domain job on one of their own domains. */
export function canSeeJob(user: PanelUser, job: JobScope): boolean {
  if (isAdmin(user)) return true;
  if (job.kind !== 'single' || job.domains.length === 0) return false;
  if (job.server === undefined && user.server !== undefined) return false;
  return job.domains.every((domain) => canSeeDomain(user, domain, job.server));
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
