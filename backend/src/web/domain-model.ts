import type { ChangePlan, RequestedSetting } from '../apply/plan.js';
import { ValidationError } from '../errors.js';
import { CATALOG, directiveName, type DirectiveSpec, type DirectiveValue, type CatalogSpec } from '../passenger/catalog.js';
import { chooseDomainTarget } from '../passenger/placement.js';
import { checkValue } from '../passenger/value-check.js';
import type { DomainInventory, ResolvedSetting } from '../plesk/inventory.js';
import type { DomainDetail, DomainHistoryEntry, DomainRequest } from './services.js';

/** Form field names: `set.<catalog key>` holds a new value, `unset.<key>` asks to take our line out. */
const SET_PREFIX = 'set.';
const UNSET_PREFIX = 'unset.';
/** The confirm form's field holding the digest of the plan it confirms. */
export const PLAN_DIGEST_FIELD = 'planDigest';

const SOURCE_LABELS: Record<ResolvedSetting['source'], string> = {
  default: 'Passenger default',
  server: 'server config',
  domain: 'domain config',
  htaccess: '.htaccess',
};

const VERDICT_LABELS: Record<string, string> = { safe: 'Safe', 'at-risk': 'At risk', broken: 'Broken', unknown: 'Unknown' };

export function verdictLabel(verdict: string): string {
  return VERDICT_LABELS[verdict] ?? verdict;
}

/** Directives a domain's owner may tune here: per-domain knobs that open source Passenger accepts. */
export function editableDirectives(domain: Pick<DomainInventory, 'mode' | 'htaccessOverrides'>): CatalogSpec[] {
  return CATALOG.filter((spec) => {
    if (spec.identity || spec.serverOnly || spec.enterpriseOnly) return false;
    try {
      chooseDomainTarget(spec, domain);
      return true;
    } catch {
      return false;
    }
  });
}

export interface EditForm {
  /** Raw text per key, as typed (so the form shows it back beside its error). */
  values: Record<string, string>;
  unset: Record<string, boolean>;
  errors: Record<string, string>;
}

export const EMPTY_FORM: EditForm = { values: {}, unset: {}, errors: {} };

/**
 * Reads the edit form, checks each filled field against the catalog for the file it would go to
 * (type, range, characters, placement), and returns the settings to plan, or the errors per field.
 */
export function readEditForm(
  body: Record<string, unknown>,
  domain: Pick<DomainInventory, 'mode' | 'htaccessOverrides'>,
): { form: EditForm; settings: RequestedSetting[] } {
  const form: EditForm = { values: {}, unset: {}, errors: {} };
  const settings: RequestedSetting[] = [];
  for (const spec of editableDirectives(domain)) {
    const raw = body[`${SET_PREFIX}${spec.key}`];
    if (raw !== undefined && typeof raw !== 'string') {
      // A repeated field (an array) or a JSON value is no form the page sends: refuse it by name, never drop it.
      form.errors[spec.key] = `${spec.key}: give one text value.`;
      continue;
    }
    // Only plain spaces are forgiven; a line break or other control character reaches checkValue and is refused.
    const text = (raw ?? '').replace(/^ +| +$/g, '');
    const unset = body[`${UNSET_PREFIX}${spec.key}`] !== undefined;
    if (text !== '') form.values[spec.key] = text;
    if (unset) form.unset[spec.key] = true;
    if (unset && text !== '') {
      form.errors[spec.key] = "Either give a new value or remove the panel's setting, not both.";
      continue;
    }
    if (unset) {
      settings.push({ key: spec.key, value: null });
      continue;
    }
    if (text === '') continue;
    try {
      const checked = checkValue(spec.key, text as DirectiveValue, chooseDomainTarget(spec, domain).placement);
      settings.push({ key: spec.key, value: checked.value });
    } catch (err) {
      form.errors[spec.key] = err instanceof ValidationError ? err.describe() : String(err);
    }
  }
  return { form, settings };
}

/** The request carried by the plan/confirm forms. */
export function readRequest(
  body: Record<string, unknown>,
  domain: Pick<DomainInventory, 'mode' | 'htaccessOverrides'>,
): { request: DomainRequest | null; form: EditForm } {
  const action = body.action;
  if (action === 'profile') return { request: { kind: 'profile', profile: 'socketio-safe' }, form: EMPTY_FORM };
  if (action === 'rollback') return { request: { kind: 'rollback' }, form: EMPTY_FORM };
  if (action === 'set') {
    const { form, settings } = readEditForm(body, domain);
    if (Object.keys(form.errors).length > 0) return { request: null, form };
    if (settings.length === 0)
      return {
        request: null,
        form: { ...form, errors: { _form: 'Fill in at least one field (or tick "remove") before asking for a plan.' } },
      };
    return { request: { kind: 'set', settings }, form };
  }
  throw new ValidationError('Unknown action on this domain.', { field: 'action', hint: 'use the buttons of the domain page' });
}

function showValue(value: DirectiveValue | null | undefined): string {
  if (value === null || value === undefined) return '(decided by Passenger)';
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  return String(value);
}

export interface DomainPageOptions {
  detail: DomainDetail | null;
  domainName: string;
  basePath: string;
  history: DomainHistoryEntry[];
  form?: EditForm;
  /** The plan shown for confirmation, its request, and its digest (jobs/plan-digest.ts) that the confirm form carries. */
  plan?: { plan: ChangePlan; request: DomainRequest; digest: string } | null;
  jobId?: string | null;
  canRollback: boolean;
  error?: string | null;
}

