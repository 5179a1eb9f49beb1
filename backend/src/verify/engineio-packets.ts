/**
 * Engine.IO v4 polling payloads (engine.io-parser) and the Socket.IO packets inside them
 * (socket.io-parser): the parsers socket.io itself uses, so the probe reads what the server writes.
 * What stays here is only what the probe judges: a well-formed open packet, an Engine.IO error body,
 * and errors typed as PacketParseError (field-notes §4).
 */
import {
  type Packet as EnginePacket,
  type PacketType as EnginePacketType,
  decodePayload as decodeEnginePayload,
  encodePacket,
} from 'engine.io-parser';
import { Decoder, Encoder, type Packet as SocketPacket, PacketType } from 'socket.io-parser';

export type { EnginePacket, EnginePacketType };
/** A decoded Socket.IO packet is socket.io-parser's: `type` (SocketPacketType), namespace `nsp`, ack `id`, `data`. */
export { type SocketPacket, PacketType as SocketPacketType };

export interface OpenPayload {
  sid: string;
  upgrades: string[];
  pingInterval: number;
  pingTimeout: number;
  maxPayload?: number;
}

/** The JSON error body Engine.IO sends with 400/403, e.g. {"code":1,"message":"Session ID unknown"}. */
export interface EngineError {
  code: number;
  message: string;
}

export class PacketParseError extends Error {}

/** Splits a polling response body into Engine.IO packets; a base64 ('b') packet comes back as bytes. */
export function decodePayload(body: string): EnginePacket[] {
  if (body === '') return [];
  const packets = decodeEnginePayload(body, 'nodebuffer');
  // engine.io-parser stops at the first packet it cannot read and reports it as an 'error' packet.
  if (packets.some((p) => p.type === 'error')) {
    throw new PacketParseError(`not an Engine.IO v4 payload: ${JSON.stringify(body.slice(0, 80))}`);
  }
  return packets;
}

/** Reads the handshake answer `0{"sid":...}`; throws when it is anything else. */
export function parseOpenPacket(body: string): OpenPayload {
  let first: EnginePacket | undefined;
  try {
    [first] = decodePayload(body);
  } catch {
    // judged below with the body in the message
  }
  if (first?.type !== 'open' || typeof first.data !== 'string') {
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

/**
 * Decodes the Socket.IO packet carried in an Engine.IO message, e.g. `4/probe1,{"message":"Invalid namespace"}`.
 * A binary packet waits for attachments the probe never asks for, so it is refused rather than left pending.
 */
export function decodeSocketPacket(data: string): SocketPacket {
  const decoder = new Decoder();
  let decoded: SocketPacket | undefined;
  decoder.on('decoded', (packet) => {
    decoded = packet;
  });
  try {
    decoder.add(data);
  } catch (err) {
    throw new PacketParseError(`not a Socket.IO packet (${(err as Error).message}): ${JSON.stringify(data.slice(0, 80))}`);
  } finally {
    decoder.destroy();
  }
  if (!decoded) throw new PacketParseError(`Socket.IO packet waits for binary attachments: ${JSON.stringify(data.slice(0, 80))}`);
  return decoded;
}

/** One text Engine.IO packet as it goes on the wire, e.g. a pong `3` echoing its ping's data. */
export function encodeTextPacket(type: EnginePacketType, data?: string): string {
  let encoded = '';
  // engine.io-parser calls back at once for text; the callback shape is for binary and browsers.
  encodePacket({ type, ...(data === undefined ? {} : { data }) }, false, (text) => (encoded = text as string));
  return encoded;
}

/** The Socket.IO connect request for a namespace as an Engine.IO message, the body of a POST: `40` or `40/probe1,`. */
export function connectRequest(namespace = '/'): string {
  const [socketPacket] = new Encoder().encode({ type: PacketType.CONNECT, nsp: namespace }) as [string];
  return encodeTextPacket('message', socketPacket);
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

/** Socket.IO packets from a polling body, skipping the Engine.IO packets that carry none (pings, binary). */
export function socketPacketsOf(body: string): SocketPacket[] {
  return decodePayload(body)
    .filter((p): p is EnginePacket & { data: string } => p.type === 'message' && typeof p.data === 'string')
    .map((p) => decodeSocketPacket(p.data));
}
