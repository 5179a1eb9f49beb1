/** The engine's port over one SSH session: ssh/ file primitives, plesk/ web-server commands, verify/. */
import {
  configTest,
  passengerInstance,
  regenerateDomains,
  reloadWebServer,
  startWebServer,
  webServerRunning,
} from '../plesk/web-server.js';
import { readFiles, removeFiles, sha256Hex, writeFiles } from '../ssh/files.js';
import type { SshSession } from '../ssh/session.js';
import { verifyDomain } from '../verify/verifier.js';
import { ABSENT, type ServerOps } from './server-ops.js';

/** The real port over one SSH session. */
export function sshServerOps(session: SshSession): ServerOps {
  return {
    name: session.name,
    readFiles: (paths) => readFiles(session, paths),
    putFileStates: async (states, created) => {
      const present = states.filter((s) => s.bytes !== undefined);
      await writeFiles(
        session,
        present.map((s) => ({ path: s.path, content: s.bytes as Buffer, modeIfNew: '644' })),
      );
      const newOnes = present.filter((s) => created.has(s.path)).map((s) => s.path);
      if (newOnes.length > 0) {
        // A file we create in a customer's tree gets that folder's owner, so the customer can still edit it.
        await session.execScript('for f in "$@"; do chown --reference="$(dirname -- "$f")" -- "$f" || exit 1; done', newOnes);
      }
      await removeFiles(
        session,
        states.filter((s) => s.bytes === undefined).map((s) => s.path),
      );
      return Object.fromEntries(states.map((s) => [s.path, s.bytes === undefined ? ABSENT : sha256Hex(s.bytes)]));
    },
    regenerate: (domains) => regenerateDomains(session, domains),
    configTest: (servers) => configTest(session, servers),
    reload: (server) => reloadWebServer(session, server),
    passengerInstance: () => passengerInstance(session),
    webServerUp: (server) => webServerRunning(session, server),
    startWebServer: (server) => startWebServer(session, server),
    verify: (target, options) => verifyDomain(session, target, options),
  };
}
