// Lab files without root: the seed's labs parse into the seed's network; every kind of mistake is refused
// with its line, column and field; validation creates nothing; the pre-flight checks (privileges, the
// `ip` binary) say what is wrong and what to do; the ovs-vsctl commands a host's bridges turn into.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { formatTable } from '../../src/lab/checks.js';
import { describeCheck, labNamespaces } from '../../src/lab/model.js';
import { vsctlCommands } from '../../src/lab/runner.js';
import { LabPaths } from '../../src/lab/state.js';
import {
  checkBinaries,
  checkPrivileges,
  effectiveCaps,
  existingNamespaces,
  LabError,
} from '../../src/lab/system.js';
import { LabFileError, loadLab, parseLab } from '../../src/lab/validate.js';
import { ROOT, tempDir } from '../helpers/daemons.js';

const LABS = join(ROOT, 'labs');

/** A small valid lab to vary: two hosts, one namespace each, a bridge with a tunnel. */
const GOOD = `name: small
underlay: {mtu: 1600}
hosts:
  h1:
    underlay: 10.10.10.1/24
    namespaces:
      n1: {addresses: {v.2: 192.168.1.1/24}}
    veths:
      - [v.1, n1:v.2]
    bridges:
      br0:
        stp_enable: true
        other_config: {stp-priority: 4096}
        ports:
          v.1: {tag: 10}
          t0: {type: vxlan, options: {remote_ip: 10.10.10.2, key: 7}}
        flows:
          - priority=10,in_port=v.1,actions=normal
  h2:
    underlay: 10.10.10.2/24
checks:
  - ping: {from: n1, to: 192.168.1.2, expect: no-reply, count: 1}
  - capture: {name: tunnel, link: h1:eth1, match: 'UDP', args: [-q]}
`;

/** The issues of a lab text that must fail. */
function issuesOf(text: string) {
  try {
    parseLab(text, 'lab.yaml');
  } catch (err) {
    assert.ok(err instanceof LabFileError, String(err));
    return err.issues;
  }
  assert.fail('the lab was accepted');
}

/** Replaces `from` (which must occur) in GOOD. */
function variant(from: string, to: string): string {
  assert.ok(GOOD.includes(from), from);
  return GOOD.replace(from, to);
}

/** Line (1-based) of the first line of GOOD (or `text`) containing `needle`. */
function lineOf(needle: string, text = GOOD): number {
  return text.split('\n').findIndex((l) => l.includes(needle)) + 1;
}

