// `tsovs lab` on real namespaces (needs root), with a small two-host lab whose names are unique to this
// run: up, status, exec, check, capture and down; `up` interrupted halfway (SIGINT) or killed (SIGKILL)
// and `down` afterwards leave the machine clean; a name clash, missing privileges and a missing `ip`
// binary are refused with what to do, and nothing is created.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import type { LabState } from '../../src/lab/state.js';
import { runCommand, tempDir, tsovsArgv, waitFor } from '../helpers/daemons.js';
import { hasBinary } from '../helpers/ovs.js';
import { labLeftovers, requireLab, rootLinks } from './lab-support.js';

const S = (process.pid % 46656).toString(36);
/** The small lab's namespaces (unique to this run). */
const H1 = `lh${S}a`;
const H2 = `lh${S}b`;
const N1 = `ln${S}a`;
const N2 = `ln${S}b`;
const NAMESPACES = [H1, H2, N1, N2];

/** Two hosts joined by eth1, one machine on each, a bridge with a VXLAN port on each host. */
function smallLab(name: string): string {
  const host = (h: string, n: string, me: number, peer: number) => `  ${h}:
    underlay: 10.77.0.${me}/24
    namespaces:
      ${n}: {addresses: {m.2: 10.78.0.${me}/24}}
    veths:
      - [m.1, ${n}:m.2]
    bridges:
      br0:
        ports:
          m.1: {}
          vx: {type: vxlan, options: {remote_ip: 10.77.0.${peer}, key: 5}}
`;
  return `name: ${name}
hosts:
${host(H1, N1, 1, 2)}${host(H2, N2, 2, 1)}checks:
  - ping: {from: ${N1}, to: 10.78.0.2, within: 30}
  - ping: {from: ${N1}, to: 10.78.0.9, expect: no-reply, count: 1}
  - capture: {name: vxlan on eth1, link: ${H1}:eth1, args: [-q], match: '4789: UDP, length \\d+'}
`;
}

function tsovs(args: string[], base: string, env: NodeJS.ProcessEnv = {}, timeoutMs = 120000) {
  const [cmd, ...pre] = tsovsArgv();
  return runCommand(cmd, [...pre, ...args], { TSOVS_LABDIR: base, ...env }, timeoutMs);
}

/** A lab file in a fresh base directory; `lab down` and removal after the test. */
function setup(t: TestContext, name: string): { base: string; file: string } {
  const base = tempDir('tsovs-lab-test-');
  const file = join(base, `${name}.yaml`);
  writeFileSync(file, smallLab(name));
  t.after(async () => {
    await tsovs(['lab', 'down', file], base);
    rmSync(base, { recursive: true, force: true });
  });
  return { base, file };
}

/** Root-namespace links before any test (a machine may have its own eth1). */
const BASELINE = rootLinks();

function assertClean(base: string): void {
  assert.deepEqual(
    labLeftovers(base, NAMESPACES, ['eth1', 'm.1', 'm.2'], BASELINE),
    [],
    'nothing is left behind',
  );
}

