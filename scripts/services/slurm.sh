#!/usr/bin/env bash
# A single-node SLURM (Debian's slurm 22.05) for the tests, without systemd: munged, slurmctld
# and slurmd on this machine, one partition `debug` with its real CPUs and memory. Installs the
# Debian packages when they are missing; idempotent. Runs as root.
#
#   scripts/services/slurm.sh start     # starts it (or finds it running); waits until the node is idle
#   scripts/services/slurm.sh stop      # stops the daemons
#   scripts/services/slurm.sh run CMD…  # starts it, runs CMD with SLUICE_TEST_SLURM=1 (and
#                                       # SLUICE_TEST_SLURM_ACCOUNTING=1 with accounting), stops it
#                                       # (not root, or it cannot start: CMD runs without it, and the
#                                       # tests that need it say "skipped: no SLURM" — in CI they fail)
#
# No accounting database: `sacct` answers that accounting is disabled, which Sluice handles (it
# trusts a job's exit-code file and outputs, and `squeue`). SLURM_ACCOUNTING=1 adds MariaDB and
# slurmdbd so that `sacct` works (about 15 s more).
set -euo pipefail
acct=${SLURM_ACCOUNTING:-0}
self="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
caller="$PWD"
node="$(hostname -s)"
conf=/etc/slurm/slurm.conf
logs=/var/log/slurm
pids=/run/slurm

alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
# A zombie counts as dead (PID 1 in a container may reap orphans late).
dead() { ! kill -0 "$1" 2>/dev/null || [ "$(cut -d' ' -f3 /proc/"$1"/stat 2>/dev/null)" = Z ]; }
stop_pidfile() {
  if alive "$1"; then
    local pid; pid=$(cat "$1"); kill "$pid"
    for _ in $(seq 300); do dead "$pid" && break; sleep 0.1; done
    dead "$pid" || kill -9 "$pid"
  fi
  rm -f "$1"
}

case "${1:-start}" in
run)
  shift
  cd "$caller"
  if "$self" start >&2; then
    trap '"$self" stop >&2' EXIT
    if [ "$acct" = 1 ]; then export SLUICE_TEST_SLURM_ACCOUNTING=1; fi
    SLUICE_TEST_SLURM=1 "$@"
    exit $?
  fi
  echo "slurm: not started; running without it" >&2
  exec "$@" ;;
stop)
  # Jobs first, so that nothing of a test outlives it.
  command -v scancel >/dev/null && alive $pids/slurmctld.pid && scancel --user=root 2>/dev/null || true
  for p in $pids/slurmd.pid $pids/slurmctld.pid $pids/slurmdbd.pid /run/mysqld/mysqld.pid /run/munge/munged.pid; do stop_pidfile "$p"; done
  echo "slurm: stopped" >&2
  exit 0 ;;
start) ;;
*) echo "usage: $0 start|stop|run CMD…" >&2; exit 2 ;;
esac

# Starting never takes accounting away from a cluster that runs with it: a test process that
# starts SLURM without asking for accounting would otherwise restart, without it, the cluster
# that `make test` started with it.
if [ -z "${SLURM_ACCOUNTING:-}" ] && grep -qs 'accounting_storage/slurmdbd' "$conf" && alive $pids/slurmctld.pid; then acct=1; fi

[ "$(id -u)" = 0 ] || { echo "slurm: must run as root (it starts munged and the SLURM daemons)" >&2; exit 1; }
# shellcheck source=scripts/services/common.sh
. "$(dirname "$self")/common.sh"
close_inherited
install_packages() {
  if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -print -quit)" ]; then
    apt-get update -q -o DPkg::Lock::Timeout=600 >&2
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 "$@" >&2
}
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  install_packages slurmctld slurmd slurm-client munge
fi
if [ "$acct" = 1 ] && { ! command -v slurmdbd >/dev/null || ! command -v mariadbd >/dev/null; }; then
  install_packages slurmdbd mariadb-server
fi

# slurmd matches NodeName against the host's name: it must resolve.
getent hosts "$node" >/dev/null || echo "127.0.0.1 $node" >> /etc/hosts

if [ ! -s /etc/munge/munge.key ]; then
  mungekey --create --force --keyfile=/etc/munge/munge.key 2>/dev/null \
    || dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
fi
chown munge:munge /etc/munge /etc/munge/munge.key
chmod 0700 /etc/munge; chmod 0400 /etc/munge/munge.key
install -d -o munge -g munge -m 0755 /run/munge
install -d -o munge -g munge -m 0700 /var/lib/munge /var/log/munge
if ! alive /run/munge/munged.pid; then
  runuser -u munge -- /usr/sbin/munged
  for _ in $(seq 50); do [ -S /run/munge/munge.socket.2 ] && break; sleep 0.1; done