describe('the seed labs', () => {
  for (const tunnel of ['gre', 'vxlan', 'geneve']) {
    it(`seed-${tunnel}.yaml is the seed's network`, () => {
      const lab = loadLab(join(LABS, `seed-${tunnel}.yaml`));
      assert.equal(lab.name, `seed-${tunnel}`);
      assert.deepEqual(labNamespaces(lab), ['node3', 'node4', 'A1', 'B1', 'A2', 'B2']);
      assert.deepEqual(lab.underlay, { dev: 'eth1', mtu: 1600 });
      const [node3, node4] = lab.hosts;
      assert.equal(node3.underlayAddress, '10.10.10.1/24');
      assert.equal(node4.underlayAddress, '10.10.10.2/24');
      for (const [h, a, b] of [
        [node3, 'a1', 'b1'],
        [node4, 'a2', 'b2'],
      ] as const) {
        const veths = h.veths.map((v) => `${v.a.ns}:${v.a.dev}-${v.b.ns}:${v.b.dev}`);
        const own = h.name;
        assert.deepEqual(veths, [
          `${own}:${a}.1-${a.toUpperCase()}:${a}.2`,
          `${own}:${b}.1-${b.toUpperCase()}:${b}.2`,
          `${own}:b12.1-${own}:b12.2`,
          `${own}:b13.1-${own}:b13.2`,
          `${own}:b23.1-${own}:b23.2`,
        ]);
        assert.deepEqual(
          h.bridges.map((br) => [br.name, br.ports.map((p) => p.name).sort()]),
          [
            ['br1', ['b12.2', 'b13.2', tunnel === 'gre' ? 'GRE' : tunnel].sort()],
            ['br2', [`${a}.1`, 'b12.1', 'b23.2'].sort()],
            ['br3', [`${b}.1`, 'b13.1', 'b23.1'].sort()],
          ],
        );
        for (const br of h.bridges)
          assert.ok(br.columns.some((c) => c.column === 'stp_enable' && c.value === 'true'));
      }
      const tun = node3.bridges[0].ports[2];
      assert.deepEqual(tun.iface, [
        { column: 'type', value: tunnel },
        { column: 'options', key: 'remote_ip', value: '10.10.10.2' },
      ]);
      assert.deepEqual(
        node3.addresses.map((a) => `${a.ns} ${a.dev} ${a.cidr}`),
        ['A1 a1.2 192.168.10.1/24', 'B1 b1.2 192.168.10.2/24'],
      );
      const pings = lab.checks.filter((c) => c.kind === 'ping').map((c) => `${c.from}>${c.to}`);
      assert.deepEqual(pings, ['B1>192.168.10.1', 'A1>192.168.10.2', 'B1>192.168.10.10', 'A2>192.168.10.1']);
      const captures = lab.checks.filter((c) => c.kind === 'capture');
      assert.ok(captures.length >= 2);
      for (const c of captures) assert.deepEqual(c.link, { ns: 'node3', dev: 'eth1' });
    });
  }

  it("the GRE capture check matches the seed's own tcpdump line", () => {
    const lab = loadLab(join(LABS, 'seed-gre.yaml'));
    const seed =
      'IP 10.10.10.1 > 10.10.10.2: GREv0, length 56: STP 802.1d, Config, Flags [none], bridge-id 8000.a2:49:24:81:6e:46.8001, length 35';
    assert.ok(lab.checks.some((c) => c.kind === 'capture' && c.match.test(seed)));
  });

  it("the VXLAN capture check matches the seed's own tcpdump line", () => {
    const lab = loadLab(join(LABS, 'seed-vxlan.yaml'));
    const seed = 'IP 10.10.10.1.58588 > 10.10.10.2.4789: UDP, length 60';
    assert.ok(lab.checks.some((c) => c.kind === 'capture' && c.match.test(seed)));
  });

  it('a host turns into one ovs-vsctl transaction: bridges, STP, ports, the tunnel', () => {
    const lab = loadLab(join(LABS, 'seed-gre.yaml'));
    const args = vsctlCommands(lab.hosts[0]).join(' ');
    assert.match(
      args,
      /^-- init -- add-br br1 -- set Bridge br1 stp_enable=true other_config:stp-forward-delay=4/,
    );
    assert.match(args, / -- add-port br1 GRE -- set Interface GRE type=gre options:remote_ip=10\.10\.10\.2/);
    assert.match(args, / -- add-port br2 a1\.1 /);
  });
});

describe('a good lab file', () => {
  it('parses: hosts, namespaces, columns, flows, checks', () => {
    const lab = parseLab(GOOD, 'lab.yaml');
    const h1 = lab.hosts[0];
    assert.deepEqual(h1.bridges[0].columns, [
      { column: 'stp_enable', value: 'true' },
      { column: 'other_config', key: 'stp-priority', value: '4096' },
    ]);
    assert.deepEqual(h1.bridges[0].ports[0], {
      name: 'v.1',
      port: [{ column: 'tag', value: '10' }],
      iface: [],
    });
    assert.deepEqual(h1.bridges[0].flows, ['priority=10,in_port=v.1,actions=normal']);
    assert.equal(lab.checks[0].kind, 'ping');
    assert.equal(describeCheck(lab.checks[1]), 'tunnel');
    const args = vsctlCommands(h1).join(' ');
    assert.match(args, /set Port v\.1 tag=10/);
    assert.match(args, /set Interface t0 type=vxlan options:remote_ip=10\.10\.10\.2 options:key=7/);
  });

  it('sets, trunks and quoted strings are written in ovs-vsctl syntax', () => {
    const lab = parseLab(
      variant(
        'v.1: {tag: 10}',
        'v.1: {trunks: [10, 20], vlan_mode: trunk, port: {external_ids: {note: "a b"}}}',
      ),
      'lab.yaml',
    );
    const args = vsctlCommands(lab.hosts[0]).join(' ');
    assert.match(args, /set Port v\.1 trunks=\[10,20\] vlan_mode=trunk external_ids:note="a b"/);
  });

  it('validation creates nothing', () => {
    const base = tempDir('tsovs-lab-validate-');
    const before = existingNamespaces();
    for (const f of ['seed-gre.yaml', 'seed-vxlan.yaml', 'seed-geneve.yaml']) loadLab(join(LABS, f));
    assert.throws(() => parseLab(variant('name: small', 'name: small\nbogus: 1'), 'lab.yaml'));
    assert.deepEqual(existingNamespaces(), before);
    assert.equal(existsSync(new LabPaths('small', base).dir), false);
    assert.equal(existsSync(new LabPaths('seed-gre', base).dir), false);
  });
});

