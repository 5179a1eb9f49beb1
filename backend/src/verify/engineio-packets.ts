/**
 * Engine.IO v4 polling payloads and the Socket.IO packets inside them, only as far as the
 * probe needs (field-notes §4). Text payloads only: the probe never sends binary.
 */

/** Engine.IO v4 separates the packets of one polling payload with the record separator. */
export const PACKET_SEPARATOR = '\x1e';

export type EnginePacketType = 'open' | 'close' | 'ping' | 'pong' | 'message' | 'upgrade' | 'noop';

const ENGINE_TYPES: readonly EnginePacketType[] = ['open', 'close', 'ping', 'pong', 'message', 'upgrade', 'noop'];

export interface EnginePacket {
  type: EnginePacketType;
  data: string;
}

export interface OpenPayload {
  sid: string;
  upgrades: string[];
  pingInterval: number;
  pingTimeout: number;
  maxPayload?: number;
}

export type SocketPacketType = 'connect' | 'disconnect' | 'event' | 'ack' | 'connect_error' | 'binary_event' | 'binary_ack';

const SOCKET_TYPES: readonly SocketPacketType[] = ['connect', 'disconnect', 'event', 'ack', 'connect_error', 'binary_event', 'binary_ack'];

export interface SocketPacket {
  type: SocketPacketType;
  namespace: string;
  ackId?: number;
  data?: unknown;
}

/** The JSON error body Engine.IO sends with 400/403, e.g. {"code":1,"message":"Session ID unknown"}. */
export interface EngineError {
  code: number;
  message: string;
}

export class PacketParseError extends Error {}

/** Splits a polling response body into Engine.IO packets; a base64 ('b') packet is kept as its text. */
export function decodePayload(body: string): EnginePacket[] {
  if (body === '') return [];
  return body.split(PACKET_SEPARATOR).map((raw) => {
    if (raw.startsWith('b')) return { type: 'message', data: raw };
    const type = ENGINE_TYPES[Number(raw.charAt(0))];
    if (raw === '' || !/^\d/.test(raw) || type === undefined) {
      throw new PacketParseError(`not an Engine.IO v4 packet: ${JSON.stringify(raw.slice(0, 80))}`);
    }
    return { type, data: raw.slice(1) };
  });
}

export function encodePayload(packets: readonly EnginePacket[]): string {
  return packets.map((p) => `${ENGINE_TYPES.indexOf(p.type)}${p.data}`).join(PACKET_SEPARATOR);
}

/** Reads the handshake answer `0{"sid":...}`; throws when it is anything else. */
export function parseOpenPacket(body: string): OpenPayload {
  const [first] = decodePayload(body);
  if (!first || first.type !== 'open') {
    throw new PacketParseError(`expected an Engine.IO open packet, got ${JSON.stringify(body.slice(0, 80))}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(first.data);
  } catch {
    throw new PacketParseError(`open packet is not JSON: ${JSON.stringify(first.data.slice(0, 80))}`);
  }
  const open = json as Partial<OpenPayload>;
  if (typeof open.sid !== 'string' || open.sid === '' || typeof open.pingInterval !== 'number' || typeof open.pingTimeout !== 'number') {
    throw new PacketParseError(`open packet lacks sid/pingInterval/pingTimeout: ${first.data.slice(0, 120)}`);
  }
  return {
    sid: open.sid,
    upgrades: Array.isArray(open.upgrades) ? open.upgrades.filter((u): u is string => typeof u === 'string') : [],
    pingInterval: open.pingInterval,
    pingTimeout: open.pingTimeout,
    ...(typeof open.maxPayload === 'number' ? { maxPayload: open.maxPayload } : {}),
  };
}

/** Decodes the Socket.IO packet carried in an Engine.IO message, e.g. `4/probe1,{"message":"Invalid namespace"}`. */
export function decodeSocketPacket(data: string): SocketPacket {
  const type = SOCKET_TYPES[Number(data.charAt(0))];
  if (!/^\d/.test(data) || type === undefined) {
    throw new PacketParseError(`not a Socket.IO packet: ${JSON.stringify(data.slice(0, 80))}`);
  }
  let i = 1;
  if (type === 'binary_event' || type === 'binary_ack') {
    const dash = data.indexOf('-', i);
    if (dash === -1) throw new PacketParseError(`binary packet without attachment count: ${data.slice(0, 80)}`);
    i = dash + 1;
  }
  let namespace = '/';
  if (data.charAt(i) === '/') {
    const comma = data.indexOf(',', i);
    const end = comma === -1 ? data.length : comma;
    namespace = data.slice(i, end);
    i = comma === -1 ? data.length : comma + 1;
  }
  let ackId: number | undefined;
  const digits = /^\d+/.exec(data.slice(i));
  if (digits) {
    ackId = Number(digits[0]);
    i += digits[0].length;
  }
  const rest = data.slice(i);
  let payload: unknown;
  if (rest !== '') {
    try {
      payload = JSON.parse(rest);
    } catch {
      throw new PacketParseError(`Socket.IO packet data is not JSON: ${JSON.stringify(rest.slice(0, 80))}`);
    }
  }
  return { type, namespace, ...(ackId === undefined ? {} : { ackId }), ...(payload === undefined ? {} : { data: payload }) };
}

/** The Socket.IO connect request for a namespace, as the body of a POST: `40` or `40/probe1,`. */
export function connectRequest(namespace = '/'): string {
  return namespace === '/' ? '40' : `40${namespace},`;
}

/** Reads Engine.IO's error body; undefined when the body is not one (e.g. an HTML error page). */
export function parseEngineError(body: string): EngineError | undefined {
  try {
    const json = JSON.parse(body) as Partial<EngineError>;
    if (typeof json.code === 'number' && typeof json.message === 'string') return { code: json.code, message: json.message };
  } catch {
    // an HTML page from the web server or Passenger is not an Engine.IO error
  }
  return undefined;
}

/** Socket.IO packets from a polling body, skipping the Engine.IO packets that carry none. */
export function socketPacketsOf(body: string): SocketPacket[] {
  return decodePayload(body)
    .filter((p) => p.type === 'message' && !p.data.startsWith('b'))
    .map((p) => decodeSocketPacket(p.data));
}
