// Runs a datapath action program on one frame in place: VLAN tags are pushed into the headroom and
// popped by moving the MAC addresses (the virtio-net header moves with them and its checksum/GSO offsets
// are adjusted), and outputs are queued on the ports' netdevs, which send them when the batch is flushed.
// Header rewrites (ACT_SET_MASKED) are done in place by set-field.ts, checksums kept right.
// An output that a later action would alter is queued as a copy (JS_REGION); the rest are zero-copy.
import { JS_REGION, VNET_HDR_LEN } from '../netdev/netdev.js';
import {
  ACT_OUTPUT,
  ACT_POP_VLAN,
  ACT_PUSH_VLAN,
  ACT_SET_MASKED,
  ACT_SET_TUNNEL,
  ACT_USERSPACE,
  ACTION_ARGS,
} from './actions.js';
import { setMasked } from './set-field.js';

const VNET_F_NEEDS_CSUM = 1;
const VNET_GSO_NONE = 0;

/** Where the executor sends outputs and userspace actions. */
export interface ExecutionTarget {
  /**
   * Queues the frame on datapath port `port` (sent at the end of the batch); false if there is no such port.
   * `tunnel` >= 0 is where in `actions` the last ACT_SET_TUNNEL's five words start (-1: none set).
   */
  output(
    port: number,
    buf: Uint8Array,
    region: number,
    offset: number,
    length: number,
    actions: Uint32Array,
    tunnel: number,
  ): boolean;
  /** ACT_USERSPACE. */
  userspace(reason: number, buf: Uint8Array, offset: number, length: number): void;
}

/** Whether `actions` modify the frame after some output (so that output must be a copy). */
export function modifiesAfterOutput(actions: Uint32Array): boolean {
  let output = false;
  for (let i = 0; i < actions.length; i += 1 + ACTION_ARGS[actions[i]]) {
    const op = actions[i];
    if (op === ACT_OUTPUT) output = true;
    else if (output && (op === ACT_PUSH_VLAN || op === ACT_POP_VLAN || op === ACT_SET_MASKED)) return true;
  }
  return false;
}

/** Whether `actions` output to `port`. */
export function outputsTo(actions: Uint32Array, port: number): boolean {
  for (let i = 0; i < actions.length; i += 1 + ACTION_ARGS[actions[i]]) {
    if (actions[i] === ACT_OUTPUT && actions[i + 1] === port) return true;
  }
  return false;
}

/**
 * Executes `actions` on the frame at buf[offset, offset+length) (its virtio-net header just before it,
 * writable headroom before that); `copyOutputs` forces every output to be a copy. Returns frames output.
 */
export function executeActions(
  actions: Uint32Array,
  buf: Uint8Array,
  region: number,
  offset: number,
  length: number,
  copyOutputs: boolean,
  target: ExecutionTarget,
): number {
  let off = offset;
  let len = length;
  let sent = 0;
  let tunnel = -1;
  for (let i = 0; i < actions.length; i += 1 + ACTION_ARGS[actions[i]]) {
    switch (actions[i]) {
      case ACT_OUTPUT: {
        const r = copyOutputs ? JS_REGION : region;
        if (target.output(actions[i + 1], buf, r, off, len, actions, tunnel)) sent++;
        break;
      }
      case ACT_SET_TUNNEL:
        tunnel = i + 1;
        break;
      case ACT_PUSH_VLAN:
        if (len < 14) break;
        pushVlan(buf, off, actions[i + 1]);
        off -= 4;
        len += 4;
        break;
      case ACT_POP_VLAN:
        if (len < 18 || !isVlanTpid((buf[off + 12] << 8) | buf[off + 13])) break;
        popVlan(buf, off);
        off += 4;
        len -= 4;
        break;
      case ACT_SET_MASKED:
        // `| 0`: as int32 the words stay unboxed (no allocation) across the call.
        setMasked(buf, off, len, actions[i + 1], actions[i + 2] | 0, actions[i + 3] | 0);
        break;
      case ACT_USERSPACE:
        target.userspace(actions[i + 1], buf, off, len);
        break;
    }
  }
  return sent;
}

function isVlanTpid(t: number): boolean {
  return t === 0x8100 || t === 0x88a8;
}

/** Inserts tag `tpidTci` after the MACs: header and MACs move 4 bytes towards the headroom. */
function pushVlan(buf: Uint8Array, off: number, tpidTci: number): void {
  const start = off - VNET_HDR_LEN;
  buf.copyWithin(start - 4, start, off + 12);
  const tag = off + 8;
  buf[tag] = tpidTci >>> 24;
  buf[tag + 1] = (tpidTci >>> 16) & 255;
  buf[tag + 2] = (tpidTci >>> 8) & 255;
  buf[tag + 3] = tpidTci & 255;
  adjustVnet(buf, start - 4, 4);
}

/** Removes the outer tag: header and MACs move 4 bytes towards the payload. */
function popVlan(buf: Uint8Array, off: number): void {
  const start = off - VNET_HDR_LEN;
  buf.copyWithin(start + 4, start, off + 12);
  adjustVnet(buf, start + 4, -4);
}

/** Shifts the virtio-net header's csum_start and hdr_len by `delta` after a tag push/pop. */
function adjustVnet(buf: Uint8Array, vnet: number, delta: number): void {
  if (buf[vnet] & VNET_F_NEEDS_CSUM) {
    const cs = (buf[vnet + 6] | (buf[vnet + 7] << 8)) + delta;
    buf[vnet + 6] = cs & 255;
    buf[vnet + 7] = cs >>> 8;
  }
  if (buf[vnet + 1] !== VNET_GSO_NONE) {
    const hl = (buf[vnet + 2] | (buf[vnet + 3] << 8)) + delta;
    buf[vnet + 2] = hl & 255;
    buf[vnet + 3] = hl >>> 8;
  }
}
