#!/bin/bash
# Re-captures ovs-dump-flows.ts's evidence: sends every frame of frames.ts into a real ovs-vswitchd (userspace
# datapath, vlan-limit=2) through a veth in a private namespace and records `dpctl/dump-flows` and `-m` lines,
# first with only NORMAL, then with the "rich" OpenFlow table. Needs root and openvswitch-switch; prints JSON
# lines ({pass, name, plain, verbose}) on stdout. Everything it creates is removed on exit.
# Usage (from the repository root): sudo test/packet/capture-ovs-flows.sh > /tmp/flows.jsonl
set -u
ID=$$
D=$(mktemp -d /tmp/tsovs-ovscap.XXXX)
export OVS_RUNDIR=$D OVS_LOGDIR=$D OVS_DBDIR=$D
NS=tspns$ID; VH=tsph$ID; VN=tspn$ID; BR=tspbr$ID
cleanup() {
  [ -f "$D/vsd.pid" ] && kill "$(cat "$D/vsd.pid")" 2>/dev/null
  [ -f "$D/db.pid" ] && kill "$(cat "$D/db.pid")" 2>/dev/null
  sleep 0.5
  ip link del "$VH" 2>/dev/null
  ip link del "$BR" 2>/dev/null
  ip netns del "$NS" 2>/dev/null
  rm -rf "$D"
}
trap cleanup EXIT

node --import tsx --input-type=module -e "
  const { FRAMES } = await import('$PWD/test/packet/frames.ts');
  for (const [k, v] of Object.entries(FRAMES)) console.log(k, Buffer.from(v).toString('hex'));
" > "$D/frames.txt" || exit 1
cat > "$D/send.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
s.send(bytes.fromhex(sys.argv[2]))
PY

ovsdb-tool create "$D/conf.db" /usr/share/openvswitch/vswitch.ovsschema
ovsdb-server "$D/conf.db" --remote=punix:"$D/db.sock" --pidfile="$D/db.pid" --detach --log-file="$D/db.log"
ovs-vswitchd unix:"$D/db.sock" --pidfile="$D/vsd.pid" --detach --log-file="$D/vsd.log"
VS="ovs-vsctl --db=unix:$D/db.sock --timeout=10"
$VS set Open_vSwitch . other_config:vlan-limit=2
$VS add-br "$BR" -- set bridge "$BR" datapath_type=netdev
ip netns add "$NS"
ip link add "$VH" type veth peer name "$VN" netns "$NS"
ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
ip netns exec "$NS" ip link set "$VN" up
ip link set "$VH" up
$VS add-port "$BR" "$VH"
APP="ovs-appctl -t $D/ovs-vswitchd.$(cat "$D/vsd.pid").ctl"
DP=netdev@ovs-netdev
for _ in $(seq 1 100); do $APP dpctl/show $DP 2>/dev/null | grep -q "$VH" && break; sleep 0.1; done

run_pass() {
  while read -r name hex; do
    $APP revalidator/purge >/dev/null
    $APP dpctl/del-flows $DP >/dev/null
    ip netns exec "$NS" python3 "$D/send.py" "$VN" "$hex"
    for _ in $(seq 1 40); do
      [ "$($APP dpctl/dump-flows $DP | grep -c .)" -gt 0 ] && break
      sleep 0.05
    done
    sleep 0.1
    python3 -c 'import json,sys; print(json.dumps(dict(zip(["pass","name","plain","verbose"], sys.argv[1:]))))' \
      "$1" "$name" "$($APP dpctl/dump-flows $DP)" "$($APP dpctl/dump-flows -m $DP)"
  done < "$D/frames.txt"
}

run_pass normal
node --import tsx --input-type=module -e "
  const { RICH_TABLE } = await import('$PWD/test/packet/ovs-dump-flows.ts');
  console.log(RICH_TABLE.trim());
" | ovs-ofctl add-flows unix:"$D/$BR.mgmt" -
run_pass rich