describe('a lab file with a mistake is refused, naming line and field', () => {
  const cases: { what: string; text: string; line: number; field: string; message: RegExp }[] = [
    {
      what: 'YAML that does not parse (a key given twice)',
      text: variant('    bridges:', '    veths: []\n    bridges:'),
      line: lineOf('    bridges:'),
      field: '',
      message: /not valid YAML: Map keys must be unique/,
    },
    {
      what: 'an unknown field, with a suggestion',
      text: variant('    namespaces:', '    namespace:'),
      line: lineOf('    namespaces:'),
      field: 'hosts.h1.namespace',
      message: /unknown field "namespace" \(did you mean namespaces\?\)/,
    },
    {
      what: 'a value of the wrong type',
      text: variant('{tag: 10}', '{tag: ten}'),
      line: lineOf('{tag: 10}'),
      field: 'hosts.h1.bridges.br0.ports.v.1.tag',
      message: /must be an integer from 0 to 4095, not "ten"/,
    },
    {
      what: 'a boolean column given something else',
      text: variant('stp_enable: true', 'stp_enable: yes please'),
      line: lineOf('stp_enable'),
      field: 'hosts.h1.bridges.br0.stp_enable',
      message: /must be true or false/,
    },
    {
      what: 'an unknown bridge column',
      text: variant('stp_enable: true', 'stp_enabled: true'),
      line: lineOf('stp_enable'),
      field: 'hosts.h1.bridges.br0.stp_enabled',
      message: /did you mean stp_enable\?/,
    },
    {
      what: 'a veth into a namespace that does not exist',
      text: variant('[v.1, n1:v.2]', '[v.1, n9:v.2]'),
      line: lineOf('[v.1, n1:v.2]'),
      field: 'hosts.h1.veths[0][1]',
      message: /no namespace "n9" on host h1/,
    },
    {
      what: 'an interface name longer than the kernel allows',
      text: variant('[v.1, n1:v.2]', '[v.1, n1:a-very-long-name-x]'),
      line: lineOf('[v.1, n1:v.2]'),
      field: 'hosts.h1.veths[0][1]',
      message: /not a usable interface name \(at most 15 characters/,
    },
    {
      what: 'a namespace named twice',
      text: variant('  h2:\n', '  h2:\n    namespaces: {n1: {}}\n'),
      line: lineOf('  h2:') + 1,
      field: 'hosts.h2.namespaces.n1',
      message: /the namespace name "n1" is already used by a namespace of host h1/,
    },
    {
      what: 'a port with no device behind it',
      text: variant('v.1: {tag: 10}', 'v.9: {tag: 10}'),
      line: lineOf('v.1: {tag: 10}'),
      field: 'hosts.h1.bridges.br0.ports.v.9',
      message: /host h1 has no interface v\.9: declare it under hosts\.h1\.veths, or give the port a type/,
    },
    {
      what: 'a column of both Port and Interface without saying which',
      text: variant('{tag: 10}', '{other_config: {a: b}}'),
      line: lineOf('{tag: 10}'),
      field: 'hosts.h1.bridges.br0.ports.v.1.other_config',
      message: /a column of both Port and Interface: write it under port: or interface:/,
    },
    {
      what: 'an address that is not one',
      text: variant('192.168.1.1/24', '192.168.1.300/24'),
      line: lineOf('192.168.1.1/24'),
      field: 'hosts.h1.namespaces.n1.addresses.v.2',
      message: /"192\.168\.1\.300\/24" is not an address with a prefix length/,
    },
    {
      what: 'an address on an interface the namespace lacks',
      text: variant('{v.2: 192.168.1.1/24}', '{v.3: 192.168.1.1/24}'),
      line: lineOf('{v.2: 192.168.1.1/24}'),
      field: 'hosts.h1.namespaces.n1.addresses.v.3',
      message: /namespace n1 has no interface v\.3 \(it has v\.2\)/,
    },
    {
      what: 'a host without its underlay address',
      text: variant('  h2:\n    underlay: 10.10.10.2/24\n', '  h2:\n    sysctl: {net.ipv4.ip_forward: 1}\n'),
      line: lineOf('underlay: {mtu'),
      field: 'underlay',
      message: /host h2 has no underlay address/,
    },
    {
      what: 'a flow ovs-ofctl would refuse',
      text: variant('actions=normal', 'actions=frobnicate'),
      line: lineOf('actions=normal'),
      field: 'hosts.h1.bridges.br0.flows[0]',
      message: /bad flow for br0: .*frobnicate/,
    },
    {
      what: 'a ping from a namespace the lab does not have',
      text: variant('from: n1', 'from: n7'),
      line: lineOf('from: n1'),
      field: 'checks[0].ping',
      message: /no namespace "n7" in this lab/,
    },
    {
      what: 'a ping to something that is not an address',
      text: variant('to: 192.168.1.2', 'to: far-away'),
      line: lineOf('to: 192.168.1.2'),
      field: 'checks[0].ping',
      message: /"far-away" is not an IP address/,
    },
    {
      what: 'a capture on a link that does not exist',
      text: variant('link: h1:eth1', 'link: h1:eth7'),
      line: lineOf('link: h1:eth1'),
      field: 'checks[1].capture.link',
      message: /namespace h1 has no interface eth7/,
    },
    {
      what: 'a capture pattern that is not a regular expression',
      text: variant("match: 'UDP'", "match: '(UDP'"),
      line: lineOf("match: 'UDP'"),
      field: 'checks[1].capture.match',
      message: /not a regular expression/,
    },
    {
      what: 'a lab name that cannot be a directory',
      text: variant('name: small', 'name: ../etc'),
      line: 1,
      field: 'name',
      message: /must be 1–32 letters/,
    },
  ];
  for (const c of cases) {
    it(c.what, () => {
      const issues = issuesOf(c.text);
      const hit = issues.find((i) => c.message.test(i.message));
      assert.ok(hit, `no issue matches ${c.message}: ${JSON.stringify(issues, null, 1)}`);
      assert.equal(hit.line, c.line, JSON.stringify(hit));
      assert.equal(hit.field, c.field, JSON.stringify(hit));
      assert.ok(hit.col > 0, 'a column is given');
    });
  }

  it('reports every mistake at once, in line order, as FILE:LINE:COL: FIELD: message', () => {
    const text = variant('{tag: 10}', '{tag: ten}').replace('from: n1', 'from: n7');
    try {
      parseLab(text, 'lab.yaml');
      assert.fail('accepted');
    } catch (err) {
      assert.ok(err instanceof LabFileError);
      assert.equal(err.issues.length, 2);
      const lines = err.message.split('\n');
      assert.match(
        lines[0],
        new RegExp(
          `^lab\\.yaml:${lineOf('{tag: 10}')}:\\d+: hosts\\.h1\\.bridges\\.br0\\.ports\\.v\\.1\\.tag: `,
        ),
      );
      assert.match(lines[1], new RegExp(`^lab\\.yaml:${lineOf('from: n1')}:\\d+: checks\\[0\\]\\.ping: `));
    }
  });

  it('an empty file and a missing file are refused', () => {
    assert.match(issuesOf('')[0].message, /the file is empty/);
    assert.match(issuesOf('name: x\n')[0].message, /no hosts:/);
    assert.throws(() => loadLab('/nonexistent/lab.yaml'), /cannot read the lab file: no such file/);
  });
});

describe('pre-flight checks', () => {
  it('without CAP_NET_ADMIN / CAP_SYS_ADMIN: says what is missing and to run as root', () => {
    assert.throws(
      () => checkPrivileges(0n, 1000),
      (err: unknown) =>
        err instanceof LabError &&
        err.code === 'LAB_PRIVILEGE' &&
        /uid 1000\) lacks CAP_NET_ADMIN and CAP_SYS_ADMIN/.test(err.message) &&
        /run as root, e\.g\. `sudo npx tsovs demo`/.test(err.hint),
    );
    checkPrivileges((1n << 12n) | (1n << 21n), 1000);
    assert.equal(effectiveCaps('CapEff:\t000001ffffffffff\n'), 0x1ffffffffffn);
  });

  it('without the ip binary: names it and the package to install', () => {
    assert.throws(
      () => checkBinaries(['ip'], '/nonexistent-dir'),
      (err: unknown) =>
        err instanceof LabError &&
        err.code === 'LAB_MISSING_BINARY' &&
        /`ip` command was not found/.test(err.message) &&
        /apt-get install iproute2/.test(err.hint),
    );
  });

  it('tables line up', () => {
    assert.equal(formatTable(['A', 'BB', 'C'], [['xx', 'y', 'z z']]), 'A   BB  C\nxx  y   z z');
  });
});
