// IEEE 802.1D-1998 BPDUs on the wire: Configuration (35 bytes) and Topology Change Notification (4 bytes)
// BPDUs inside 802.3 + LLC (42/42/03) frames to 01:80:c2:00:00:00. Parsing never throws; stp.ts holds the logic.

/** Destination MAC of every STP BPDU (the Bridge Group Address). */
export const STP_DST_MAC = Uint8Array.of(0x01, 0x80, 0xc2, 0x00, 0x00, 0x00);
/** LLC DSAP, SSAP and control of STP frames. */
export const STP_LLC_SAP = 0x42;
export const STP_LLC_CONTROL = 0x03;

/** Length of the Ethernet (802.3) header and of the LLC header that follow it. */
export const ETH_HEADER_LEN = 14;
export const LLC_HEADER_LEN = 3;
/** Sizes of the two BPDU kinds, without framing. */
export const CONFIG_BPDU_LEN = 35;
export const TCN_BPDU_LEN = 4;

/** BPDU type octets. */
export const BPDU_TYPE_CONFIG = 0x00;
export const BPDU_TYPE_TCN = 0x80;
/** Configuration BPDU flag bits. */
export const FLAG_TOPOLOGY_CHANGE = 0x01;
export const FLAG_TOPOLOGY_CHANGE_ACK = 0x80;

// Field offsets inside a BPDU (from its first byte, the protocol identifier).
const OFF_PROTOCOL_ID = 0;
const OFF_VERSION = 2;
const OFF_TYPE = 3;
const OFF_FLAGS = 4;
const OFF_ROOT_ID = 5;
const OFF_ROOT_PATH_COST = 13;
const OFF_BRIDGE_ID = 17;
const OFF_PORT_ID = 25;
const OFF_MESSAGE_AGE = 27;
const OFF_MAX_AGE = 29;
const OFF_HELLO_TIME = 31;
const OFF_FORWARD_DELAY = 33;

/** A Configuration BPDU; the four times are in 1/256 s, as on the wire. */
export interface ConfigBpdu {
  type: 'config';
  topologyChange: boolean;
  topologyChangeAck: boolean;
  rootId: bigint;
  rootPathCost: number;
  bridgeId: bigint;
  portId: number;
  messageAge: number;
  maxAge: number;
  helloTime: number;
  forwardDelay: number;
}

/** A Topology Change Notification BPDU (it carries nothing but its type). */
export interface TcnBpdu {
  type: 'tcn';
}

/** Either kind of 802.1D BPDU. */
export type Bpdu = ConfigBpdu | TcnBpdu;

/** Why a frame was not accepted as an STP BPDU. */
export type StpParseErrorReason =
  | 'runt'
  | 'not-stp-address'
  | 'not-llc'
  | 'bad-llc'
  | 'truncated'
  | 'bad-protocol-id'
  | 'bad-type'
  | 'bad-config-size'
  | 'bad-tcn-size';

/** A malformed frame's diagnosis; returned, never thrown, so the caller can count it. */
export class StpParseError {
  constructor(
    readonly reason: StpParseErrorReason,
    readonly message: string,
  ) {}
}

/** True when a parse result is an error rather than a BPDU. */
export function isStpParseError(value: Bpdu | StpParseError): value is StpParseError {
  return value instanceof StpParseError;
}

/** The BPDU inside `length` bytes at `offset` of `bytes` (no framing), as 802.1D 9.3 lays it out. */
export function parseBpdu(bytes: Uint8Array, offset: number, length: number): Bpdu | StpParseError {
  if (length < TCN_BPDU_LEN) return new StpParseError('runt', `runt ${length}-byte BPDU`);
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, length);
  const protocolId = view.getUint16(OFF_PROTOCOL_ID);
  if (protocolId !== 0) return new StpParseError('bad-protocol-id', `unexpected protocol ID ${protocolId}`);
  // The version is not checked: 802.1D 9.3.4 says to accept later versions as version 0.
  const type = view.getUint8(OFF_TYPE);
  if (type === BPDU_TYPE_TCN) {
    if (length !== TCN_BPDU_LEN) return new StpParseError('bad-tcn-size', `TCN BPDU of ${length} bytes`);
    return { type: 'tcn' };
  }
  if (type !== BPDU_TYPE_CONFIG) return new StpParseError('bad-type', `unexpected BPDU type ${type}`);
  if (length < CONFIG_BPDU_LEN) return new StpParseError('bad-config-size', `config BPDU of ${length} bytes`);
  return readConfig(view);
}

function readConfig(view: DataView): ConfigBpdu {
  const flags = view.getUint8(OFF_FLAGS);
  return {
    type: 'config',
    topologyChange: (flags & FLAG_TOPOLOGY_CHANGE) !== 0,
    topologyChangeAck: (flags & FLAG_TOPOLOGY_CHANGE_ACK) !== 0,
    rootId: view.getBigUint64(OFF_ROOT_ID),
    rootPathCost: view.getUint32(OFF_ROOT_PATH_COST),
    bridgeId: view.getBigUint64(OFF_BRIDGE_ID),
    portId: view.getUint16(OFF_PORT_ID),
    messageAge: view.getUint16(OFF_MESSAGE_AGE),
    maxAge: view.getUint16(OFF_MAX_AGE),
    helloTime: view.getUint16(OFF_HELLO_TIME),
    forwardDelay: view.getUint16(OFF_FORWARD_DELAY),
  };
}

