// Translation (OVS's ofproto-dpif-xlate.c): a flow key that missed the datapath caches runs through the
// input bridge's OpenFlow tables and the NORMAL action — VLAN admission, MAC learning, unicast or flood —
// across patch ports into peer bridges, producing datapath actions, the exact megaflow mask of the key
// bits consulted, and the tags of the state the decision depended on.
import { ActionsBuilder, USERSPACE_SLOW_PATH_STP } from '../datapath/actions.js';
import type { XlateResult } from '../datapath/upcall.js';
import {
  FRAG_ANY,
  FRAG_LATER,
  K_DL_DST_HI,
  K_DL_DST_LO,
  K_DL_SRC_HI,
  K_DL_SRC_LO,
  K_DL_TYPE,
  K_IN_PORT,
  K_NW,
  K_NW_DST,
  K_NW_SRC,
  K_RECIRC,
  K_TUN_DST,
  K_TUN_ID_HI,
  K_TUN_ID_LO,
  K_TUN_SRC,
  K_VLAN0,
  K_VLAN1,
  KEY_WORDS,
  NW_FRAG_SHIFT,
  NW_PROTO_SHIFT,
  VLAN_PRESENT,
} from '../packet/flow-key.js';
import type { BridgePort, OfBridge } from './bridge.js';
import { isBroadcastMac, isMulticastMac, isReservedMac, keyDlDst, keyDlSrc } from './eth-addr.js';
import type { OfAction, TunnelField } from './flow-table.js';
import type { TreePortState } from './spanning.js';
import { bridgeTag, dpPortTag, macTag, portTag, stpTag } from './tags.js';
import {
  extractXvlan,
  includesVlan,
  inputTranslate,
  inputVidIsValid,
  isVlanTpid,
  outputTranslate,
  type XVlan,
  xvlanWords,
} from './vlan.js';

/** Deepest chain of bridges (patch hops) one translation may cross, as OVS's MAX_DEPTH. */
export const MAX_DEPTH = 64;
/** Most table lookups one translation may make, as OVS's MAX_RESUBMITS. */
export const MAX_RESUBMITS = MAX_DEPTH * MAX_DEPTH;

const ETH_TYPE_IP = 0x0800;
const ETH_TYPE_IPV6 = 0x86dd;
const ETH_TYPE_ARP = 0x0806;
const ARP_OP_REQUEST = 1;
const ALL = 0xffff_ffff;

/** A bridge and one of its ports. */
export interface PortRef {
  readonly bridge: OfBridge;
  readonly port: BridgePort;
}

/** What translation needs from its owner (src/ofproto/ofproto.ts). */
export interface XlateEnv {
  /** The bridge port that owns datapath port `dpPort`. */
  inputOf(dpPort: number): PortRef | undefined;
  /** The port at the other end of patch port `port`, if both name each other. */
  patchPeer(port: BridgePort): PortRef | undefined;
  /** Learns `mac` on `port` of `bridge` in `vlan` (and invalidates what that changes). */
  learn(bridge: string, mac: number, vlan: number, port: string, now: number): void;
  /** Reports a translation error. */
  warn(msg: string): void;
}

/** One source MAC learned by a translation; replayed when the cached flow carries traffic. */
interface Learned {
  readonly bridge: string;
  readonly mac: number;
  readonly vlan: number;
  readonly port: string;
}

/** The packet as one bridge sees it: where it came in and the VLAN headers it has there. */
interface BridgeVisit {
  readonly bridge: OfBridge;
  readonly inPort: BridgePort;
  readonly vlans: readonly [number, number];
}

/** State of one translation. */
class XlateContext {
  readonly mask = new Uint32Array(KEY_WORDS);
  readonly tags = new Set<string>();
  readonly actions = new ActionsBuilder();
  readonly learned: Learned[] = [];
  /** The packet's VLAN headers after the actions emitted so far (OVS's base_flow vlans). */
  base: readonly [number, number];
  depth = 0;
  lookups = 0;
  failed = false;
  /** Tunnel metadata set by actions (tun_id, src, dst), emitted before the next output; null: untouched. */
  tunnel: { id: bigint; src: number; dst: number } | null = null;
  tunnelDirty = false;

  constructor(
    readonly key: Uint32Array,
    readonly env: XlateEnv,
    readonly now: number,
  ) {
    this.base = [key[K_VLAN0], key[K_VLAN1]];
  }

  /** Whether the key arrived with an outer VLAN header. */
  get tagged(): boolean {
    return (this.key[K_VLAN0] & VLAN_PRESENT) !== 0;
  }

