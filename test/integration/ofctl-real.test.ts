// `tsovs ofctl` against `ovs-ofctl` 3.1, both pointed at the same real ovs-vswitchd (a netdev bridge with
// two dummy ports, test/helpers/ofctl-switch.ts): for every command, with -O OpenFlow10, -O OpenFlow13 and
// no -O, the two must print the same stdout and end with the same status; where they fail, the
// "ovs-ofctl: ..." lines must be the same. Statistics that move between the two runs (durations, ages)
// are masked. Commands that change the switch run from the same starting table, and the tables they
// leave behind must be the same.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type RunResult, tsovsArgv } from '../helpers/daemons.js';
import { OFCTL_SWITCH_BINARIES, OfctlSwitch, runWithInput } from '../helpers/ofctl-switch.js';
import { skipUnlessBinaries } from '../helpers/ovs.js';

const notRoot = process.getuid?.() !== 0 ? 'needs root (the bridge has a TAP device)' : false;
const SKIP = skipUnlessBinaries(...OFCTL_SWITCH_BINARIES) || notRoot;

/** Durations and ages differ between two runs a few milliseconds apart. */
/**
 * Statistics normalised: durations and ages, and the counters traffic may change between the two tools'
 * calls (the bridge's LOCAL TAP device sends the kernel's own IPv6 chatter at any time).
 */
function normalize(text: string): string {
  return text
    .replace(/duration[=:][0-9.]+s/g, 'duration=?s')
    .replace(/(pkts|bytes|n_packets|n_bytes|lookup|matched|packet_count|byte_count)=\d+/g, '$1=?')
    .replace(/idle_age=\d+, /g, 'idle_age=?, ')
    .replace(/hard_age=\d+, /g, '');
}

/** The "ovs-ofctl: ..." lines of stderr (log lines carry timestamps; ours has none). */
function errorLines(stderr: string): string {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('ovs-ofctl: '))
    .join('\n');
}

/**
 * tsovs ofctl's default offers every version it speaks (1.0, 1.3, 1.4, 1.5) and uses the highest both ends
 * share: what ovs-ofctl does with `-O OpenFlow10,OpenFlow13,OpenFlow14,OpenFlow15` (ovs-ofctl's own default
 * is OpenFlow 1.0 only). The DEFAULT marker is dropped from our command line and becomes that -O on theirs.
 */
const ALL_VERSIONS = 'OpenFlow10,OpenFlow13,OpenFlow14,OpenFlow15';
const DEFAULT = '<default versions>';

const VERSIONS: readonly [string, string[]][] = [
  ['default', [DEFAULT]],
  ['OpenFlow10', ['-O', 'OpenFlow10']],
  ['OpenFlow13', ['-O', 'OpenFlow13']],
];

/** The flows every flow-mod test starts from. */
const BASELINE = [
  'priority=0,actions=NORMAL',
  'table=0,priority=5,in_port=1,actions=output:2',
  'table=0,cookie=0x5,priority=7,ip,nw_dst=10.0.0.0/8,actions=drop',
  'table=2,priority=9,tcp,tp_dst=22,actions=output:1',
];

