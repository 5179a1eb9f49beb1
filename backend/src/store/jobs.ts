import type { Database, Statement } from 'better-sqlite3';
import { newId } from './ids.js';
import { fromJson, nowIso, toJson } from './json.js';

/** 'interrupted' is set at start-up for jobs that were running when the backend stopped. */
export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'partial' | 'cancelled' | 'interrupted';

export interface JobRecord {
  id: string;
  /** e.g. 'apply', 'bulk', 'rollback', 'verify' */
  kind: string;
  actor: string;
  request: unknown;
  plan: unknown;
  status: JobStatus;
  summary: unknown;
  createdAt: string;
  updatedAt: string;
  endedAt: string | undefined;
}

/** Where one domain of a job stands; the job runner defines the states it uses (planned, written, verified, ...). */
export interface JobDomainState {
  jobId: string;
  server: string;
  domain: string;
  state: string;
  changeId: string | undefined;
  message: string | undefined;
  updatedAt: string;
}

interface JobRow {
  id: string;
  kind: string;
  actor: string;
  request_json: string;
  plan_json: string | null;
  status: JobStatus;
  summary_json: string | null;
  created_at: string;
  updated_at: string;
  ended_at: string | null;
}

interface JobDomainRow {
  job_id: string;
  server: string;
  domain: string;
  state: string;
  change_id: string | null;
  message: string | null;
  updated_at: string;
}

function jobFromRow(r: JobRow): JobRecord {
  return {
    id: r.id,
    kind: r.kind,
    actor: r.actor,
    request: fromJson(r.request_json),
    plan: fromJson(r.plan_json),
    status: r.status,
    summary: fromJson(r.summary_json),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    endedAt: r.ended_at ?? undefined,
  };
}

function domainFromRow(r: JobDomainRow): JobDomainState {
  return {
    jobId: r.job_id,
    server: r.server,
    domain: r.domain,
    state: r.state,
    changeId: r.change_id ?? undefined,
    message: r.message ?? undefined,
    updatedAt: r.updated_at,
  };
}

const UNFINISHED: JobStatus[] = ['queued', 'running'];

export class JobsRepository {
  private readonly db: Database;
  private readonly insertJob: Statement<Record<string, unknown>>;
  private readonly selectJob: Statement<[string], JobRow>;
  private readonly upsertDomain: Statement<Record<string, unknown>>;
  private readonly selectDomains: Statement<[string], JobDomainRow>;

  constructor(db: Database) {
    this.db = db;
    this.insertJob = db.prepare(`
      INSERT INTO jobs (id, kind, actor, request_json, plan_json, status, created_at, updated_at)
      VALUES (@id, @kind, @actor, @request, @plan, @status, @now, @now)`);
    this.selectJob = db.prepare('SELECT * FROM jobs WHERE id = ?');
    this.upsertDomain = db.prepare(`
      INSERT INTO job_domains (job_id, server, domain, state, change_id, message, updated_at)
      VALUES (@jobId, @server, @domain, @state, @changeId, @message, @now)
      ON CONFLICT (job_id, server, domain) DO UPDATE SET
        state = excluded.state,
        change_id = COALESCE(excluded.change_id, job_domains.change_id),
        message = excluded.message,
        updated_at = excluded.updated_at`);
    this.selectDomains = db.prepare('SELECT * FROM job_domains WHERE job_id = ? ORDER BY server, domain');
  }

  create(input: { id?: string; kind: string; actor: string; request: unknown; plan?: unknown; status?: JobStatus }): JobRecord {
    const id = input.id ?? newId('job');
    this.insertJob.run({
      id,
      kind: input.kind,
      actor: input.actor,
      request: JSON.stringify(input.request ?? null),
      plan: toJson(input.plan),
      status: input.status ?? 'queued',
      now: nowIso(),
    });
    return this.get(id) as JobRecord;
  }

  update(id: string, patch: { status?: JobStatus; plan?: unknown; summary?: unknown; endedAt?: string }): JobRecord {
    const result = this.db
      .prepare(`
      UPDATE jobs SET
        status = COALESCE(@status, status),
        plan_json = COALESCE(@plan, plan_json),
        summary_json = COALESCE(@summary, summary_json),
        ended_at = COALESCE(@endedAt, ended_at),
        updated_at = @now
      WHERE id = @id`)
      .run({
        id,
        status: patch.status ?? null,
        plan: toJson(patch.plan),
        summary: toJson(patch.summary),
        endedAt: patch.endedAt ?? null,
        now: nowIso(),
      });
    if (result.changes === 0) throw new Error(`no job with id ${id}`);
    return this.get(id) as JobRecord;
  }

  get(id: string): JobRecord | undefined {
    const row = this.selectJob.get(id);
    return row ? jobFromRow(row) : undefined;
  }

  /** Newest first. */
  list(filter: { status?: JobStatus; limit?: number } = {}): JobRecord[] {
    const rows =
      filter.status === undefined
        ? this.db.prepare('SELECT * FROM jobs ORDER BY created_at DESC, rowid DESC LIMIT ?').all(filter.limit ?? 100)
        : this.db
            .prepare('SELECT * FROM jobs WHERE status = ? ORDER BY created_at DESC, rowid DESC LIMIT ?')
            .all(filter.status, filter.limit ?? 100);
    return (rows as JobRow[]).map(jobFromRow);
  }

  setDomainState(jobId: string, server: string, domain: string, state: string, extra: { changeId?: string; message?: string } = {}): void {
    this.upsertDomain.run({
      jobId,
      server,
      domain,
      state,
      changeId: extra.changeId ?? null,
      message: extra.message ?? null,
      now: nowIso(),
    });
  }

  domainStates(jobId: string): JobDomainState[] {
    return this.selectDomains.all(jobId).map(domainFromRow);
  }

  /**
   * Marks jobs left queued/running by a previous process as interrupted and returns them,
   * so start-up can offer resume or rollback instead of pretending they still run.
   */
  markInterrupted(): JobRecord[] {
    const placeholders = UNFINISHED.map(() => '?').join(', ');
    const rows = this.db.prepare(`SELECT * FROM jobs WHERE status IN (${placeholders})`).all(...UNFINISHED) as JobRow[];
    const mark = this.db.prepare(`UPDATE jobs SET status = 'interrupted', updated_at = ? WHERE id = ?`);
    this.db.transaction(() => {
      for (const row of rows) mark.run(nowIso(), row.id);
    })();
    return rows.map((r) => ({ ...jobFromRow(r), status: 'interrupted' as const }));
  }
}
