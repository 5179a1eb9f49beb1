/**
 * Where a directive sits (its context, from the file and the enclosing sections) and which of a
 * domain's files the panel writes it to.
 */
import type { ApacheContext, DirectiveSpec, NginxContext, WebServer } from './catalog.js';
import type { BlockRef, ParsedDirective } from './parsed-config.js';
import { type Placement, checkPlacement } from './value-check.js';

/** The per-domain files Plesk leaves to the admin, and the document root's .htaccess. */
export type DomainFileKind = 'vhost' | 'vhost_ssl' | 'vhost_nginx' | 'htaccess';

/** Where a config file is included: what its top level means. */
export type FileBase = { server: 'apache'; base: 'server' | 'vhost' | 'htaccess' } | { server: 'nginx'; base: 'http' | 'server' };

/** Plesk includes vhost*.conf inside `<VirtualHost>` and vhost_nginx.conf inside `server { }`. */
export function baseOfDomainFile(kind: DomainFileKind): FileBase {
  switch (kind) {
    case 'vhost':
    case 'vhost_ssl':
      return { server: 'apache', base: 'vhost' };
    case 'htaccess':
      return { server: 'apache', base: 'htaccess' };
    case 'vhost_nginx':
      return { server: 'nginx', base: 'server' };
  }
}

/**
 * Where a domain-level file is included, judged by its name as Plesk names them: `.htaccess`, the
 * generated `last_*.conf` (top level = server config / http), else an admin file inside the vhost.
 */
export function fileBaseOfPath(path: string | undefined, server: WebServer): FileBase {
  const name = (path ?? '').split('/').pop() ?? '';
  if (server === 'apache') {
    if (name === '.htaccess') return { server: 'apache', base: 'htaccess' };
    return { server: 'apache', base: name.startsWith('last_') ? 'server' : 'vhost' };
  }
  return { server: 'nginx', base: name.startsWith('last_') ? 'http' : 'server' };
}

const apacheDirectorySections = new Set([
  'directory',
  'directorymatch',
  'location',
  'locationmatch',
  'files',
  'filesmatch',
  'proxy',
  'proxymatch',
]);

/** The context a directive is in, given where its file is included and the sections around it. */
export function contextAt(file: FileBase, blocks: readonly Pick<BlockRef, 'name'>[]): Placement {
  if (file.server === 'apache') {
    if (file.base === 'htaccess') return { server: 'apache', context: 'htaccess' };
    let context: ApacheContext = file.base;
    for (const b of blocks) {
      const name = b.name.toLowerCase();
      if (name === 'virtualhost' && context === 'server') context = 'vhost';
      else if (apacheDirectorySections.has(name)) context = 'directory';
    }
    return { server: 'apache', context };
  }
  let context: NginxContext = file.base;
  for (const b of blocks) {
    if (b.name === 'server' && context === 'http') context = 'server';
    else if (b.name === 'location' || b.name === 'if') context = 'location';
  }
  return { server: 'nginx', context };
}

export function contextOfDirective(directive: ParsedDirective, file: FileBase): Placement {
  return contextAt(file, directive.blocks);
}

export interface DomainTarget {
  /** The files to write, in order; Apache gets both vhost files so http and https agree. */
  files: DomainFileKind[];
  placement: Placement;
  needsReload: boolean;
}

/**
 * Which file(s) of a domain a directive goes to: the document root's .htaccess where it is
 * allowed and takes effect there and overrides are on (no reload, so no other app restarts),
 * else the vhost files under Apache, or vhost_nginx.conf when Passenger runs inside nginx.
 * Throws ValidationError for directives that must never be written per domain.
 */
export function chooseDomainTarget(spec: DirectiveSpec, domain: { mode: WebServer; htaccessOverrides: boolean }): DomainTarget {
  if (domain.mode === 'nginx') {
    const placement: Placement = { server: 'nginx', context: 'server' };
    checkPlacement(spec, placement);
    return { files: ['vhost_nginx'], placement, needsReload: true };
  }
  if (domain.htaccessOverrides && spec.contexts.apache.includes('htaccess') && !spec.enterpriseOnly) {
    return { files: ['htaccess'], placement: { server: 'apache', context: 'htaccess' }, needsReload: false };
  }
  const placement: Placement = { server: 'apache', context: 'vhost' };
  checkPlacement(spec, placement);
  return { files: ['vhost', 'vhost_ssl'], placement, needsReload: true };
}

/** A .htaccess change is read on the next request; every other file needs a web-server reload. */
export function fileNeedsReload(kind: DomainFileKind): boolean {
  return kind !== 'htaccess';
}

export function placementOfFile(kind: DomainFileKind): Placement {
  return contextAt(baseOfDomainFile(kind), []);
}