/** The wire bytes of a BPDU, without framing (35 bytes for a Configuration BPDU, 4 for a TCN). */
export function encodeBpdu(bpdu: Bpdu): Uint8Array {
  const out = new Uint8Array(bpdu.type === 'tcn' ? TCN_BPDU_LEN : CONFIG_BPDU_LEN);
  writeBpdu(bpdu, new DataView(out.buffer));
  return out;
}

function writeBpdu(bpdu: Bpdu, view: DataView): void {
  view.setUint16(OFF_PROTOCOL_ID, 0);
  view.setUint8(OFF_VERSION, 0);
  view.setUint8(OFF_TYPE, bpdu.type === 'tcn' ? BPDU_TYPE_TCN : BPDU_TYPE_CONFIG);
  if (bpdu.type === 'tcn') return;
  const flags =
    (bpdu.topologyChange ? FLAG_TOPOLOGY_CHANGE : 0) |
    (bpdu.topologyChangeAck ? FLAG_TOPOLOGY_CHANGE_ACK : 0);
  view.setUint8(OFF_FLAGS, flags);
  view.setBigUint64(OFF_ROOT_ID, BigInt.asUintN(64, bpdu.rootId));
  view.setUint32(OFF_ROOT_PATH_COST, bpdu.rootPathCost >>> 0);
  view.setBigUint64(OFF_BRIDGE_ID, BigInt.asUintN(64, bpdu.bridgeId));
  view.setUint16(OFF_PORT_ID, bpdu.portId & 0xffff);
  view.setUint16(OFF_MESSAGE_AGE, bpdu.messageAge & 0xffff);
  view.setUint16(OFF_MAX_AGE, bpdu.maxAge & 0xffff);
  view.setUint16(OFF_HELLO_TIME, bpdu.helloTime & 0xffff);
  view.setUint16(OFF_FORWARD_DELAY, bpdu.forwardDelay & 0xffff);
}

/** A whole 802.3 frame carrying `bpdu` from `srcMac` ("aa:bb:cc:dd:ee:ff"), unpadded as OVS sends it. */
export function encodeStpFrame(srcMac: string, bpdu: Bpdu): Uint8Array {
  const body = encodeBpdu(bpdu);
  const frame = new Uint8Array(ETH_HEADER_LEN + LLC_HEADER_LEN + body.length);
  frame.set(STP_DST_MAC, 0);
  frame.set(macBytes(srcMac), 6);
  new DataView(frame.buffer).setUint16(12, LLC_HEADER_LEN + body.length);
  frame[14] = STP_LLC_SAP;
  frame[15] = STP_LLC_SAP;
  frame[16] = STP_LLC_CONTROL;
  frame.set(body, ETH_HEADER_LEN + LLC_HEADER_LEN);
  return frame;
}

function macBytes(mac: string): Uint8Array {
  if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(mac)) throw new Error(`bad MAC address "${mac}"`);
  return Uint8Array.from(mac.split(':'), (byte) => Number.parseInt(byte, 16));
}

/** The BPDU in the frame of `length` bytes at `offset` (Ethernet padding allowed), or why it is not one. */
export function parseStpFrame(frame: Uint8Array, offset: number, length: number): Bpdu | StpParseError {
  if (offset < 0 || length < 0 || offset + length > frame.length) {
    return new StpParseError('runt', `frame bounds ${offset}+${length} exceed ${frame.length} bytes`);
  }
  if (length < ETH_HEADER_LEN + LLC_HEADER_LEN) return new StpParseError('runt', `runt ${length}-byte frame`);
  if (!hasStpDestination(frame, offset))
    return new StpParseError('not-stp-address', 'not sent to 01:80:c2:00:00:00');
  const lengthField = (frame[offset + 12] << 8) | frame[offset + 13];
  if (lengthField > 1500)
    return new StpParseError('not-llc', `EtherType 0x${lengthField.toString(16)}, not 802.3`);
  if (lengthField > length - ETH_HEADER_LEN) {
    return new StpParseError(
      'truncated',
      `length field ${lengthField} exceeds ${length - ETH_HEADER_LEN} bytes`,
    );
  }
  const llc = offset + ETH_HEADER_LEN;
  if (lengthField < LLC_HEADER_LEN || !hasStpLlc(frame, llc))
    return new StpParseError('bad-llc', 'not LLC 42/42/03');
  return parseBpdu(frame, llc + LLC_HEADER_LEN, lengthField - LLC_HEADER_LEN);
}

function hasStpDestination(frame: Uint8Array, offset: number): boolean {
  for (let i = 0; i < 6; i++) if (frame[offset + i] !== STP_DST_MAC[i]) return false;
  return true;
}

function hasStpLlc(frame: Uint8Array, at: number): boolean {
  return frame[at] === STP_LLC_SAP && frame[at + 1] === STP_LLC_SAP && frame[at + 2] === STP_LLC_CONTROL;
}
