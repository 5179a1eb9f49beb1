import { expect } from 'chai';
import {
  connectRequest,
  decodePayload,
  decodeSocketPacket,
  encodeTextPacket,
  PacketParseError,
  SocketPacketType,
  parseEngineError,
  parseOpenPacket,
  socketPacketsOf,
} from '../../../backend/src/verify/engineio-packets.js';
import { normaliseSocketIoPath } from '../../../backend/src/verify/engineio-probe.js';
import { loadVerifyFixture } from './fixtures.js';

describe('verify/engineio-packets', () => {
  const fixture = loadVerifyFixture();

  it('reads the handshake answer captured from the test host', () => {
    const open = parseOpenPacket(fixture.handshakeBody);
    expect(open.sid).to.be.a('string').and.not.equal('');
    expect(open.upgrades).to.deep.equal(['websocket']);
    expect(open.pingInterval).to.equal(25000);
    expect(open.pingTimeout).to.equal(20000);
    expect(open.maxPayload).to.equal(1000000);
  });

  it('finds the main-namespace connect in the answer to POST 40', () => {
    const packets = socketPacketsOf(fixture.connectAnswerBody);
    expect(packets[0]).to.deep.include({ type: SocketPacketType.CONNECT, nsp: '/' });
    expect((packets[0]!.data as { sid?: unknown }).sid).to.be.a('string');
  });

  it("reads the server's 'Invalid namespace' answer to a probe POST", () => {
    const [packet] = socketPacketsOf(fixture.probeAnswerBody);
    expect(packet).to.deep.equal({ type: SocketPacketType.CONNECT_ERROR, nsp: '/probe1', data: { message: 'Invalid namespace' } });
  });

  it('reads the 400 body of a request that reached the wrong process', () => {
    expect(fixture.sessionUnknownStatus).to.equal(400);
    expect(parseEngineError(fixture.sessionUnknownBody)).to.deep.equal({ code: 1, message: 'Session ID unknown' });
    expect(parseEngineError('<html><body>502 Bad Gateway</body></html>')).to.equal(undefined);
    expect(parseEngineError('{"code":"1"}')).to.equal(undefined);
  });

  it('splits a payload at the record separator, skipping pings and binary when reading Socket.IO packets', () => {
    // Engine.IO v4 separates the packets of one polling payload with the record separator (0x1e).
    const body = ['2probe', '40{"sid":"x"}', '42["news",{"a":1}]', 'bAQID', '6'].join('\x1e');
    const packets = decodePayload(body);
    expect(packets.map((p) => p.type)).to.deep.equal(['ping', 'message', 'message', 'message', 'noop']);
    expect(packets[0]!.data).to.equal('probe');
    expect([...(packets[3]!.data as Buffer)]).to.deep.equal([1, 2, 3]);
    expect(socketPacketsOf(body).map((p) => p.type)).to.deep.equal([SocketPacketType.CONNECT, SocketPacketType.EVENT]);
    expect(decodePayload('')).to.deep.equal([]);
  });

  it('answers a ping with a pong that echoes its data', () => {
    expect(encodeTextPacket('pong')).to.equal('3');
    expect(encodeTextPacket('pong', 'probe')).to.equal('3probe');
  });

  it('decodes namespaces and ack ids, and refuses a binary packet the probe never asked for', () => {
    expect(decodeSocketPacket('2/chat,12["hi"]')).to.deep.equal({ type: SocketPacketType.EVENT, nsp: '/chat', id: 12, data: ['hi'] });
    expect(decodeSocketPacket('3/a,7[]')).to.deep.equal({ type: SocketPacketType.ACK, nsp: '/a', id: 7, data: [] });
    expect(decodeSocketPacket('1/probe3,')).to.deep.equal({ type: SocketPacketType.DISCONNECT, nsp: '/probe3' });
    expect(() => decodeSocketPacket('51-["up",{"_placeholder":true,"num":0}]')).to.throw(PacketParseError, /attachments/);
  });

  it('refuses what Engine.IO v4 never sends, such as an EIO=3 length-prefixed payload', () => {
    expect(() => decodePayload('97:0{"sid":"x"}')).to.throw(PacketParseError);
    expect(() => parseOpenPacket('<html>404</html>')).to.throw(PacketParseError);
    expect(() => parseOpenPacket('0{"upgrades":[]}')).to.throw(PacketParseError, /sid/);
    expect(() => decodeSocketPacket('9')).to.throw(PacketParseError);
    expect(() => decodeSocketPacket('2["unterminated')).to.throw(PacketParseError);
  });

  it('builds connect requests and normalises the Socket.IO path', () => {
    expect(connectRequest()).to.equal('40');
    expect(connectRequest('/probe7')).to.equal('40/probe7,');
    expect(normaliseSocketIoPath('/live/socket.io')).to.equal('/live/socket.io/');
    expect(normaliseSocketIoPath('/socket.io/')).to.equal('/socket.io/');
    expect(() => normaliseSocketIoPath('socket.io')).to.throw(/start with/);
    expect(() => normaliseSocketIoPath('/x?EIO=3')).to.throw(/query/);
  });
});