/** Starts `tsovs lab up FILE` in the background. */
function spawnUp(file: string, base: string): ChildProcess {
  const [cmd, ...pre] = tsovsArgv();
  return spawn(cmd, [...pre, 'lab', 'up', file], {
    env: { ...process.env, TSOVS_LABDIR: base },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function stateOf(base: string, name: string): LabState | undefined {
  try {
    return JSON.parse(readFileSync(join(base, name, 'state.json'), 'utf8')) as LabState;
  } catch {
    return undefined;
  }
}

/** Resolves with the exit code (or signal) and stderr of a spawned child. */
function exitOf(
  child: ChildProcess,
): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  child.stdout?.resume();
  return new Promise((res) => child.on('close', (code, signal) => res({ code, signal, stderr })));
}

describe('tsovs lab', { concurrency: false }, () => {
  it('up, status, exec, check, capture, down', async (t) => {
    if (!requireLab(t)) return;
    const name = `lab-${S}-cycle`;
    const { base, file } = setup(t, name);
    const up = await tsovs(['lab', 'up', file], base);
    assert.equal(up.status, 0, up.stdout + up.stderr);
    assert.match(up.stdout, new RegExp(`creating namespaces ${H1}, ${H2}, ${N1}, ${N2}`));
    assert.match(up.stdout, new RegExp(`lab ${name} is up`));

    const st = await tsovs(['lab', 'status', file], base);
    assert.equal(st.status, 0, st.stdout);
    assert.match(
      st.stdout,
      new RegExp(`${H1}\\s+host\\s+up\\s+namespace present; ovsdb-server pid \\d+; ovs-vswitchd pid \\d+`),
    );

    const ex = await tsovs(['lab', 'exec', file, N1, '--', 'ip', '-br', 'addr', 'show', 'm.2'], base);
    assert.equal(ex.status, 0, ex.stderr);
    assert.match(ex.stdout, /10\.78\.0\.1\/24/);
    const sh = await tsovs(['lab', 'exec', file, H1, '--', ...tsovsArgv(), 'vsctl', 'show'], base);
    assert.match(
      sh.stdout,
      /Port vx\n\s+Interface vx\n\s+type: vxlan\n\s+options: \{key="5", remote_ip="10\.77\.0\.2"\}/,
    );
    const fail = await tsovs(['lab', 'exec', file, N1, '--', 'false'], base);
    assert.equal(fail.status, 1, 'the command exit status is passed on');

    const ck = await tsovs(['lab', 'check', file], base);
    assert.equal(ck.status, 0, ck.stdout + ck.stderr);
    assert.match(ck.stdout, /^#\s+CHECK\s+RESULT\s+DETAIL$/m);
    assert.match(
      ck.stdout,
      new RegExp(`1\\s+${N1} ping 10\\.78\\.0\\.2\\s+pass\\s+64 bytes from 10\\.78\\.0\\.2`),
    );
    assert.match(
      ck.stdout,
      new RegExp(`2\\s+${N1} ping 10\\.78\\.0\\.9 \\(no reply\\)\\s+pass\\s+no reply, as expected`),
    );
    if (hasBinary('tcpdump')) {
      assert.match(
        ck.stdout,
        /3\s+vxlan on eth1\s+pass\s+IP 10\.77\.0\.1\.\d+ > 10\.77\.0\.2\.4789: UDP, length/,
      );
      const pcap = join(base, 'eth1.pcap');
      // Traffic for the capture: pings for up to 8 s (the capture ends after two packets).
      const [cap] = await Promise.all([
        tsovs(['lab', 'capture', file, `${H1}:eth1`, '-c', '2', '-w', pcap], base),
        tsovs(
          ['lab', 'exec', file, N1, '--', 'ping', '-q', '-c', '40', '-i', '0.2', '-w', '8', '10.78.0.2'],
          base,
        ),
      ]);
      assert.equal(cap.status, 0, cap.stderr);
      assert.match(cap.stderr, /2 packets captured/);
      const text = execFileSync('tcpdump', ['-nn', '-r', pcap], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      assert.equal(text.match(/^\d\d:\d\d:\d\d\.\d+ /gm)?.length, 2, text);
    }
    // A check that fails makes `check` exit 1.
    writeFileSync(
      file,
      `${smallLab(name)}  - ping: {from: ${N1}, to: 10.78.0.2, expect: no-reply, count: 1}\n`,
    );
    const bad = await tsovs(['lab', 'check', file, '-q'], base);
    assert.equal(bad.status, 1, bad.stdout);
    assert.match(bad.stdout, /FAIL\s+64 bytes from 10\.78\.0\.2/);
    assert.match(bad.stdout, /1 of 4 checks failed/);

    const down = await tsovs(['lab', 'down', file], base);
    assert.equal(down.status, 0, down.stderr);
    assert.match(down.stdout, new RegExp(`lab ${name} is down: removed 4 namespaces, 4 daemons`));
    assertClean(base);
    const st2 = await tsovs(['lab', 'status', file], base);
    assert.equal(st2.status, 1);
    assert.match(st2.stdout, new RegExp(`lab ${name}: down`));
  });

  for (const sig of ['SIGINT', 'SIGKILL'] as const) {
    it(`lab up interrupted halfway with ${sig}, then lab down: the machine is clean`, async (t) => {
      if (!requireLab(t)) return;
      const name = `lab-${S}-${sig.toLowerCase()}`;
      const { base, file } = setup(t, name);
      const child = spawnUp(file, base);
      const exit = exitOf(child);
      try {
        // Halfway: the namespaces and links are made and the first daemon is being started.
        await waitFor(
          () => stateOf(base, name)?.resources.some((r) => r.kind === 'daemon') === true,
          60000,
          'the daemons step',
        );
        child.kill(sig);
        const e = await exit;
        if (sig === 'SIGINT') {
          assert.equal(e.code, 130, e.stderr);
          assert.match(e.stderr, /interrupted: stopping after this step, then removing what was made/);
          assert.match(e.stderr, /interrupted; what was made has been removed/);
        } else {
          assert.equal(e.signal, 'SIGKILL');
          assert.ok(stateOf(base, name) !== undefined, 'the state file survives a killed up');
        }
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
      const down = await tsovs(['lab', 'down', file], base);
      assert.equal(down.status, 0, down.stderr);
      if (sig === 'SIGKILL')
        assert.match(down.stdout, new RegExp(`lab ${name} is down: removed 4 namespaces`));
      else assert.match(down.stdout, new RegExp(`lab ${name} is not up; nothing to remove`));
      assertClean(base);
    });
  }

  it('a namespace name already taken: refused, named, nothing created', async (t) => {
    if (!requireLab(t)) return;
    const name = `lab-${S}-clash`;
    const { base, file } = setup(t, name);
    execFileSync('ip', ['netns', 'add', N2]);
    try {
      const r = await tsovs(['lab', 'up', file], base);
      assert.equal(r.status, 1, r.stdout);
      assert.match(
        r.stderr,
        new RegExp(`network namespace ${N2} \\(${file.replace(/\./g, '\\.')}:\\d+\\) already exists`),
      );
      assert.match(r.stderr, /nothing was created/);
      assert.match(r.stderr, new RegExp(`what to do: .*\`ip netns del ${N2}\``));
      assert.equal(existsSync(join(base, name)), false);
      assert.deepEqual(labLeftovers(base, [H1, H2, N1], ['eth1', 'm.1', 'm.2'], BASELINE), []);
    } finally {
      execFileSync('ip', ['netns', 'del', N2]);
    }
  });

  it('without privileges, or without `ip`: says what is wrong and what to do; nothing created', async (t) => {
    if (!requireLab(t)) return;
    const name = `lab-${S}-priv`;
    const { base, file } = setup(t, name);
    if (hasBinary('setpriv')) {
      chmodSync(base, 0o755); // the unprivileged user reads the lab file
      chmodSync(file, 0o644);
      const [cmd, ...pre] = tsovsArgv();
      const r = await runCommand(
        'setpriv',
        [
          '--reuid=65534',
          '--regid=65534',
          '--clear-groups',
          '--inh-caps=-all',
          '--bounding-set=-all',
          '--',
          cmd,
          ...pre,
          'lab',
          'up',
          file,
        ],
        { TSOVS_LABDIR: base },
        60000,
      );
      assert.equal(r.status, 1, r.stdout + r.stderr);
      assert.match(
        r.stderr,
        /not allowed to create network namespaces and links: this process \(uid 65534\) lacks CAP_NET_ADMIN/,
      );
      assert.match(r.stderr, /what to do: .*run as root, e\.g\. `sudo npx tsovs demo`/);
    }
    const r = await tsovs(['lab', 'up', file], base, { PATH: '/nonexistent-bin' });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /the `ip` command was not found \(searched PATH=\/nonexistent-bin\)/);
    assert.match(r.stderr, /apt-get install iproute2/);
    assert.equal(existsSync(join(base, name)), false);
    assertClean(base);
  });
});
