/**
 * Batch forms of the apply primitives, for many domains of ONE server at once: one read of every
 * file, one checkpoint set, one write, at most one Plesk regeneration, one config test and at most one
 * reload. The single-domain flow (executor.ts) stays the reference; these reuse its pieces (plan from
 * files, guarded states, config test, reload) and only change how many round trips they take.
 */
import { PanelError } from '../errors.js';
import type { WebServer } from '../passenger/catalog.js';
import type { DomainInventory, ServerInventory } from '../plesk/inventory.js';
import { configTest, reloadWebServer, regenerateDomain, WebServerError } from '../plesk/web-server.js';
import { readFiles, type RemoteFile } from '../ssh/files.js';
import type { SshSession } from '../ssh/session.js';
import type { CheckpointFileCopy } from './executor.js';
import { type ChangePlan, type FileChange, type FileKind, type RequestedSetting, planFromFiles } from './plan.js';
import { ABSENT, decodeExact, putFileStates, shaOf } from './remote-files.js';
import { sha256Hex } from '../ssh/files.js';
import type { Finding } from '../diagnose/findings.js';

type CurrentFiles = Map<FileKind, { path: string; text: string | null; sha256: string; encoding: 'utf8' | 'latin1' }>;

const KINDS: FileKind[] = ['vhost', 'vhost_ssl', 'vhost_nginx', 'htaccess'];

/** The admin files a plan may touch for a domain (same choice as plan.ts makes for one domain). */
function candidatePaths(domain: DomainInventory): Array<{ kind: FileKind; path: string }> {
  return KINDS.filter((k) => k !== 'vhost_nginx' || domain.mode === 'nginx' || domain.files.some((f) => f.kind === k)).map((kind) => {
    const known = domain.files.find((f) => f.kind === kind);
    const path = known
      ? known.path
      : kind === 'htaccess'
        ? `${domain.documentRoot.replace(/\/+$/, '')}/.htaccess`
        : `/var/www/vhosts/system/${domain.name}/conf/${kind}.conf`;
    return { kind, path };
  });
}

export interface BatchPlanInput {
  domain: DomainInventory;
  settings: readonly RequestedSetting[];
  what: string;
  findings?: Finding[];
}

/**
 * Plans for many domains from ONE remote read of all their admin files. A domain whose request the
 * catalog refuses comes back as an error beside the others instead of failing the batch.
 */
export async function planBatch(
  session: SshSession,
  inventory: ServerInventory,
  inputs: readonly BatchPlanInput[],
): Promise<Array<{ domain: string; plan?: ChangePlan; error?: PanelError }>> {
  const targets = inputs.map((i) => candidatePaths(i.domain));
  const files = await readFiles(
    session,
    targets.flat().map((t) => t.path),
  );
  let at = 0;
  return inputs.map((input, i) => {
    const current: CurrentFiles = new Map();
    for (const t of targets[i] as Array<{ kind: FileKind; path: string }>) {
      const f = files[at++] as RemoteFile;
      const decoded = decodeExact(f.bytes);
      current.set(t.kind, { path: f.path, text: f.exists ? decoded.text : null, sha256: shaOf(f), encoding: decoded.encoding });
    }
    try {
      const plan = planFromFiles(inventory, input.domain, current, input.settings, {
        what: input.what,
        ...(input.findings ? { findings: input.findings } : {}),
      });
      return { domain: input.domain.name, plan };
    } catch (err) {
      if (err instanceof PanelError) return { domain: input.domain.name, error: err };
      throw err;
    }
  });
}

/** sha256 of the bytes a plan leaves in a file (ABSENT when the plan removes it). */
export function afterSha(f: FileChange): string {
  return f.existsAfter ? sha256Hex(Buffer.from(f.after, f.encoding)) : ABSENT;
}

/** Where a domain's files stand against its plan: untouched, fully written, half, or changed by someone else. */
export type FileSideState = 'before' | 'after' | 'partial' | 'foreign';

export function classifyAgainstPlan(plan: ChangePlan, shaByPath: ReadonlyMap<string, string>): FileSideState {
  let before = 0;
  let after = 0;
  for (const f of plan.files) {
    const now = shaByPath.get(f.path);
    const isAfter = now === afterSha(f);
    const isBefore = now === f.beforeSha256;
    if (isAfter) after += 1;
    else if (isBefore) before += 1;
    else return 'foreign';
  }
  if (after === plan.files.length) return 'after';
  if (before === plan.files.length) return 'before';
  return 'partial';
}

/** Reads the sha256 of every file of many plans in one round trip. */
export async function readPlanHashes(
  session: SshSession,
  plans: readonly ChangePlan[],
): Promise<{ sha: Map<string, string>; files: Map<string, RemoteFile> }> {
  const paths = [...new Set(plans.flatMap((p) => p.files.map((f) => f.path)))];
  const read = await readFiles(session, paths);
  return { sha: new Map(read.map((f) => [f.path, shaOf(f)])), files: new Map(read.map((f) => [f.path, f])) };
}

export interface BatchCheckpoint {
  domain: string;
  /** 'ok' when every file matched the plan's guard and was copied; otherwise why the domain is refused. */
  status: 'ok' | 'changed';
  copies: CheckpointFileCopy[];
  message?: string;
}

/**
 * The checkpoint set: one read of every file of every plan; a domain whose files no longer match the
 * plan's guard hashes is refused on its own (someone edited it), the others get their exact copies.
 */
