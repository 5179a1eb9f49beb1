/** The engine's port over one SSH session: ssh/ file primitives, plesk/ web-server commands, verify/. */
import {
  configTest,
  passengerInstance,
  regenerateDomains,
  reloadWebServer,
  startWebServer,
  webServerRunning,
} from '../plesk/web-server.js';
import { readFiles, writeFiles } from '../ssh/files.js';
import type { SshSession } from '../ssh/session.js';
import { verifyDomain } from '../verify/verifier.js';
import type { ServerOps } from './server-ops.js';

/** The real port over one SSH session. */
export function sshServerOps(session: SshSession): ServerOps {
  return {
    name: session.name,
    readFiles: (paths) => readFiles(session, paths),
    // One command for every file: ssh/files.ts creates a new file as the owner of its folder (no chown by
    // root) and checks each guard right before its rename.
    putFileStates: (states) =>
      writeFiles(
        session,
        states.map((s) => ({
          path: s.path,
          content: s.bytes,
          modeIfNew: '644',
          ...(s.expectSha256 ? { expectSha256: s.expectSha256 } : {}),
        })),
      ),
    regenerate: (domains) => regenerateDomains(session, domains),
    configTest: (servers) => configTest(session, servers),
    reload: (server) => reloadWebServer(session, server),
    passengerInstance: () => passengerInstance(session),
    webServerUp: (server) => webServerRunning(session, server),
    startWebServer: (server) => startWebServer(session, server),
    verify: (target, options) => verifyDomain(session, target, options),
  };
}
