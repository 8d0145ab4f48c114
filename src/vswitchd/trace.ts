// `ofproto/trace [--plain] [DP] BRIDGE FLOW [-generate]`: explains a packet's way through a bridge's tables
// in Open vSwitch's layout (Flow:, the bridge("...") sections with each table's rule and actions, Final
// flow:, Megaflow:, Datapath actions:), or with --plain (a tsovs addition) as numbered sentences that name
// ports by name and say why each decision was made. FLOW is OpenFlow match syntax (in_port=1,tcp,...);
// unspecified fields are zero. Without -generate nothing changes (no MAC learning, no learned flows,
// no counters); with -generate the translation's side effects happen, as for a real packet.
import { formatActions } from '../datapath/actions.js';
import { FLOW_WORDS } from '../ofproto/of-flow.js';
import { parseFlow } from '../openflow/flow-text.js';
import { matchText } from '../openflow/match-text.js';
import { FlowTextError } from '../openflow/text-util.js';
import {
  K_ARP_SHA_HI,
  K_ARP_SHA_LO,
  K_ARP_THA_HI,
  K_ARP_THA_LO,
  K_DL_DST_HI,
  K_DL_DST_LO,
  K_DL_SRC_HI,
  K_DL_SRC_LO,
  K_DL_TYPE,
  K_IN_PORT,
  K_IPV6_DST,
  K_IPV6_LABEL,
  K_IPV6_SRC,
  K_ND_TARGET,
  K_NW,
  K_NW_DST,
  K_NW_SRC,
  K_TCP_FLAGS,
  K_TP,
  K_TUN_DST,
  K_TUN_ID_HI,
  K_TUN_ID_LO,
  K_TUN_SRC,
  K_VLAN0,
  K_VLAN1,
  KEY_WORDS,
  newFlowKey,
} from '../packet/flow-key.js';
import { UnixctlError } from '../unixctl/server.js';
import type { SwitchState } from './switch.js';

const ALL = 0xffff_ffff;

/** The fields a packet like `flow` has (OVS flow_wildcards_init_for_packet): what Flow: lines print. */
export function packetMask(flow: Uint32Array): Uint32Array {
  const m = new Uint32Array(FLOW_WORDS);
  m[K_IN_PORT] = ALL;
  m[K_DL_SRC_HI] = 0xffff;
  m[K_DL_SRC_LO] = ALL;
  m[K_DL_DST_HI] = 0xffff;
  m[K_DL_DST_LO] = ALL;
  m[K_DL_TYPE] = 0xffff;
  m[K_VLAN0] = 0xffff;
  if (flow[K_VLAN0] !== 0) m[K_VLAN1] = 0xffff;
  for (const w of [K_TUN_ID_HI, K_TUN_ID_LO, K_TUN_SRC, K_TUN_DST]) if (flow[w] !== 0) m[w] = ALL;
  const dlType = flow[K_DL_TYPE] & 0xffff;
  const proto = flow[K_NW] & 0xff;
  const l4 = (): void => {
    if (proto === 6 || proto === 17 || proto === 132 || proto === 1 || proto === 58) m[K_TP] = ALL;
    if (proto === 6) m[K_TCP_FLAGS] = 0xfff;
  };
  if (dlType === 0x0800) {
    m[K_NW_SRC] = ALL;
    m[K_NW_DST] = ALL;
    m[K_NW] = 0x03ff_ffff;
    l4();
  } else if (dlType === 0x86dd) {
    for (let i = 0; i < 4; i++) {
      m[K_IPV6_SRC + i] = ALL;
      m[K_IPV6_DST + i] = ALL;
    }
    m[K_IPV6_LABEL] = 0xfffff;
    m[K_NW] = 0x03ff_ffff;
    l4();
    if (proto === 58 && (flow[K_TP] >>> 16 === 135 || flow[K_TP] >>> 16 === 136)) {
      for (let i = 0; i < 4; i++) m[K_ND_TARGET + i] = ALL;
      m[K_ARP_SHA_HI] = 0xffff;
      m[K_ARP_SHA_LO] = ALL;
      m[K_ARP_THA_HI] = 0xffff;
      m[K_ARP_THA_LO] = ALL;
    }
  } else if (dlType === 0x0806 || dlType === 0x8035) {
    m[K_NW_SRC] = ALL;
    m[K_NW_DST] = ALL;
    m[K_NW] = 0xff;
    m[K_ARP_SHA_HI] = 0xffff;
    m[K_ARP_SHA_LO] = ALL;
    m[K_ARP_THA_HI] = 0xffff;
    m[K_ARP_THA_LO] = ALL;
  }
  return m;
}