  /** Aborts the translation: the result drops every packet of the flow. */
  fail(msg: string): void {
    if (!this.failed) this.env.warn(msg);
    this.failed = true;
  }
}

/** Translates `key` (K_IN_PORT is a datapath port) into datapath actions, mask and tags. */
export function translateKey(key: Uint32Array, now: number, env: XlateEnv): XlateResult {
  const input = env.inputOf(key[K_IN_PORT]);
  if (input === undefined) return unknownInPort(key);
  const ctx = new XlateContext(key, env, now);
  initMask(ctx);
  xlateBridge(ctx, { bridge: input.bridge, inPort: input.port, vlans: ctx.base });
  return finish(ctx);
}

function unknownInPort(key: Uint32Array): XlateResult {
  const mask = new Uint32Array(KEY_WORDS);
  mask[K_IN_PORT] = ALL;
  return { actions: new Uint32Array(0), mask, tags: [dpPortTag(key[K_IN_PORT])], install: true };
}

/** Fields every translation examines (OVS's xlate_wc_init). */
function initMask(ctx: XlateContext): void {
  const { key, mask } = ctx;
  mask[K_IN_PORT] = ALL;
  mask[K_RECIRC] = ALL;
  mask[K_DL_TYPE] = ALL;
  if (key[K_DL_TYPE] === ETH_TYPE_IP || key[K_DL_TYPE] === ETH_TYPE_IPV6) {
    mask[K_NW] |= (FRAG_ANY | FRAG_LATER) << NW_FRAG_SHIFT;
  }
}

function finish(ctx: XlateContext): XlateResult {
  const actions = ctx.failed ? new Uint32Array(0) : ctx.actions.build();
  const learned = ctx.learned;
  const { env } = ctx;
  const onUsed =
    learned.length === 0
      ? undefined
      : (now: number) => {
          for (const l of learned) env.learn(l.bridge, l.mac, l.vlan, l.port, now);
        };
  return { actions, mask: ctx.mask, tags: [...ctx.tags], install: true, onUsed };
}

/** Runs a packet that entered `visit.bridge` through the bridge's table 0. */
function xlateBridge(ctx: XlateContext, visit: BridgeVisit): void {
  ctx.tags.add(bridgeTag(visit.bridge.name));
  if (visit.bridge.tree !== null) {
    ctx.tags.add(stpTag(visit.bridge.name));
    if (ctx.depth === 0 && isStpBpdu(ctx)) {
      ctx.actions.userspace(USERSPACE_SLOW_PATH_STP);
      return;
    }
  }
  if (++ctx.lookups > MAX_RESUBMITS) {
    ctx.fail(`${visit.bridge.name}: over ${MAX_RESUBMITS} table lookups, dropping`);
    return;
  }
  const rule = visit.bridge.pipeline.table(0).lookup(visitFlow(ctx, visit), ctx.mask);
  if (rule === null) return;
  for (const action of rule.actions) {
    if (ctx.failed) return;
    doAction(ctx, visit, action);
  }
}

/** Whether the frame is addressed to 802.1D bridges (01:80:c2:00:00:00): a BPDU for the spanning tree. */
function isStpBpdu(ctx: XlateContext): boolean {
  ctx.mask[K_DL_DST_HI] |= 0xffff;
  ctx.mask[K_DL_DST_LO] = ALL;
  return ctx.key[K_DL_DST_HI] === 0x0180 && ctx.key[K_DL_DST_LO] === 0xc2000000;
}

/** What the port's spanning tree lets it do ('forwarding' when the bridge runs none). */
function treeState(bridge: OfBridge, port: BridgePort): TreePortState {
  return bridge.tree === null ? 'forwarding' : bridge.tree.portState(port.settings.name);
}

/** Whether ordinary frames may leave through `port`. */
function mayOutput(bridge: OfBridge, port: BridgePort): boolean {
  return treeState(bridge, port) === 'forwarding';
}

/** The fields OpenFlow matches see in this bridge: in_port is the OpenFlow port, VLANs as received. */
function visitFlow(ctx: XlateContext, visit: BridgeVisit): Uint32Array {
  const flow = Uint32Array.from(ctx.key);
  flow[K_IN_PORT] = visit.inPort.settings.ofport;
  flow[K_VLAN0] = visit.vlans[0];
  flow[K_VLAN1] = visit.vlans[1];
  return flow;
}

function doAction(ctx: XlateContext, visit: BridgeVisit, action: OfAction): void {
  switch (action.type) {
    case 'normal':
      xlateNormal(ctx, visit);
      break;
    case 'output':
      outputAction(ctx, visit, action.port);
      break;
    case 'set_field':
      setTunnelField(ctx, action.field, action.value);
      break;
  }
}

