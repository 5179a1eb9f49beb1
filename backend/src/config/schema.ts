import { z } from 'zod';

// Names show up in CLI flags, URLs and the journal: keep them plain.
const SERVER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}=?$/;
const DOMAIN = /^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}[A-Za-z0-9_])?)*\.?$/;
// A host name (labels of at most 63, 253 in all) or an IPv4 address, or an IPv6 address, bracketed or not:
// nothing an SSH client or a log line could read as an option, a command or a second line.
const HOST =
  /^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$|^\[?[0-9A-Fa-f:.]{2,45}(%[A-Za-z0-9_.-]{1,16})?\]?$/;
// Key and known_hosts paths: a line break or tab in a path is a mistake or an attack, never a real key file.
const FILE_PATH = /^\P{Cc}+$/u;
const PATH_MESSAGE = 'must not contain line breaks, tabs or other control characters';
// A Socket.IO path as an app passes it to `path`: absolute, no spaces, quotes or control characters.
const SOCKET_IO_PATH = /^\/[A-Za-z0-9._~!$&()*+,;=:@%/-]*$/;

export const serverSchema = z
  .object({
    name: z.string().regex(SERVER_NAME, 'use letters, digits, ".", "_" or "-" (at most 63), starting with a letter or digit'),
    host: z.string().min(1, 'must not be empty').regex(HOST, 'a host name or IP address (letters, digits, "-", "." and ":" only)'),
    port: z.number().int('must be a whole number').min(1).max(65535).default(22),
    username: z
      .string()
      .min(1, 'must not be empty')
      .regex(/^[A-Za-z0-9._][A-Za-z0-9._-]*$/, 'a plain login name, not starting with "-"')
      .default('root'),
    privateKeyPath: z.string().min(1, 'must not be empty').regex(FILE_PATH, PATH_MESSAGE),
    knownHostsPath: z.string().min(1, 'must not be empty').regex(FILE_PATH, PATH_MESSAGE).optional(),
    hostKeyFingerprint: z.string().regex(FINGERPRINT, 'expected SHA256:<43 base64 characters> as printed by ssh-keygen -l').optional(),
    socketIoPaths: z
      .record(
        z.string().regex(DOMAIN, 'keys must be domain names'),
        z.string().regex(SOCKET_IO_PATH, 'an absolute URL path such as /socket.io/'),
      )
      .optional(),
  })
  .strict()
  .refine((s) => s.knownHostsPath !== undefined || s.hostKeyFingerprint !== undefined, {
    message: 'pin the host key: set knownHostsPath, hostKeyFingerprint, or both',
    path: ['hostKeyFingerprint'],
  });

export const sshSettingsSchema = z
  .object({
    connectTimeoutMs: z.number().int().min(500).max(120_000).default(10_000),
    commandTimeoutMs: z.number().int().min(1_000).max(3_600_000).default(60_000),
    /** Channels open at once per connection; keep below the server's MaxSessions (OpenSSH: 10). */
    maxChannelsPerServer: z.number().int().min(1).max(64).default(8),
  })
  .strict();

/**
 * The whole config file. Top-level keys are strict so a typo is reported, not silently ignored:
 * a module that needs its own section adds it here.
 */
export const configFileSchema = z
  .object({
    servers: z.array(serverSchema).default([]),
    ssh: sshSettingsSchema.default({ connectTimeoutMs: 10_000, commandTimeoutMs: 60_000, maxChannelsPerServer: 8 }),
  })
  .strict()
  .superRefine((config, ctx) => {
    const seen = new Map<string, number>();
    config.servers.forEach((server, index) => {
      const first = seen.get(server.name);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['servers', index, 'name'],
          message: `duplicate server name "${server.name}" (also servers[${first}])`,
        });
      } else {
        seen.set(server.name, index);
      }
    });
  });

export type ServerInput = z.input<typeof serverSchema>;
export type ConfigFile = z.output<typeof configFileSchema>;
export type SshSettings = z.output<typeof sshSettingsSchema>;

/** `servers[1].port` from zod's path array. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (text, key) => (typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key)),
    '',
  );
}

/** One line per problem, each naming the field: `servers[0].port: Too big: expected number to be <=65535`. */
export function describeIssues(error: z.ZodError): { field: string; message: string }[] {
  return error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const field = formatPath(issue.path);
      return { field: field || '(top level)', message: `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}` };
    }
    return { field: formatPath(issue.path) || '(top level)', message: issue.message };
  });
}