export async function checkpointBatch(session: SshSession, plans: readonly ChangePlan[]): Promise<BatchCheckpoint[]> {
  const { files } = await readPlanHashes(session, plans);
  return plans.map((plan) => {
    const changed = plan.files.filter((f) => shaOf(files.get(f.path) as RemoteFile) !== f.beforeSha256);
    if (changed.length > 0) {
      return {
        domain: plan.domain,
        status: 'changed',
        copies: [],
        message: `${changed.map((f) => f.path).join(', ')} changed since the plan was made; nothing written for this domain`,
      };
    }
    const copies = plan.files.map((f) => {
      const file = files.get(f.path) as RemoteFile;
      return { path: f.path, existed: file.exists, bytes: file.bytes, sha256: shaOf(file), ...(file.mode ? { mode: file.mode } : {}) };
    });
    return { domain: plan.domain, status: 'ok', copies };
  });
}

/** Every file of every plan put in its planned state, in one write (each file atomically). */
export async function writeBatch(session: SshSession, plans: readonly ChangePlan[]): Promise<void> {
  const files = plans.flatMap((p) => p.files);
  await putFileStates(
    session,
    files.map((f) => ({ path: f.path, bytes: f.existsAfter ? Buffer.from(f.after, f.encoding) : undefined })),
  );
}

/** Files back to their checkpoint copies, for many domains in one write. */
export async function restoreBatch(session: SshSession, copies: readonly CheckpointFileCopy[]): Promise<void> {
  await putFileStates(
    session,
    copies.map((c) => ({ path: c.path, bytes: c.existed ? c.bytes : undefined })),
  );
}

export interface BringUpResult {
  configTests: number;
  reloads: number;
  regenerated: string[];
  testOutput: string;
}

/**
 * After a batch write: at most one Plesk regeneration (for domains whose set of admin files changed:
 * one domain by name, several through --reconfigure-all, each of which tests and reloads by itself),
 * then one config test over the whole tree, then one reload of each web server that runs a changed
 * domain, unless the regeneration already reloaded it or every change is .htaccess-level.
 * Throws WebServerError('config_test_failed') when the test rejects the tree.
 */
export async function bringUpBatch(
  session: SshSession,
  plans: readonly ChangePlan[],
  webServerOf: (domain: string) => WebServer,
): Promise<BringUpResult> {
  const result: BringUpResult = { configTests: 0, reloads: 0, regenerated: [], testOutput: '' };
  const regenerate = plans.filter((p) => p.regenerateNeeded).map((p) => p.domain);
  const instanceBefore = plans.some((p) => p.reloadNeeded || p.regenerateNeeded) ? await passengerInstance(session) : undefined;
  if (regenerate.length === 1) {
    await regenerateDomain(session, regenerate[0] as string);
  } else if (regenerate.length > 1) {
    const res = await session.exec(['plesk', 'sbin', 'httpdmng', '--reconfigure-all'], { allowFail: true, timeoutMs: 300_000 });
    if (res.code !== 0) {
      throw new WebServerError(
        'plesk_reconfigure',
        'plesk could not regenerate the web-server config',
        res.stderr || res.stdout,
        'read the message above; Plesk keeps its previous generated config when its own test fails',
      );
    }
  }
  result.regenerated = regenerate;
  if (regenerate.length > 0) result.reloads += 1;

  const reloadTargets = new Set<WebServer>();
  const testTargets = new Set<WebServer>();
  for (const p of plans) {
    const ws = webServerOf(p.domain);
    testTargets.add(ws);
    if (p.files.some((f) => f.kind === 'vhost_nginx')) testTargets.add('nginx');
    if (p.reloadNeeded) reloadTargets.add(ws);
  }
  if (regenerate.length > 0) testTargets.add('nginx');
  const test = await configTest(session, [...testTargets]);
  result.configTests += 1;
  result.testOutput = test.output;
  if (!test.ok) {
    throw new WebServerError(
      'config_test_failed',
      "The web server's config test rejected the batch",
      test.output,
      'the batch is being restored from its checkpoints; find the domain whose directive the test names',
    );
  }
  if (regenerate.length === 0) {
    for (const ws of reloadTargets) {
      await reloadWebServer(session, ws);
      result.reloads += 1;
    }
  }
  if (result.reloads > 0) await waitForNewPassenger(session, instanceBefore, reloadTargets.has('apache') || regenerate.length > 0);
  return result;
}

/** The running Passenger instance's id (`Instance:` of passenger-status), or undefined when none answers. */
async function passengerInstance(session: SshSession): Promise<string | undefined> {
  const res = await session.exec(['passenger-status'], { allowFail: true, timeoutMs: 30_000 });
  return res.code === 0 ? /^Instance:\s*(\S+)/m.exec(res.stdout)?.[1] : undefined;
}

/**
 * A graceful reload returns at once, but the server re-reads every vhost and Passenger starts a new core
 * (seconds on a server with hundreds of domains). Verifying before that would judge the old generation
 * or find no Passenger at all, so wait, bounded, for a new instance to answer.
 */
async function waitForNewPassenger(
  session: SshSession,
  before: string | undefined,
  expectNewInstance: boolean,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = await passengerInstance(session);
    if (now !== undefined && (!expectNewInstance || now !== before)) return;
    if (Date.now() > deadline) {
      throw new WebServerError(
        'web_server_reload',
        `Passenger did not answer with a new instance within ${timeoutMs / 1000} s after the reload`,
        '',
        'check the web server error log; the config test passed, so the reload itself is what is slow or failing',
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
