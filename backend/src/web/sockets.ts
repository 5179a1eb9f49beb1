import type { Server as HttpServer, IncomingMessage } from 'node:http';
import { Server as SocketServer, type Socket } from 'socket.io';
import type { JobEvent } from '../jobs/event-bus.js';
import { SESSION_COOKIE } from './auth.js';
import { readCookie, type Session, type SessionStore } from './sessions.js';
import type { JobsPort } from './services.js';
import { canSeeJob, type PanelUser } from './users.js';

export interface ServerToClientEvents {
  'job:event': (event: JobEvent) => void;
}

export type WatchReply = { ok: true; history: readonly JobEvent[] } | { ok: false; error: string };

export interface ClientToServerEvents {
  'job:watch': (jobId: string, reply: (result: WatchReply) => void) => void;
  'job:unwatch': (jobId: string) => void;
}

interface SocketData {
  user: PanelUser;
  sessionId: string;
}

type PanelSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
export type PanelSocketServer = SocketServer<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

/**
 * Socket.IO for live job events, authenticated by the same session cookie as the pages.
 * A socket receives a job's events only after asking for that job and passing canSeeJob.
 */
export function attachSockets(
  httpServer: HttpServer,
  sessions: SessionStore,
  jobs: JobsPort | undefined,
): { io: PanelSocketServer; dropSession(session: Session): void } {
  const io: PanelSocketServer = new SocketServer(httpServer, {
    path: '/socket.io',
    serveClient: true,
    // Cross-site pages must not ride on the admin's cookie; same-origin only.
    allowRequest: (req, callback) => callback(null, sameOrigin(req)),
  });

  io.use((socket, next) => {
    const session = sessions.fromCookie(readCookie(socket.request.headers.cookie, SESSION_COOKIE));
    if (!session?.user) return next(new Error('unauthorized: log in to the panel first'));
    socket.data.user = session.user;
    socket.data.sessionId = session.id;
    next();
  });

  io.on('connection', (socket: PanelSocket) => {
    void socket.join(`session:${socket.data.sessionId}`);
    const watching = new Map<string, () => void>();

    socket.on('job:watch', (jobId, reply) => {
      if (typeof reply !== 'function') return;
      // The connection may outlive its session (idle or absolute expiry): check it again on every request.
      if (!sessions.byId(socket.data.sessionId)) {
        reply({ ok: false, error: 'session expired; reload the page' });
        socket.disconnect(true);
        return;
      }
      const scope = typeof jobId === 'string' ? jobs?.scope(jobId) : undefined;
      if (!jobs || !scope || !canSeeJob(socket.data.user, scope)) {
        // Unknown and forbidden look the same, so job ids of other customers cannot be probed.
        return reply({ ok: false, error: 'no such job' });
      }
      if (!watching.has(jobId)) {
        watching.set(
          jobId,
          jobs.events.subscribe(jobId, (event) => socket.emit('job:event', event)),
        );
      }
      reply({ ok: true, history: jobs.history?.(jobId) ?? [] });
    });

    socket.on('job:unwatch', (jobId) => {
      watching.get(jobId)?.();
      watching.delete(jobId);
    });

    socket.on('disconnect', () => {
      for (const stop of watching.values()) stop();
      watching.clear();
    });
  });

  return {
    io,
    dropSession: (session) => {
      io.in(`session:${session.id}`).disconnectSockets(true);
    },
  };
}

function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (!origin) return true; // non-browser clients send none; the cookie is still required
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