/** set_tunnel / set_field:...->tun_*: changes the tunnel metadata later outputs to tunnel ports use. */
function setTunnelField(ctx: XlateContext, field: TunnelField, value: bigint): void {
  const k = ctx.key;
  if (ctx.tunnel === null) {
    // The fields not set come from the received tunnel: the cached flow depends on them.
    ctx.mask.fill(ALL, K_TUN_ID_HI, K_TUN_DST + 1);
  }
  ctx.tunnel ??= {
    id: (BigInt(k[K_TUN_ID_HI]) << 32n) | BigInt(k[K_TUN_ID_LO]),
    src: k[K_TUN_SRC],
    dst: k[K_TUN_DST],
  };
  if (field === 'tun_id') ctx.tunnel.id = value & 0xffff_ffff_ffff_ffffn;
  else if (field === 'tun_src') ctx.tunnel.src = Number(value & 0xffff_ffffn);
  else ctx.tunnel.dst = Number(value & 0xffff_ffffn);
  ctx.tunnelDirty = true;
}

/** OpenFlow output:PORT — never back out of the input port, VLANs untouched. */
function outputAction(ctx: XlateContext, visit: BridgeVisit, ofport: number): void {
  if (ofport === visit.inPort.settings.ofport) return;
  const out = visit.bridge.byOfport.get(ofport);
  if (out !== undefined && mayOutput(visit.bridge, out)) composeOutput(ctx, out, visit.vlans);
}

/** The NORMAL action: an 802.1Q learning switch. */
function xlateNormal(ctx: XlateContext, visit: BridgeVisit): void {
  const { key, mask } = ctx;
  mask[K_DL_SRC_HI] |= 0xffff;
  mask[K_DL_SRC_LO] = ALL;
  mask[K_DL_DST_HI] |= 0xffff;
  mask[K_DL_DST_LO] = ALL;
  mask[K_VLAN0] |= VLAN_PRESENT | 0xfff;
  if (ctx.tagged) mask[K_VLAN1] |= VLAN_PRESENT;
  // A VLAN ethertype with no header behind it is a truncated tag.
  if (isVlanTpid(key[K_DL_TYPE]) && (visit.vlans[0] & VLAN_PRESENT) === 0) return;
  const { inPort, bridge } = visit;
  const received = extractXvlan(visit.vlans);
  if (!inputVidIsValid(inPort.vlan, received[0].vid)) return;
  const xvlan = inputTranslate(inPort.vlan, received);
  const dst = keyDlDst(key);
  if (!bridge.settings.forwardBpdu && isReservedMac(dst)) return;
  consultGratuitousArp(ctx, dst);
  // Spanning tree: a blocked or listening port neither learns nor forwards; a learning port only learns.
  const st = treeState(bridge, inPort);
  if (st === 'blocked') return;
  learnSource(ctx, visit, xvlan[0].vid);
  if (st !== 'forwarding') return;
  if (isMulticastMac(dst)) {
    flood(ctx, visit, xvlan);
    return;
  }
  forwardUnicast(ctx, visit, xvlan, dst);
}

/** OVS checks every frame for a gratuitous ARP (for bond learning locks): those fields count. */
function consultGratuitousArp(ctx: XlateContext, dst: number): void {
  const { key, mask } = ctx;
  if (key[K_DL_TYPE] !== ETH_TYPE_ARP || !isBroadcastMac(dst)) return;
  mask[K_NW] |= 0xff << NW_PROTO_SHIFT;
  if (((key[K_NW] >>> NW_PROTO_SHIFT) & 0xff) === ARP_OP_REQUEST) {
    mask[K_NW_SRC] = ALL;
    mask[K_NW_DST] = ALL;
  }
}

function learnSource(ctx: XlateContext, visit: BridgeVisit, vlan: number): void {
  const mac = keyDlSrc(ctx.key);
  if (isMulticastMac(mac)) return;
  const l: Learned = { bridge: visit.bridge.name, mac, vlan, port: visit.inPort.settings.name };
  // The flow depends on the entry it learned: when the entry is flushed or moves (a topology change), the
  // flow goes too, so the next frame learns afresh; otherwise a flow cached from before the change would
  // keep replaying (onUsed) the old port while frames on the new path never reach translation.
  ctx.tags.add(macTag(l.bridge, vlan, mac));
  ctx.env.learn(l.bridge, l.mac, l.vlan, l.port, ctx.now);
  ctx.learned.push(l);
}

