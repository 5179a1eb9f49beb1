import type { ChangePlan } from '../apply/plan.js';
import type { DomainDiagnosis } from '../diagnose/diagnose.js';
import type { Verdict } from '../diagnose/findings.js';
import type { ChangeRequest } from '../jobs/change-service.js';
import type { DomainInventory } from '../plesk/inventory.js';
import type { JobEvent, JobEventBus } from '../jobs/event-bus.js';
import type { JobScope } from './users.js';

/**
 * What the pages need from the services the composition root builds. web/ owns these small ports so
 * that main.ts can adapt the inventory and job services to them without web/ reaching into their insides.
 */
export interface PanelServices {
  inventory?: InventoryPort;
  jobs?: JobsPort;
  domains?: DomainPort;
  bulk?: BulkPort;
}

export interface InventoryPort {
  /** Latest known state of every server (cached reads are fine; `readAt` says how old). */
  overview(): Promise<ServerOverview[]>;
  /** Read every server again now (admin action). */
  refresh?(): Promise<void>;
  /** Names of the managed servers, in configured order (Plesk mode: the first is the local one). */
  servers?(): string[];
}

export interface ServerOverview {
  server: string;
  readAt: string | null;
  /** Set when the server could not be read; its domains are then the last known ones, or none. */
  error?: string;
  domains: DomainOverview[];
}

export interface DomainOverview {
  name: string;
  verdict: Verdict | 'unknown';
  mainFinding: string | null;
  processCount: number;
  lastRestart: string | null;
}

export interface JobsPort {
  /** Who may watch the job; undefined for unknown ids. */
  scope(jobId: string): JobScope | undefined;
  events: JobEventBus;
  /** Events so far, so a page opened mid-job (or after it) can show them. */
  history?(jobId: string): readonly JobEvent[];
  /** The job's record and per-domain states, when the jobs are kept in the store. */
  describe?(jobId: string): JobView | undefined;
  /** Newest first, for the jobs list. */
  recent?(limit: number): JobView[];
}

/** A request the domain page can plan and start: the profile, plain edits, or a rollback (to the newest checkpoint). */
export type DomainRequest = ChangeRequest | { kind: 'rollback'; to?: string };

export interface DomainDetail {
  server: string;
  readAt: string;
  domain: DomainInventory;
  diagnosis: DomainDiagnosis;
  /** Passenger version and web server of the host, for the settings table. */
  passengerVersion: string;
}

export interface DomainHistoryEntry {
  id: string;
  kind: string;
  actor: string;
  status: string;
  verdict: string | null;
  createdAt: string;
  checkpointId: string | null;
  jobId: string | null;
  diff: string | null;
}

/**
 * The domain pages' services. `onServer` limits the lookup to one server (a customer's own); without it
 * the domain is looked up on every server (admins).
 */
export interface DomainPort {
  /** The domain as last read (a read younger than a minute is reused); null when no server hosts it. */
  detail(domain: string, onServer?: string): Promise<DomainDetail | null>;
  /** What a request would change; nothing is written. */
  plan(domain: string, request: DomainRequest, onServer?: string): Promise<ChangePlan>;
  /**
   * Starts the change as a job and returns at once; progress arrives on the job event bus. With
   * `expectPlan` (a plan digest) the job refuses, nothing written, if its plan is not that one.
   */
  start(
    domain: string,
    request: DomainRequest,
    actor: string,
    opts?: { onServer?: string; expectPlan?: string },
  ): Promise<{ jobId: string }>;
  history(domain: string, onServer?: string): Promise<DomainHistoryEntry[]>;
  /** The id of the domain's newest checkpoint (what a rollback restores), or null. */
  newestCheckpoint(domain: string, onServer?: string): Promise<string | null>;
}

/** What the job page shows beside the live events: the job's record and where each domain stands. */
export interface JobView {
  id: string;
  kind: string;
  status: string;
  actor: string;
  createdAt: string;
  endedAt: string | null;
  domains: Array<{ server: string; domain: string; state: string; message: string | null }>;
}

export interface BulkPort {
  /** Starts a bulk job of the profile over `server/domain` pairs; admin-only (the route checks). */
  start(selection: Array<{ server: string; domain: string }>, profile: string, actor: string): Promise<{ jobId: string }>;
}
