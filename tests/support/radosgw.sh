#!/usr/bin/env bash
# A single-node Ceph cluster with an S3 gateway, for the tests: one monitor, one OSD whose
# data lives in RAM (memstore), and radosgw on 127.0.0.1. Everything lives under DIR.
#
#   radosgw.sh start DIR PORT ACCESS_KEY SECRET_KEY   start it and make an S3 user
#   radosgw.sh start-rgw DIR                          start the gateway again (after a kill)
#   radosgw.sh stop DIR                               stop what was started, by PID
#
# Needs root and the Debian packages ceph-mon, ceph-osd, radosgw, ceph-common.
# Pids are written to DIR/{mon,osd,rgw}.pid.
set -euo pipefail

# How long each step may take before the start is given up (seconds); a loaded machine
# with two busy CPUs needs well over the ~13 s an idle one takes for all of it.
STEP_TIMEOUT=120

die() { echo "radosgw.sh: $*" >&2; exit 1; }

wait_for() { # DESCRIPTION COMMAND...
  local what=$1; shift
  local deadline=$((SECONDS + STEP_TIMEOUT))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || die "timed out waiting for $what (logs in $D)"
    sleep 0.2
  done
}

start_rgw() {
  radosgw -c "$D/ceph.conf" -n client.rgw.a -f >"$D/rgw.out" 2>&1 &
  echo $! >"$D/rgw.pid"
  local port
  port=$(cat "$D/port")
  wait_for "radosgw on 127.0.0.1:$port" curl -s -o /dev/null "http://127.0.0.1:$port/"
}

cmd=${1:-}
D=${2:-}
[ -n "$cmd" ] && [ -n "$D" ] || die "usage: radosgw.sh start|start-rgw|stop DIR ..."

case $cmd in
start)
  PORT=$3 ACCESS=$4 SECRET=$5
  mkdir -p "$D/mon" "$D/osd" "$D/rgw" "$D/run"
  echo "$PORT" >"$D/port"
  fsid=$(cat /proc/sys/kernel/random/uuid)
  # Pick a free port for the monitor too: several clusters may run side by side.
  MONPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  cat >"$D/ceph.conf" <<EOF
[global]
fsid = $fsid
mon_host = v2:127.0.0.1:$MONPORT
public_addr = 127.0.0.1
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
ms_mon_client_mode = crc
osd_pool_default_size = 1
osd_pool_default_min_size = 1
mon_allow_pool_size_one = true
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
mon_max_pg_per_osd = 1000
osd_crush_chooseleaf_type = 0
run_dir = $D/run
admin_socket = $D/run/\$name.asok
log_file = $D/\$name.log
keyring = $D/keyring
[mon.a]
mon_data = $D/mon
[osd.0]
osd_data = $D/osd
osd_objectstore = memstore
memstore_device_bytes = 4294967296
[client.rgw.a]
rgw_frontends = beast endpoint=127.0.0.1:$PORT
rgw_data = $D/rgw
EOF
  C=(-c "$D/ceph.conf")
  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$MONPORT]" "$D/monmap" >/dev/null
  ceph-mon "${C[@]}" --mkfs -i a --monmap "$D/monmap" >/dev/null 2>&1
  ceph-mon "${C[@]}" -i a -f >"$D/mon.out" 2>&1 &
  echo $! >"$D/mon.pid"
  wait_for "the monitor" timeout 10 ceph "${C[@]}" mon stat
  uuid=$(cat /proc/sys/kernel/random/uuid)
  id=$(timeout 30 ceph "${C[@]}" osd new "$uuid")
  [ "$id" = 0 ] || die "ceph osd new gave id $id, expected 0"
  ceph-osd "${C[@]}" -i 0 --mkfs --osd-uuid "$uuid" >/dev/null 2>&1
  ceph-osd "${C[@]}" -i 0 -f >"$D/osd.out" 2>&1 &
  echo $! >"$D/osd.pid"
  osd_up() { timeout 10 ceph "${C[@]}" osd stat | grep -q ' 1 up'; }
  wait_for "the OSD" osd_up
  start_rgw
  timeout 60 radosgw-admin "${C[@]}" user create --uid=bastion --display-name=bastion \
    --access-key="$ACCESS" --secret-key="$SECRET" >/dev/null
  ;;
start-rgw)
  start_rgw
  ;;
stop)
  for p in rgw osd mon; do
    if [ -f "$D/$p.pid" ]; then
      kill "$(cat "$D/$p.pid")" 2>/dev/null || true
    fi
  done
  for p in rgw osd mon; do
    if [ -f "$D/$p.pid" ]; then
      pid=$(cat "$D/$p.pid")
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$D/$p.pid"
    fi
  done
  ;;
*)
  die "unknown command $cmd"
  ;;
esac
