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
import { packetMask } from '../openflow/packet-text.js';
import { FlowTextError } from '../openflow/text-util.js';
import { K_IN_PORT, KEY_WORDS, newFlowKey } from '../packet/flow-key.js';
import { UnixctlError } from '../unixctl/server.js';
import type { SwitchState } from './switch.js';

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
