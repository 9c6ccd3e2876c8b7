#!/usr/bin/env bash
# A throwaway one-node SLURM cluster in a folder, for testing profiles/slurm.
#
#   scripts/slurm_cluster.sh install          apt-get install munge slurmctld slurmd slurm-client
#   scripts/slurm_cluster.sh start DIR        write DIR/slurm.conf, start munged, slurmctld, slurmd
#   scripts/slurm_cluster.sh stop DIR         stop the daemons started in DIR (by their pid files)
#
# After `start`, `source DIR/env.sh` points sbatch, squeue and Snakemake's SLURM
# executor at the cluster (SLURM_CONF). Everything lives in DIR: the munge key and
# socket, state and spool folders, logs, pid files; nothing under /etc is changed
# and no systemd is needed. Tested with Debian 12 (Slurm 22.05.8, MUNGE 0.5.15) as
# root. There is no slurmdbd, so `sacct` has no jobs; the profile therefore asks the
# executor for `squeue`, which sees finished jobs for MinJobAge (300 s) seconds.
set -euo pipefail

SBIN=/usr/sbin
die() { echo "slurm_cluster: $*" >&2; exit 1; }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

cmd_install() {
    [ "$(id -u)" = 0 ] || die "installing needs root"
    command -v apt-get >/dev/null || die "apt-get not found (not Debian/Ubuntu)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends munge slurmctld slurmd slurm-client
}

cmd_start() {
    local dir=$1
    [ "$(id -u)" = 0 ] || die "this cluster runs its daemons as root (SlurmUser=root)"
    for bin in $SBIN/munged $SBIN/mungekey $SBIN/slurmctld $SBIN/slurmd; do
        [ -x "$bin" ] || die "$bin missing: run '$0 install'"
    done
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    # munged refuses folders that others can write to
    chmod 0700 "$dir"
    mkdir -p "$dir"/{munge,state,spool,log}
    chmod 0700 "$dir"/munge

    # MUNGE: own key and socket, so a system munged (if any) is left alone
    local key=$dir/munge/munge.key
    [ -f "$key" ] || $SBIN/mungekey --create --keyfile="$key"
    chmod 0400 "$key"
    $SBIN/munged --socket="$dir/munge/munge.socket" --key-file="$key" \
        --pid-file="$dir/munged.pid" --log-file="$dir/log/munged.log" \
        --seed-file="$dir/munge/munged.seed" --force

    local cpus mem_kb mem_mb ctld_port d_port host
    cpus=$(nproc)
    mem_kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
    mem_mb=$(( mem_kb / 1024 * 9 / 10 ))  # a bit below the total, as slurmd checks it
    ctld_port=${SLURMCTLD_PORT:-$(free_port)}
    d_port=${SLURMD_PORT:-$(free_port)}
    host=localhost
    cat >"$dir/slurm.conf" <<EOF
# Written by scripts/slurm_cluster.sh: a one-node test cluster.
ClusterName=graphprior
SlurmctldHost=$host
SlurmctldPort=$ctld_port
SlurmdPort=$d_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# no cgroups and no systemd in containers
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
MpiDefault=none
ReturnToService=2
# squeue (the executor's status command here) forgets a job MinJobAge seconds after it ends
MinJobAge=300
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2
InactiveLimit=0
KillWait=10
Waittime=0
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
    # Client shims: snakemake-executor-plugin-slurm-jobstep (0.6.1) removes every
    # SLURM_* variable, SLURM_CONF included, before its nested `srun`, so a cluster
    # whose slurm.conf is not at /etc/slurm needs the path baked into the commands.
    mkdir -p "$dir/bin"
    local tool
    for tool in sbatch srun squeue scancel sinfo scontrol sacct; do
        printf '#!/bin/sh\nSLURM_CONF=%s exec /usr/bin/%s "$@"\n' "$dir/slurm.conf" "$tool" >"$dir/bin/$tool"
        chmod 0755 "$dir/bin/$tool"
    done
    cat >"$dir/env.sh" <<EOF
export SLURM_CONF=$dir/slurm.conf
export PATH=$dir/bin:\$PATH
EOF
    export SLURM_CONF=$dir/slurm.conf
    $SBIN/slurmctld -f "$SLURM_CONF"
    $SBIN/slurmd -f "$SLURM_CONF" -N "$host"

    # wait until the node takes jobs
    local state=""
    for _ in $(seq 1 60); do
        state=$(sinfo -h -N -o '%T' 2>/dev/null | head -n1 || true)
        case "$state" in idle | mixed | allocated) echo "slurm_cluster: node $host is $state (SLURM_CONF=$SLURM_CONF)"; return 0 ;; esac
        sleep 1
    done
    echo "slurm_cluster: node not ready (state '$state'); logs in $dir/log" >&2
    tail -n 20 "$dir"/log/*.log >&2 || true
    return 1
}

stop_pid() {
    # stop one daemon by its pid file; wait up to 10 s, then SIGKILL
    local pidfile=$1 pid
    [ -f "$pidfile" ] || return 0
    pid=$(cat "$pidfile")
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
}

cmd_stop() {
    local dir=$1
    [ -d "$dir" ] || return 0
    # Cancel what is still queued or running (this private cluster runs nothing
    # else): a job's slurmstepd would outlive slurmd.
    if [ -f "$dir/slurmctld.pid" ] && kill -0 "$(cat "$dir/slurmctld.pid")" 2>/dev/null; then
        local jobs
        jobs=$(SLURM_CONF=$dir/slurm.conf squeue -h -o '%i' -t PENDING,RUNNING,SUSPENDED,COMPLETING 2>/dev/null || true)
        if [ -n "$jobs" ]; then
            # shellcheck disable=SC2086
            SLURM_CONF=$dir/slurm.conf scancel $jobs 2>/dev/null || true
            for _ in $(seq 1 30); do
                [ -z "$(SLURM_CONF=$dir/slurm.conf squeue -h -o '%i' -t PENDING,RUNNING,SUSPENDED,COMPLETING 2>/dev/null)" ] && break
                sleep 0.5
            done
        fi
    fi
    stop_pid "$dir/slurmd.pid"
    stop_pid "$dir/slurmctld.pid"
    stop_pid "$dir/munged.pid"
}

case "${1:-}" in
    install) cmd_install ;;
    start) [ $# -eq 2 ] || die "usage: $0 start DIR"; cmd_start "$2" ;;
    stop) [ $# -eq 2 ] || die "usage: $0 stop DIR"; cmd_stop "$2" ;;
    *) die "usage: $0 install | start DIR | stop DIR" ;;
esac
