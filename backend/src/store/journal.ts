import type { Database, Statement } from 'better-sqlite3';
import { z } from 'zod';
import type { EventSink, StepEvent } from '../events.js';
import { newId } from './ids.js';
import { jsonText, nowIso, parseRow, toJson } from './json.js';
import { type DomainState, DomainStateSchema } from './states.js';

/** A change row's status is the state of that domain's change (store/states.ts). */
export type ChangeStatus = DomainState;

export interface ChangeRecord {
  id: string;
  jobId: string | undefined;
  server: string;
  domain: string | undefined;
  actor: string;
  /** e.g. 'apply', 'set', 'rollback', 'server-setting' */
  kind: string;
  request: unknown;
  plan: unknown;
  diff: string | undefined;
  verdict: string | undefined;
  checkpointId: string | undefined;
  status: ChangeStatus;
  createdAt: string;
  endedAt: string | undefined;
}

export interface NewChange {
  id?: string;
  jobId?: string | undefined;
  server: string;
  domain?: string | undefined;
  actor: string;
  kind: string;
  request: unknown;
  plan?: unknown;
  diff?: string | undefined;
  status?: ChangeStatus;
}

/** Fields to change; undefined leaves a field as it is, null clears it. */
export interface ChangePatch {
  plan?: unknown;
  diff?: string | null;
  verdict?: string | null;
  checkpointId?: string | null;
  status?: ChangeStatus;
  endedAt?: string | null;
}

/** One file as it was before a change: `existed: false` means the undo is to delete it. */
export interface CheckpointFile {
  path: string;
  existed: boolean;
  content: string | null;
  sha256: string | null;
  /** How `content` maps back to the exact bytes; utf8 unless the file was not valid UTF-8. */
  encoding?: 'utf8' | 'latin1';
  mode?: string | undefined;
}

export interface CheckpointRecord {
  id: string;
  server: string;
  domain: string | null;
  reason: string | undefined;
  files: CheckpointFile[];
  createdAt: string;
}

/** Which change or job an event belongs to (at least one). */
export interface EventOwner {
  changeId?: string | undefined;
  jobId?: string | undefined;
}

export interface EventRecord extends StepEvent {
  id: number;
  changeId: string | undefined;
  jobId: string | undefined;
}

const ChangeRowSchema = z.object({
  id: z.string(),
  job_id: z.string().nullable(),
  server: z.string(),
  domain: z.string().nullable(),
  actor: z.string(),
  kind: z.string(),
  request_json: jsonText,
  plan_json: jsonText.nullable(),
  diff: z.string().nullable(),
  verdict: z.string().nullable(),
  checkpoint_id: z.string().nullable(),
  status: DomainStateSchema,
  created_at: z.string(),
  ended_at: z.string().nullable(),
});

const EventRowSchema = z.object({
  id: z.number(),
  change_id: z.string().nullable(),
  job_id: z.string().nullable(),
  at: z.string(),
  step: z.string(),
  status: z.enum(['start', 'ok', 'fail', 'info']),
  server: z.string().nullable(),
  domain: z.string().nullable(),
  message: z.string(),
  data_json: jsonText.nullable(),
});

const CheckpointFileSchema = z.object({
  path: z.string(),
  existed: z.boolean(),
  content: z.string().nullable(),
  sha256: z.string().nullable(),
  encoding: z.enum(['utf8', 'latin1']).optional(),
  mode: z.string().optional(),
});

const CheckpointRowSchema = z.object({
  id: z.string(),
  server: z.string(),
  domain: z.string().nullable(),
  reason: z.string().nullable(),
  files_json: jsonText.pipe(z.array(CheckpointFileSchema)),
  created_at: z.string(),
});

function changeFromRow(row: unknown): ChangeRecord {
  const r = parseRow(ChangeRowSchema, 'changes', row);
  return {
    id: r.id,
    jobId: r.job_id ?? undefined,
    server: r.server,
    domain: r.domain ?? undefined,
    actor: r.actor,
    kind: r.kind,
    request: r.request_json,
    plan: r.plan_json ?? undefined,
    diff: r.diff ?? undefined,
    verdict: r.verdict ?? undefined,
    checkpointId: r.checkpoint_id ?? undefined,
    status: r.status,
    createdAt: r.created_at,
    endedAt: r.ended_at ?? undefined,
  };
}