fi
munge -n | unmunge >/dev/null || { echo "slurm: munge's self-test failed" >&2; exit 1; }

# The node as slurmd sees it, with a little memory left over.
hw="$(slurmd -C | head -1)"
cpus=$(sed -n 's/.* CPUs=\([0-9]*\).*/\1/p' <<<"$hw")
sockets=$(sed -n 's/.*SocketsPerBoard=\([0-9]*\).*/\1/p' <<<"$hw")
cores=$(sed -n 's/.*CoresPerSocket=\([0-9]*\).*/\1/p' <<<"$hw")
threads=$(sed -n 's/.*ThreadsPerCore=\([0-9]*\).*/\1/p' <<<"$hw")
memory=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$hw"); memory=$((memory * 95 / 100))

install -d -m 0755 /etc/slurm "$logs" "$pids" /var/spool/slurmctld /var/spool/slurmd
new=$(mktemp)
cat >"$new" <<CONF
# written by sluice's scripts/services/slurm.sh
ClusterName=sluice
SlurmctldHost=${node}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
SwitchType=switch/none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=5
$(if [ "$acct" = 1 ]; then printf 'AccountingStorageType=accounting_storage/slurmdbd\nAccountingStorageHost=127.0.0.1'; else echo "AccountingStorageType=accounting_storage/none"; fi)
JobCompType=jobcomp/filetxt
JobCompLoc=${logs}/jobcomp.log
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_min_interval=100000
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MailProg=/bin/true
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=${pids}/slurmctld.pid
SlurmdPidFile=${pids}/slurmd.pid
SlurmctldLogFile=${logs}/slurmctld.log
SlurmdLogFile=${logs}/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
SlurmctldTimeout=30
SlurmdTimeout=60
InactiveLimit=0
MinJobAge=300
KillWait=5
Waittime=0
NodeName=${node} NodeAddr=127.0.0.1 CPUs=${cpus} SocketsPerBoard=${sockets} CoresPerSocket=${cores} ThreadsPerCore=${threads} RealMemory=${memory} State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
CONF
changed=0
if ! cmp -s "$new" "$conf"; then install -m 0644 "$new" "$conf"; changed=1; fi
rm -f "$new"

if [ "$acct" = 1 ]; then
  install -d -o mysql -g root -m 0755 /run/mysqld
  install -d -o mysql -g adm -m 2750 /var/log/mysql
  if ! alive /run/mysqld/mysqld.pid; then
    setsid /usr/sbin/mariadbd --user=mysql --log-error=/var/log/mysql/error.log </dev/null >/dev/null 2>&1 &
    for _ in $(seq 100); do mariadb-admin ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  mariadb -e "CREATE DATABASE IF NOT EXISTS slurm_acct_db;
    CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY 'slurmdbpass';
    GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';"
  printf '%s\n' AuthType=auth/munge DbdHost=localhost DbdAddr=127.0.0.1 SlurmUser=root \
    DebugLevel=info LogFile=$logs/slurmdbd.log PidFile=$pids/slurmdbd.pid \
    StorageType=accounting_storage/mysql StorageHost=localhost StorageUser=slurm \
    StoragePass=slurmdbpass StorageLoc=slurm_acct_db >/etc/slurm/slurmdbd.conf
  chmod 0600 /etc/slurm/slurmdbd.conf
  alive $pids/slurmdbd.pid || slurmdbd
  for _ in $(seq 100); do sacctmgr -n list cluster >/dev/null 2>&1 && break; sleep 0.2; done
  sacctmgr -n -P list cluster format=cluster | grep -qx sluice || sacctmgr -i add cluster sluice >/dev/null
fi

if [ $changed = 1 ]; then stop_pidfile $pids/slurmd.pid; stop_pidfile $pids/slurmctld.pid; fi
alive $pids/slurmctld.pid || slurmctld
alive $pids/slurmd.pid || slurmd -N "$node"

for i in $(seq 120); do
  state=$(sinfo -h -N -n "$node" -o %T 2>/dev/null || true)
  case "$state" in idle*|mixed*|allocated*) break ;; esac
  if [ "$i" = 120 ]; then
    echo "slurm: the node did not come up (state '$state')" >&2
    tail -20 $logs/slurmctld.log $logs/slurmd.log >&2; exit 1
  fi
  sleep 0.5
done
echo "slurm: ready, node $node with $cpus CPUs and ${memory} MB (accounting: $acct)" >&2
