import type { Verdict } from '../diagnose/findings.js';
import type { JobEvent, JobEventBus } from '../jobs/event-bus.js';
import type { JobScope } from './users.js';

/**
 * What the pages need from the services the composition root builds. web/ owns these small ports so
 * that main.ts can adapt the inventory and job services to them without web/ reaching into their insides.
 */
export interface PanelServices {
  inventory?: InventoryPort;
  jobs?: JobsPort;
}

export interface InventoryPort {
  /** Latest known state of every server (cached reads are fine; `readAt` says how old). */
  overview(): Promise<ServerOverview[]>;
  /** Read every server again now (admin action). */
  refresh?(): Promise<void>;
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
}
