import type { DomainFileKind } from '../passenger/placement.js';
import { PLESK_PATHS } from './inventory-script.js';

/** The admin files Plesk includes per domain (`last_*.conf` are generated and never ours to write). */
export type AdminFileKind = DomainFileKind;

/** `/var/www/vhosts/system/<domain>/conf/<kind>.conf`: where Plesk looks for a domain's additional directives. */
export function adminConfPath(domain: string, kind: Exclude<AdminFileKind, 'htaccess'>): string {
  return `${PLESK_PATHS.systemDir}/${domain}/conf/${kind}.conf`;
}

/** The `.htaccess` of a document root. */
export function htaccessPath(documentRoot: string): string {
  return `${documentRoot.replace(/\/+$/, '')}/.htaccess`;
}

/** The kind of admin file a path names (by its file name, as Plesk lays them out). */
export function adminFileKindOf(path: string): AdminFileKind {
  if (path.endsWith('/.htaccess')) return 'htaccess';
  if (path.endsWith('/vhost_ssl.conf')) return 'vhost_ssl';
  if (path.endsWith('/vhost_nginx.conf')) return 'vhost_nginx';
  return 'vhost';
}