function eventFromRow(row: unknown): EventRecord {
  const r = parseRow(EventRowSchema, 'events', row);
  const event: EventRecord = {
    id: r.id,
    changeId: r.change_id ?? undefined,
    jobId: r.job_id ?? undefined,
    at: r.at,
    step: r.step,
    status: r.status,
    message: r.message,
  };
  if (r.server !== null) event.server = r.server;
  if (r.domain !== null) event.domain = r.domain;
  if (r.data_json !== null) event.data = r.data_json;
  return event;
}

function checkpointFromRow(row: unknown): CheckpointRecord {
  const r = parseRow(CheckpointRowSchema, 'checkpoints', row);
  return {
    id: r.id,
    server: r.server,
    domain: r.domain,
    reason: r.reason ?? undefined,
    files: r.files_json.map((f) => ({
      path: f.path,
      existed: f.existed,
      content: f.content,
      sha256: f.sha256,
      ...(f.encoding ? { encoding: f.encoding } : {}),
      ...(f.mode !== undefined ? { mode: f.mode } : {}),
    })),
    createdAt: r.created_at,
  };
}

const PATCH_COLUMNS: Record<keyof ChangePatch, { column: string; json: boolean }> = {
  plan: { column: 'plan_json', json: true },
  diff: { column: 'diff', json: false },
  verdict: { column: 'verdict', json: false },
  checkpointId: { column: 'checkpoint_id', json: false },
  status: { column: 'status', json: false },
  endedAt: { column: 'ended_at', json: false },
};

/**
 * Changes, their events and checkpoints: the record of everything the panel did to a server. It fits
 * jobs/'s JournalPort structurally (checked where main.ts hands it over), so the store imports no layer.
 */
export class JournalRepository {
  private readonly db: Database;
  private readonly insertChange: Statement<Record<string, unknown>>;
  private readonly selectChange: Statement<[string], unknown>;
  private readonly insertEvent: Statement<Record<string, unknown>>;
  private readonly insertCheckpoint: Statement<Record<string, unknown>>;
  private readonly selectCheckpoint: Statement<[string], unknown>;

  constructor(db: Database) {
    this.db = db;
    this.insertChange = db.prepare(`
      INSERT INTO changes (id, job_id, server, domain, actor, kind, request_json, plan_json, diff, status, created_at)
      VALUES (@id, @jobId, @server, @domain, @actor, @kind, @request, @plan, @diff, @status, @createdAt)`);
    this.selectChange = db.prepare('SELECT * FROM changes WHERE id = ?');
    this.insertEvent = db.prepare(`
      INSERT INTO events (change_id, job_id, at, step, status, server, domain, message, data_json)
      VALUES (@changeId, @jobId, @at, @step, @status, @server, @domain, @message, @data)`);
    this.insertCheckpoint = db.prepare(`
      INSERT INTO checkpoints (id, server, domain, reason, files_json, created_at)
      VALUES (@id, @server, @domain, @reason, @files, @createdAt)`);
    this.selectCheckpoint = db.prepare('SELECT * FROM checkpoints WHERE id = ?');
  }

  createChange(input: NewChange): ChangeRecord {
    const id = input.id ?? newId('ch');
    this.insertChange.run({
      id,
      jobId: input.jobId ?? null,
      server: input.server,
      domain: input.domain ?? null,
      actor: input.actor,
      kind: input.kind,
      request: JSON.stringify(input.request ?? null),
      plan: toJson(input.plan),
      diff: input.diff ?? null,
      status: input.status ?? 'planned',
      createdAt: nowIso(),
    });
    return this.getChange(id) as ChangeRecord;
  }