/** Everything domain.hbs shows. */
export function buildDomainModel(options: DomainPageOptions) {
  const { detail, basePath } = options;
  const form = options.form ?? EMPTY_FORM;
  const base = `${basePath}/domains/${encodeURIComponent(options.domainName)}`;
  if (!detail) {
    return { domain: options.domainName, found: false, base, error: options.error ?? null };
  }
  const d = detail.domain;
  const server = d.mode;
  const settings = CATALOG.filter((spec) => !spec.enterpriseOnly && d.effective[spec.key] !== undefined).map((spec) => {
    const setting = d.effective[spec.key] as ResolvedSetting;
    return {
      key: spec.key,
      name: directiveName(spec, server),
      value: showValue(setting.value),
      source: SOURCE_LABELS[setting.source],
      sourceKind: setting.source,
      where: setting.file ? `${setting.file}${setting.line ? `:${setting.line}` : ''}` : null,
      explain: spec.explain,
      identity: spec.identity,
    };
  });
  const fields = editableDirectives(d).map((spec) => {
    const current = d.effective[spec.key];
    const target = chooseDomainTarget(spec, d);
    return {
      key: spec.key,
      id: `f-${spec.key}`,
      name: directiveName(spec, server),
      inputName: `${SET_PREFIX}${spec.key}`,
      unsetName: `${UNSET_PREFIX}${spec.key}`,
      type: spec.type,
      isBoolean: spec.type === 'boolean',
      isInteger: spec.type === 'integer',
      range: spec.type === 'integer' ? rangeText(spec) : null,
      current: showValue(current?.value),
      currentSource: current ? SOURCE_LABELS[current.source] : 'unknown',
      value: form.values[spec.key] ?? '',
      unset: form.unset[spec.key] === true,
      error: form.errors[spec.key] ?? null,
      file: target.files.map((k) => (k === 'htaccess' ? '.htaccess' : `${k}.conf`)).join(' + '),
      reload: target.needsReload,
      explain: spec.explain,
    };
  });
  const plan = options.plan
    ? {
        ...options.plan.plan,
        kind: options.plan.request.kind,
        heading:
          options.plan.request.kind === 'profile'
            ? 'Plan: make Socket.IO safe'
            : options.plan.request.kind === 'rollback'
              ? 'Plan: roll back the last change'
              : 'Plan: apply your edits',
        settingsShown: options.plan.plan.settings.map((s) => ({
          ...s,
          valueText: s.value === null ? '(removed)' : showValue(s.value),
          filesText: s.files.join(', '),
        })),
        filesShown: options.plan.plan.files.map((f) => ({
          path: f.path,
          needsReload: f.needsReload,
          created: !f.existedBefore && f.existsAfter,
          lines: diffLines(f.diff),
        })),
        hidden: [...hiddenFields(options.plan.request), { name: PLAN_DIGEST_FIELD, value: options.plan.digest }],
      }
    : null;
  return {
    domain: d.name,
    found: true,
    base,
    server: detail.server,
    readAt: detail.readAt,
    passengerVersion: detail.passengerVersion,
    verdict: detail.diagnosis.verdict,
    verdictLabel: verdictLabel(detail.diagnosis.verdict),
    app: {
      root: d.appRoot,
      startupFile: d.startupFile,
      nodeVersion: d.nodeVersion ?? null,
      mode: d.mode === 'apache' ? 'Apache (nginx in front)' : 'nginx',
      scheme: d.httpOnly ? 'http only' : d.https ? 'https and http' : 'http',
      socketIoPath: d.socketIoPath,
      processes: d.processes.length,
      htaccess: d.htaccessOverrides ? 'allowed' : 'not allowed',
    },
    findings: detail.diagnosis.findings.map((f) => ({
      ...f,
      isInfo: f.severity === 'info',
      severityLabel: f.severity === 'critical' ? 'Critical' : f.severity === 'warning' ? 'Warning' : 'Note',
    })),
    settings,
    fields,
    formError: form.errors._form ?? null,
    hasFormErrors: Object.keys(form.errors).length > 0,
    plan,
    jobId: options.jobId ?? null,
    canRollback: options.canRollback,
    history: options.history.map((h) => ({
      ...h,
      diffLines: h.diff ? diffLines(h.diff) : [],
      jobHref: h.jobId ? `${basePath}/jobs/${encodeURIComponent(h.jobId)}` : null,
    })),
    error: options.error ?? null,
  };
}

function rangeText(spec: DirectiveSpec): string | null {
  if (spec.min !== undefined && spec.max !== undefined) return `${spec.min} to ${spec.max}`;
  if (spec.min !== undefined) return `at least ${spec.min}`;
  if (spec.max !== undefined) return `at most ${spec.max}`;
  return null;
}

/** Diff lines with a class each, so added/removed lines are coloured without client code. */
function diffLines(diff: string): Array<{ text: string; kind: string }> {
  return diff
    .replace(/\n$/, '')
    .split('\n')
    .map((text) => ({
      text,
      kind:
        text.startsWith('+++') || text.startsWith('---')
          ? 'head'
          : text.startsWith('@@')
            ? 'hunk'
            : text.startsWith('+')
              ? 'add'
              : text.startsWith('-')
                ? 'del'
                : 'ctx',
    }));
}

/** The confirm form repeats the request exactly as planned. */
function hiddenFields(request: DomainRequest): Array<{ name: string; value: string }> {
  switch (request.kind) {
    case 'profile':
      return [{ name: 'action', value: 'profile' }];
    case 'rollback':
      return [{ name: 'action', value: 'rollback' }];
    case 'set':
      return [
        { name: 'action', value: 'set' },
        ...request.settings.map((s) =>
          s.value === null
            ? { name: `${UNSET_PREFIX}${s.key}`, value: '1' }
            : { name: `${SET_PREFIX}${s.key}`, value: typeof s.value === 'boolean' ? (s.value ? 'on' : 'off') : String(s.value) },
        ),
      ];
  }
}