/** Runs ofproto/trace. */
export function ofprotoTrace(sw: SwitchState, args: readonly string[], now: number): string {
  const rest = [...args];
  const plain = takeFlag(rest, '--plain');
  const generate = takeFlag(rest, '-generate');
  if (rest.length === 3) rest.shift(); // "DP BRIDGE FLOW": the datapath name is accepted and ignored.
  if (rest.length !== 2)
    throw new UnixctlError('syntax error: ofproto/trace [--plain] [dp] bridge flow [-generate]');
  const [bridgeName, flowText] = rest;
  if (sw.bridge(bridgeName) === undefined) throw new UnixctlError('no such bridge');
  const ofp = sw.ofproto;
  if (ofp.trace === undefined || ofp.dpPortOf === undefined || ofp.portsOf === undefined) {
    throw new UnixctlError('ofproto/trace is not available on this switch');
  }
  const ports = new Map<string, number>();
  const names = new Map<number, string>();
  for (const p of ofp.portsOf(bridgeName)) {
    ports.set(p.name, p.ofport);
    names.set(p.ofport, p.name);
  }
  let parsed: ReturnType<typeof parseFlow>;
  try {
    parsed = parseFlow(flowText, { command: 'filter', ports });
  } catch (err) {
    if (err instanceof FlowTextError) throw new UnixctlError(err.message);
    throw err;
  }
  const flow = parsed.match.value;
  const ofport = flow[K_IN_PORT];
  const dp = ofp.dpPortOf(bridgeName, ofport);
  if (dp === null) {
    throw new UnixctlError(
      (parsed.match.mask[K_IN_PORT] === 0 ? 'no in_port given: ' : `in_port ${ofport}: `) +
        `${bridgeName} has no such port (ports: ${[...names].map(([n, name]) => `${n} ${name}`).join(', ')})`,
    );
  }
  const key = newFlowKey();
  key.set(flow.subarray(0, KEY_WORDS));
  key[K_IN_PORT] = dp;
  const { result, trace } = ofp.trace(key, now, generate);
  const packet = matchText({ value: flow, mask: packetMask(flow) }, 32768);
  if (plain) {
    const lines = [`Packet: ${matchText({ value: flow, mask: packetMask(flow) }, 32768, names)}`];
    lines.push(`It enters ${bridgeName} on ${names.get(ofport) ?? ofport}.`);
    trace.plain.forEach((s, i) => {
      lines.push(`${i + 1}. ${s}`);
    });
    const acts = formatActions(result.actions, key);
    lines.push(
      acts === 'drop'
        ? 'Result: the packet is dropped.'
        : `Result: ${describeDatapathActions(sw, result.actions)} (datapath actions: ${acts}).`,
    );
    return `${lines.join('\n')}\n`;
  }
  const megaMatch = new Uint32Array(FLOW_WORDS);
  megaMatch.set(key.subarray(0, KEY_WORDS));
  megaMatch[K_IN_PORT] = ofport;
  const megaMask = new Uint32Array(FLOW_WORDS);
  megaMask.set(result.mask.subarray(0, KEY_WORDS));
  const mega = matchText({ value: megaMatch, mask: megaMask }, 32768);
  const fin = trace.finalFlow;
  const finalText =
    fin === null || matchText({ value: fin, mask: packetMask(fin) }, 32768) === packet
      ? 'unchanged'
      : matchText({ value: fin, mask: packetMask(fin) }, 32768);
  const out = [`Flow: ${packet}`, '', ...trace.lines, '', `Final flow: ${finalText}`];
  out.push(`Megaflow: recirc_id=0,eth${mega === '' ? '' : `,${mega}`}`);
  out.push(`Datapath actions: ${formatActions(result.actions, key)}`);
  return `${out.join('\n')}\n`;
}

function takeFlag(args: string[], flag: string): boolean {
  const i = args.indexOf(flag);
  if (i < 0) return false;
  args.splice(i, 1);
  return true;
}

/** "sent out of p2 and p3" from datapath outputs. */
function describeDatapathActions(sw: SwitchState, actions: Uint32Array): string {
  const text = formatActions(actions);
  const outs = text.split(',').filter((t) => /^\d+$/.test(t));
  const byDp = new Map<number, string>();
  for (const b of sw.ofproto.bridgeNames?.() ?? []) {
    for (const p of sw.ofproto.portsOf?.(b) ?? []) if (p.dpPort !== null) byDp.set(p.dpPort, p.name);
  }
  const names = outs.map((n) => byDp.get(Number(n)) ?? `datapath port ${n}`);
  if (names.length === 0) return 'the packet is handed to the slow path or changed only';
  return `sent out of ${names.join(', ')}`;
}