function forwardUnicast(ctx: XlateContext, visit: BridgeVisit, xvlan: XVlan, dst: number): void {
  const { bridge } = visit;
  ctx.tags.add(macTag(bridge.name, xvlan[0].vid, dst));
  const entry = bridge.macs.lookup(dst, xvlan[0].vid);
  if (entry === undefined) {
    flood(ctx, visit, xvlan);
    return;
  }
  const out = bridge.ports.get(entry.port);
  if (out !== undefined && out !== visit.inPort && mayOutput(bridge, out)) outputNormal(ctx, out, xvlan);
}

/** Sends to every other port of the bridge that carries the frame's VLAN, in port order. */
function flood(ctx: XlateContext, visit: BridgeVisit, xvlan: XVlan): void {
  for (const port of visit.bridge.ports.values()) {
    if (ctx.failed) return;
    if (port !== visit.inPort && carries(ctx, port, xvlan) && mayOutput(visit.bridge, port)) {
      outputNormal(ctx, port, xvlan);
    }
  }
}

function carries(ctx: XlateContext, port: BridgePort, xvlan: XVlan): boolean {
  // An access port takes only single-tagged traffic: that looks at the inner header too.
  if (port.vlan.mode === 'access' && xvlan[0].vid === port.vlan.vlan && ctx.tagged) {
    ctx.mask[K_VLAN1] |= VLAN_PRESENT | 0xfff;
  }
  return includesVlan(port.vlan, xvlan);
}

function outputNormal(ctx: XlateContext, out: BridgePort, xvlan: XVlan): void {
  composeOutput(ctx, out, xvlanWords(outputTranslate(out.vlan, xvlan)));
}

/** Emits the packet, with VLAN headers `vlans`, on `out`: a datapath output or a patch crossing. */
function composeOutput(ctx: XlateContext, out: BridgePort, vlans: readonly [number, number]): void {
  if (out.settings.patchPeer !== null) {
    patchOutput(ctx, out, out.settings.patchPeer, vlans);
  } else if (out.settings.dpPort !== null) {
    commitVlans(ctx, vlans);
    const t = ctx.tunnel;
    if (t !== null && ctx.tunnelDirty) {
      // OVS's default flags for a set tunnel: a key when tun_id is set, DF, and TTL 64.
      ctx.actions.setTunnel(t.id, t.src, t.dst, (t.id !== 0n ? 1 : 0) | 4 | (64 << 16));
      ctx.tunnelDirty = false;
    }
    ctx.actions.output(out.settings.dpPort);
  }
}

/** Continues translation in the peer bridge, as if the packet had arrived on the peer port. */
function patchOutput(
  ctx: XlateContext,
  out: BridgePort,
  peerName: string,
  vlans: readonly [number, number],
): void {
  ctx.tags.add(portTag(peerName));
  const peer = ctx.env.patchPeer(out);
  if (peer === undefined) return;
  if (ctx.depth >= MAX_DEPTH) {
    ctx.fail(`${peer.bridge.name}: over max translation depth ${MAX_DEPTH} (patch port loop?), dropping`);
    return;
  }
  ctx.depth++;
  xlateBridge(ctx, { bridge: peer.bridge, inPort: peer.port, vlans });
  ctx.depth--;
}

function countHeaders(vlans: readonly [number, number]): number {
  if ((vlans[0] & VLAN_PRESENT) === 0) return 0;
  return (vlans[1] & VLAN_PRESENT) === 0 ? 1 : 2;
}

/** Emits pops and pushes that turn the packet's current headers into `target` (OVS's
 *  commit_vlan_action): headers equal from the inside out stay; the rest are popped and pushed. */
function commitVlans(ctx: XlateContext, target: readonly [number, number]): void {
  const base = ctx.base;
  let b = countHeaders(base) - 1;
  let t = countHeaders(target) - 1;
  while (b >= 0 && t >= 0 && base[b] === target[t]) {
    b--;
    t--;
  }
  for (; b >= 0; b--) {
    ctx.actions.popVlan();
    unwildcardPopped(ctx, b);
  }
  for (; t >= 0; t--) ctx.actions.pushVlan(target[t] & 0xffff, target[t] >>> 16);
  ctx.base = [target[0], target[1]];
}

/** A pop depends on the whole header it removes, when that header came with the packet, and on how
 *  many headers the packet has. */
function unwildcardPopped(ctx: XlateContext, index: number): void {
  const word = K_VLAN0 + index;
  if ((ctx.key[word] & VLAN_PRESENT) !== 0) ctx.mask[word] = ALL;
  if (ctx.tagged) ctx.mask[K_VLAN1] |= VLAN_PRESENT;
}