// The same commands through both tools, first against Open vSwitch's own switch, then against ours: the
// outputs must agree on each (tsovs vswitchd's replies decoded and printed by the real ovs-ofctl too).
for (const kind of ['ovs', 'tsovs'] as const)
  describe(`tsovs ofctl against ovs-ofctl on ${kind === 'ovs' ? 'a real Open vSwitch switch' : 'tsovs vswitchd'}`, {
    skip: SKIP,
  }, () => {
    const sw = new OfctlSwitch(kind);
    const target = () => `unix:${sw.mgmt}`;

    const ovs = (args: readonly string[], stdin = '') =>
      sw.ofctl(
        args.flatMap((a) => (a === DEFAULT ? ['-O', ALL_VERSIONS] : [a])),
        stdin,
      );
    const ours = (args: readonly string[], stdin = ''): Promise<RunResult> => {
      const [cmd, ...pre] = tsovsArgv();
      const argv = args.filter((a) => a !== DEFAULT).map((a) => (a === 'SWITCH' ? target() : a));
      return runWithInput(cmd, [...pre, 'ofctl', ...argv], stdin);
    };

    /** Runs both; asserts same stdout (normalized), status and error lines; returns ours. */
    async function same(args: readonly string[], stdin = ''): Promise<RunResult> {
      const theirs = await ovs(args, stdin);
      const mine = await ours(args, stdin);
      const what = `ofctl ${args.join(' ')}`;
      assert.equal(normalize(mine.stdout), normalize(theirs.stdout), `${what}: stdout`);
      assert.equal(mine.status, theirs.status, `${what}: status (ours said ${mine.stderr})`);
      assert.equal(errorLines(mine.stderr), errorLines(theirs.stderr), `${what}: error lines`);
      return mine;
    }

    /** The whole flow table as both versions see it, without statistics. */
    async function table(): Promise<string> {
      const a = await ovs(['--no-stats', '--sort', 'dump-flows', 'SWITCH']);
      const b = await ovs(['-O', 'OpenFlow13', '--no-stats', '--sort', 'dump-flows', 'SWITCH']);
      return a.stdout + b.stdout;
    }

    async function reset(): Promise<void> {
      const r = await ovs(['del-flows', 'SWITCH']);
      assert.equal(r.status, 0, r.stderr);
      const add = await ovs(['add-flows', 'SWITCH', '-'], `${BASELINE.join('\n')}\n`);
      assert.equal(add.status, 0, add.stderr);
    }

    /** Runs a command that changes the switch with each tool from the baseline; the results must agree. */
    async function sameEffect(args: readonly string[], stdin = ''): Promise<void> {
      await reset();
      const theirs = await ovs(args, stdin);
      const afterTheirs = await table();
      await reset();
      const mine = await ours(args, stdin);
      const afterOurs = await table();
      const what = `ofctl ${args.join(' ')}`;
      assert.equal(mine.stdout, theirs.stdout, `${what}: stdout`);
      assert.equal(mine.status, theirs.status, `${what}: status (ours said ${mine.stderr})`);
      assert.equal(errorLines(mine.stderr), errorLines(theirs.stderr), `${what}: error lines`);
      assert.equal(afterOurs, afterTheirs, `${what}: flow table afterwards`);
    }

    before(async () => {
      try {
        await sw.start();
        await reset();
      } catch (err) {
        await sw.cleanup();
        throw err;
      }
    });
    after(() => sw.cleanup());

    for (const [label, O] of VERSIONS) {
      describe(`${label}: reading`, () => {
        const reads: string[][] = [
          ['show', 'SWITCH'],
          ['dump-desc', 'SWITCH'],
          ['dump-tables', 'SWITCH'],
          ['dump-ports', 'SWITCH'],
          ['dump-ports', 'SWITCH', '2'],
          ['dump-ports', 'SWITCH', 'LOCAL'],
          ['dump-ports-desc', 'SWITCH'],
          ['dump-flows', 'SWITCH'],
          ['--no-stats', 'dump-flows', 'SWITCH'],
          ['--names', 'dump-flows', 'SWITCH'],
          ['--names', '--no-stats', 'dump-flows', 'SWITCH', 'in_port=1'],
          ['--sort', 'dump-flows', 'SWITCH'],
          ['--rsort', '--no-stats', 'dump-flows', 'SWITCH'],
          ['dump-flows', 'SWITCH', 'table=2'],
          ['dump-flows', 'SWITCH', 'ip'],
          ['dump-flows', 'SWITCH', 'cookie=0x5/-1'],
          ['dump-flows', 'SWITCH', 'out_port=2'],
          ['dump-aggregate', 'SWITCH'],
          ['dump-aggregate', 'SWITCH', 'table=2'],
        ];
        for (const args of reads) {
          test(args.join(' '), async () => {
            await same([...O, ...args]);
          });
        }
      });

      describe(`${label}: changing flows`, () => {
        const changes: [string[], string?][] = [
          [['add-flow', 'SWITCH', 'priority=100,in_port=2,dl_vlan=5,actions=strip_vlan,output:1']],
          [['add-flow', 'SWITCH', 'table=3,priority=1,reg0=7,actions=load:0x1->NXM_NX_REG1[],resubmit(,4)']],
          [
            [
              'add-flow',
              'SWITCH',
              'cookie=0x99,idle_timeout=60,send_flow_rem,udp,tp_src=53,actions=controller',
            ],
          ],
          [['add-flow', 'SWITCH', 'in_port=1,actions=mod_vlan_vid:7,output:2']],
          [
            ['add-flows', 'SWITCH', '-'],
            'priority=3,arp,actions=flood\n# comment\n\npriority=4,ipv6,actions=drop\n',
          ],
          [['mod-flows', 'SWITCH', 'in_port=1,actions=output:LOCAL']],
          [['--strict', 'mod-flows', 'SWITCH', 'priority=5,in_port=1,actions=drop']],
          [['mod-flows', 'SWITCH', 'cookie=0x5/-1,actions=output:2']],
          [['del-flows', 'SWITCH', 'table=2']],
          [['--strict', 'del-flows', 'SWITCH', 'priority=5,in_port=1']],
          [['del-flows', 'SWITCH', 'out_port=2']],
          [['del-flows', 'SWITCH']],
        ];
        for (const [args, stdin] of changes) {
          test(args.join(' '), async () => {
            await sameEffect([...O, ...args], stdin);
          });
        }
        test('add-flows FILE', async () => {
          const file = join(sw.dir, 'flows.txt');
          writeFileSync(file, 'table=1,priority=9,icmp,actions=drop\ndelete in_port=1\n');
          await sameEffect([...O, 'add-flows', 'SWITCH', file]);
        });
      });

      describe(`${label}: errors`, () => {
        const bad: string[][] = [
          ['add-flow', 'SWITCH', 'in_port=1,actions=foo'],
          ['add-flow', 'SWITCH', 'in_port=x,actions=drop'],
          ['add-flow', 'SWITCH', 'nw_src=1.2.3.4.5,actions=drop'],
          ['add-flow', 'SWITCH', 'priority=5'],
          ['dump-flows', 'SWITCH', 'tcp,tp_dst=bogus'],
          ['add-flows', 'SWITCH', '/nonexistent/flows.txt'],
          ['dump-ports', 'SWITCH', 'nosuchport'],
        ];
        for (const args of bad) {
          test(args.join(' '), async () => {
            const r = await same([...O, ...args]);
            assert.equal(r.status, 1);
          });
        }
        test('a flow the switch refuses (group that does not exist)', async () => {
          await sameEffect([...O, 'add-flow', 'SWITCH', 'actions=group:5']);
        });
      });
    }

    const ARP = 'ffffffffffff0000000000010806000108000604000100000000000100000000000000000000000000000000';

    describe('packet-out and port statistics', () => {
      for (const [label, O] of VERSIONS) {
        test(`${label}: packet-out IN_PORT ACTIONS PACKET, then the counters`, async () => {
          await same([...O, 'packet-out', 'SWITCH', '1', 'output:2', ARP]);
          await same([...O, 'dump-ports', 'SWITCH']);
        });
        test(`${label}: packet-out "in_port=...,packet=...,actions=..."`, async () => {
          await same([...O, 'packet-out', 'SWITCH', `in_port=2,packet=${ARP},actions=output:1,output:LOCAL`]);
          await same([...O, 'dump-ports', 'SWITCH', '1']);
        });
        test(`${label}: packet-out refusals`, async () => {
          await same([...O, 'packet-out', 'SWITCH', '1', 'output:2', 'ffff']);
          await same([...O, 'packet-out', 'SWITCH', '1', 'bogus:2', ARP]);
        });
      }
    });

    describe('mod-port', () => {
      for (const [label, O] of VERSIONS) {
        for (const action of ['down', 'up', 'no-flood', 'flood', 'nosuchthing']) {
          test(`${label}: mod-port 2 ${action}`, async () => {
            await same([...O, 'mod-port', 'SWITCH', '2', action]);
            await same([...O, 'dump-ports-desc', 'SWITCH']);
          });
        }
      }
    });

    describe('groups (OpenFlow 1.3)', () => {
      const O = ['-O', 'OpenFlow13'];
      /** Runs a group command with each tool from no groups; the groups left behind must agree. */
      async function sameGroups(args: readonly string[], setup: readonly string[] = []): Promise<void> {
        const start = async () => {
          await ovs([...O, 'del-groups', 'SWITCH']);
          for (const g of setup) assert.equal((await ovs([...O, 'add-group', 'SWITCH', g])).status, 0);
        };
        await start();
        const theirs = await ovs([...O, ...args]);
        const afterTheirs = (await ovs([...O, 'dump-groups', 'SWITCH'])).stdout;
        await start();
        const mine = await ours([...O, ...args]);
        const afterOurs = (await ovs([...O, 'dump-groups', 'SWITCH'])).stdout;
        assert.equal(mine.status, theirs.status, `${args.join(' ')}: status (ours said ${mine.stderr})`);
        assert.equal(errorLines(mine.stderr), errorLines(theirs.stderr));
        assert.equal(afterOurs, afterTheirs, `${args.join(' ')}: groups afterwards`);
      }
      const ALL = 'group_id=1,type=all,bucket=output:1,bucket=output:2';
      test('add-group all', () => sameGroups(['add-group', 'SWITCH', ALL]));
      test('add-group ff with watch ports', () =>
        sameGroups([
          'add-group',
          'SWITCH',
          'group_id=2,type=ff,bucket=watch_port:1,actions=output:1,bucket=watch_port:2,output:2',
        ]));
      test('mod-group to select with weights', () =>
        sameGroups(
          ['mod-group', 'SWITCH', 'group_id=1,type=select,bucket=weight:5,actions=output:1,bucket=output:2'],
          [ALL],
        ));
      test('del-groups one', () => sameGroups(['del-groups', 'SWITCH', 'group_id=1'], [ALL]));
      test('del-groups all', () => sameGroups(['del-groups', 'SWITCH'], [ALL]));
      test('add-group without group_id', () =>
        sameGroups(['add-group', 'SWITCH', 'type=all,bucket=output:1']));
      test('dump-groups, dump-group-stats, a flow using the group', async () => {
        await ovs([...O, 'del-groups', 'SWITCH']);
        await ovs([...O, 'add-group', 'SWITCH', ALL]);
        await same([...O, 'dump-groups', 'SWITCH']);
        await same([...O, 'dump-group-stats', 'SWITCH']);
        await same([...O, 'dump-group-stats', 'SWITCH', 'group_id=1']);
        await same([...O, 'add-flow', 'SWITCH', 'table=9,actions=group:1']);
        await same([...O, 'dump-flows', 'SWITCH', 'table=9']);
        await ovs(['del-flows', 'SWITCH', 'table=9']);
      });
    });

    test('a switch that speaks only OpenFlow 1.0, asked for 1.3: the same failure', async () => {
      await sw.vsctl('set', 'bridge', sw.bridge, 'protocols=OpenFlow10');
      try {
        const theirs = await ovs(['-O', 'OpenFlow13', 'dump-desc', 'SWITCH']);
        const mine = await ours(['-O', 'OpenFlow13', 'dump-desc', 'SWITCH']);
        assert.equal(theirs.status, 1);
        assert.equal(mine.status, 1);
        assert.equal(mine.stdout, theirs.stdout);
        // ovs-ofctl's reason depends on a race (whether the switch's hello-failed error or its close comes
        // first): "Protocol error" or "Broken pipe". Ours reads the error and says the former.
        const why = / failed to connect to socket \((Protocol error|Broken pipe)\)$/;
        assert.match(errorLines(theirs.stderr), why);
        assert.equal(errorLines(mine.stderr).replace(why, ''), errorLines(theirs.stderr).replace(why, ''));
        assert.match(
          mine.stderr,
          /version negotiation failed \(we support version 0x04, peer supports version 0x01\)/,
        );
      } finally {
        await sw.vsctl('clear', 'bridge', sw.bridge, 'protocols');
      }
    });

    test('a bridge name: its socket under $TSOVS_RUNDIR; an unknown one is refused as ovs-ofctl does', async () => {
      const [cmd, ...pre] = tsovsArgv();
      const env = { TSOVS_RUNDIR: sw.dir };
      const ok = await runWithInput(cmd, [...pre, 'ofctl', 'dump-desc', sw.bridge], '', env);
      // Our default offers every version we speak and uses the highest: ovs-ofctl's -O with all of them.
      const theirs = await runWithInput('ovs-ofctl', ['-O', ALL_VERSIONS, 'dump-desc', sw.bridge], '', {
        OVS_RUNDIR: sw.dir,
      });
      assert.equal(ok.status, 0, ok.stderr);
      assert.equal(ok.stdout, theirs.stdout);
      const bad = await runWithInput(cmd, [...pre, 'ofctl', 'show', 'nosuchbr'], '', env);
      const badTheirs = await runWithInput('ovs-ofctl', ['show', 'nosuchbr'], '', { OVS_RUNDIR: sw.dir });
      assert.equal(bad.status, 1);
      assert.equal(errorLines(bad.stderr), errorLines(badTheirs.stderr));
      assert.equal(errorLines(bad.stderr), 'ovs-ofctl: nosuchbr is not a bridge or a socket');
    });

    // OpenFlow 1.4/1.5, bundles, meters and queue configuration: a compact set (each run of tsovs ofctl
    // costs a process start), every output still compared with what ovs-ofctl prints.
    describe('OpenFlow 1.4 and 1.5', () => {
      for (const v of ['OpenFlow14', 'OpenFlow15']) {
        const O = ['-O', v];
        test(`${v}: show, dump-ports, dump-flows, dump-aggregate, a flow with importance`, async () => {
          await reset();
          for (const args of [
            ['show', 'SWITCH'],
            ['dump-ports', 'SWITCH', '2'],
            ['--names', 'dump-flows', 'SWITCH', 'in_port=1'],
            ['dump-aggregate', 'SWITCH'],
          ]) {
            await same([...O, ...args]);
          }
          await sameEffect([
            ...O,
            'add-flow',
            'SWITCH',
            'importance=9,priority=100,in_port=2,actions=output:1',
          ]);
        });
      }
      test('OpenFlow14: mod-port (port_mod with properties), port descriptions', async () => {
        await same(['-O', 'OpenFlow14', 'mod-port', 'SWITCH', '2', 'no-flood']);
        await same(['-O', 'OpenFlow14', 'dump-ports-desc', 'SWITCH']);
        await ovs(['-O', 'OpenFlow14', 'mod-port', 'SWITCH', '2', 'flood']);
      });
      test('OpenFlow15: packet-out with a match, groups with bucket ids', async () => {
        const O = ['-O', 'OpenFlow15'];
        await same([...O, 'packet-out', 'SWITCH', '1', 'output:2', ARP]);
        const G1 = 'group_id=1,type=select,bucket=weight:5,actions=output:1,bucket=output:2';
        await ovs([...O, 'del-groups', 'SWITCH']);
        const theirs = await ovs([...O, 'add-group', 'SWITCH', G1]);
        const afterTheirs = (await ovs([...O, 'dump-groups', 'SWITCH'])).stdout;
        await ovs([...O, 'del-groups', 'SWITCH']);
        const mine = await ours([...O, 'add-group', 'SWITCH', G1]);
        assert.equal(mine.status, theirs.status, `add-group: status (ours said ${mine.stderr})`);
        await same([...O, 'dump-groups', 'SWITCH']);
        assert.equal((await ovs([...O, 'dump-groups', 'SWITCH'])).stdout, afterTheirs);
        await ovs([...O, 'del-groups', 'SWITCH']);
      });
    });

    describe('--bundle', () => {
      for (const [label, O] of [
        ['default', [DEFAULT]],
        ['OpenFlow13 (the ONF extension)', ['-O', 'OpenFlow13']],
      ] as const) {
        test(`${label}: add-flows as one bundle; one whose last flow fails changes nothing`, async () => {
          const good = join(sw.dir, 'bundle-good.txt');
          writeFileSync(good, 'priority=5,in_port=1,actions=output:2\ntable=3,priority=6,actions=drop\n');
          await sameEffect([...O, '--bundle', 'add-flows', 'SWITCH', good]);
          const bad = join(sw.dir, 'bundle-bad.txt');
          writeFileSync(
            bad,
            'priority=50,in_port=1,actions=drop\ndelete table=2\npriority=6,actions=group:5\n',
          );
          await sameEffect([...O, '--bundle', 'add-flows', 'SWITCH', bad]);
        });
      }
      test('-O OpenFlow10 --bundle replace-flows (bundles imply OpenFlow 1.4)', async () => {
        const file = join(sw.dir, 'bundle-replace.txt');
        writeFileSync(file, 'priority=0,actions=NORMAL\npriority=8,in_port=2,actions=output:1\n');
        await sameEffect(['-O', 'OpenFlow10', '--bundle', 'replace-flows', 'SWITCH', file]);
      });
    });

    describe('meters and queue-get-config', () => {
      const M1 = 'meter=1,kbps,burst,stats,bands=type=drop,rate=1000,burst_size=100';
      const M2 = 'meter=2,pktps,bands=type=drop,rate=10,type=drop,rate=20';
      const meters = async () => (await ovs(['-O', 'OpenFlow13', 'dump-meters', 'SWITCH'])).stdout;
      test('add-meter, its refusals, dump-meters, meter-stats, meter-features, del-meters', async () => {
        await ovs(['-O', 'OpenFlow13', 'del-meters', 'SWITCH']);
        const theirs = await ovs([DEFAULT, 'add-meter', 'SWITCH', M1]);
        const afterTheirs = await meters();
        await ovs(['-O', 'OpenFlow13', 'del-meters', 'SWITCH']);
        const mine = await ours([DEFAULT, 'add-meter', 'SWITCH', M1]);
        assert.equal(mine.status, theirs.status, `add-meter: status (ours said ${mine.stderr})`);
        assert.equal(await meters(), afterTheirs);
        await ovs(['-O', 'OpenFlow13', 'add-meter', 'SWITCH', M2]);
        for (const args of [
          ['add-meter', 'SWITCH', M1],
          ['mod-meter', 'SWITCH', 'meter=9,kbps,bands=type=drop,rate=7'],
          ['add-meter', 'SWITCH', 'meter=3,kbps,bands=type=dscp_remark,rate=100,prec_level=1'],
          ['add-meter', 'SWITCH', 'meter=0,kbps,bands=type=drop,rate=5'],
          ['dump-meters', 'SWITCH'],
          ['meter-stats', 'SWITCH', 'meter=2'],
          ['meter-features', 'SWITCH'],
        ]) {
          await same([DEFAULT, ...args]);
        }
        assert.equal((await same(['-O', 'OpenFlow10', 'dump-meters', 'SWITCH'])).status, 1);
        assert.equal((await ours(['-O', 'OpenFlow13', 'del-meters', 'SWITCH'])).status, 0);
        assert.equal(await meters(), (await ovs(['-O', 'OpenFlow13', 'dump-meters', 'SWITCH'])).stdout);
        assert.doesNotMatch(await meters(), /meter=/);
      });
      test('queue-get-config: every port in 1.0, LOCAL in 1.3, one port in 1.5', async () => {
        await same(['-O', 'OpenFlow10', 'queue-get-config', 'SWITCH']);
        await same(['-O', 'OpenFlow13', 'queue-get-config', 'SWITCH', 'LOCAL']);
        await same([DEFAULT, 'queue-get-config', 'SWITCH', '1']);
      });
    });

    describe('diff-flows and replace-flows', () => {
      for (const [label, O] of VERSIONS) {
        test(`${label}: diff-flows SWITCH FILE, equal and different`, async () => {
          await reset();
          const file = join(sw.dir, 'diff.txt');
          writeFileSync(file, `${BASELINE.join('\n')}\n`);
          const r = await same([...O, 'diff-flows', 'SWITCH', file]);
          assert.equal(r.status, 0);
          writeFileSync(
            file,
            'priority=0,actions=NORMAL\ntable=2,priority=9,tcp,tp_dst=22,actions=output:2\n',
          );
          const d = await same([...O, 'diff-flows', 'SWITCH', file]);
          assert.equal(d.status, 2);
        });
        test(`${label}: replace-flows SWITCH FILE`, async () => {
          const file = join(sw.dir, 'replace.txt');
          writeFileSync(
            file,
            'priority=0,actions=NORMAL\ncookie=0x7,priority=5,in_port=1,actions=output:LOCAL\n',
          );
          await sameEffect([...O, 'replace-flows', 'SWITCH', file]);
        });
      }
    });
  });