  updateChange(id: string, patch: ChangePatch): ChangeRecord {
    const sets: string[] = [];
    const values: Record<string, unknown> = { id };
    for (const [key, value] of Object.entries(patch) as [keyof ChangePatch, unknown][]) {
      if (value === undefined || !(key in PATCH_COLUMNS)) continue;
      const { column, json } = PATCH_COLUMNS[key];
      sets.push(`${column} = @${key}`);
      values[key] = json ? JSON.stringify(value) : value;
    }
    if (sets.length > 0) this.db.prepare(`UPDATE changes SET ${sets.join(', ')} WHERE id = @id`).run(values);
    const change = this.getChange(id);
    if (!change) throw new Error(`no change with id ${id}`);
    return change;
  }

  getChange(id: string): ChangeRecord | undefined {
    const row = this.selectChange.get(id);
    return row ? changeFromRow(row) : undefined;
  }

  /** Newest first. */
  listChanges(filter: { server?: string; domain?: string; jobId?: string; limit?: number } = {}): ChangeRecord[] {
    const where: string[] = [];
    const values: Record<string, unknown> = { limit: filter.limit ?? 100 };
    if (filter.server !== undefined) {
      where.push('server = @server');
      values.server = filter.server;
    }
    if (filter.domain !== undefined) {
      where.push('domain = @domain');
      values.domain = filter.domain;
    }
    if (filter.jobId !== undefined) {
      where.push('job_id = @jobId');
      values.jobId = filter.jobId;
    }
    const sql = `SELECT * FROM changes ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, rowid DESC LIMIT @limit`;
    return this.db.prepare(sql).all(values).map(changeFromRow);
  }

  addEvent(owner: EventOwner, event: StepEvent): number {
    if (owner.changeId === undefined && owner.jobId === undefined) throw new Error('an event needs a change id or a job id');
    const result = this.insertEvent.run({
      changeId: owner.changeId ?? null,
      jobId: owner.jobId ?? null,
      at: event.at,
      step: event.step,
      status: event.status,
      server: event.server ?? null,
      domain: event.domain ?? null,
      message: event.message,
      data: toJson(event.data),
    });
    return Number(result.lastInsertRowid);
  }

  /** In the order they happened. */
  events(owner: EventOwner): EventRecord[] {
    const rows =
      owner.changeId !== undefined
        ? this.db.prepare('SELECT * FROM events WHERE change_id = ? ORDER BY id').all(owner.changeId)
        : this.db.prepare('SELECT * FROM events WHERE job_id = ? ORDER BY id').all(owner.jobId ?? null);
    return rows.map(eventFromRow);
  }

  /** An EventSink that journals every event, then hands it on (to the UI or the terminal). */
  sinkFor(owner: EventOwner, forward?: EventSink): EventSink {
    return (event) => {
      this.addEvent(owner, event);
      forward?.(event);
    };
  }

  saveCheckpoint(input: {
    id?: string;
    server: string;
    domain?: string | null;
    reason?: string;
    files: CheckpointFile[];
  }): CheckpointRecord {
    const id = input.id ?? newId('cp');
    this.insertCheckpoint.run({
      id,
      server: input.server,
      domain: input.domain ?? null,
      reason: input.reason ?? null,
      files: JSON.stringify(input.files),
      createdAt: nowIso(),
    });
    return this.getCheckpoint(id) as CheckpointRecord;
  }

  getCheckpoint(id: string): CheckpointRecord | undefined {
    const row = this.selectCheckpoint.get(id);
    return row ? checkpointFromRow(row) : undefined;
  }

  /** Newest first; all of a server's checkpoints when no domain is given. */
  listCheckpoints(server: string, domain?: string, limit = 50): CheckpointRecord[] {
    const rows =
      domain === undefined
        ? this.db.prepare('SELECT * FROM checkpoints WHERE server = ? ORDER BY created_at DESC, rowid DESC LIMIT ?').all(server, limit)
        : this.db
            .prepare('SELECT * FROM checkpoints WHERE server = ? AND domain = ? ORDER BY created_at DESC, rowid DESC LIMIT ?')
            .all(server, domain, limit);
    return rows.map(checkpointFromRow);
  }
}
