#!/usr/bin/env bash
# A real single-node Slurm on localhost (Debian 12, root, no systemd), for the cluster tests.
#
#   .ci/slurm.sh install        apt-get the packages if sbatch/slurmctld/munged are missing
#   .ci/slurm.sh start RUNDIR   write slurm.conf under RUNDIR, start munged, slurmctld, slurmd
#                               (ports and munge socket of their own: two runs can coexist)
#   .ci/slurm.sh stop RUNDIR    stop the daemons started for RUNDIR (by their PIDs only)
#
# After `start`, client commands need SLURM_CONF=RUNDIR/slurm.conf (printed on the last line).
# Recipe and pitfalls: ../shared/notes/slurm-single-node.md. CPUs and memory of the fake node
# follow this machine; two fake GPUs (gres files /dev/null, /dev/zero) let --gres=gpu jobs schedule.
set -euo pipefail
# Brian2 leaves LD_BIND_NOW=1 in processes that ran a standalone binary; Slurm's plugins need
# lazy binding (Debian 12's prep_script.so has symbols it never resolves).
unset LD_BIND_NOW

install() {
    if command -v sbatch >/dev/null && [ -x /usr/sbin/slurmctld ] && [ -x /usr/sbin/slurmd ] \
        && [ -x /usr/sbin/munged ]; then
        return 0
    fi
    if [ "$(id -u)" != 0 ]; then
        echo "slurm.sh: installing Slurm needs root" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        slurmctld slurmd slurm-client munge >/dev/null
}

free_port() {
    # a TCP port nothing listens on now (two test sessions' daemons must not share one)
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
    local run=$1
    mkdir -p "$run/state" "$run/spool" "$run/log"
    local cpus mem ctld_port slurmd_port munge_dir
    cpus=$(nproc)
    mem=$(awk '/MemTotal/ {print int($2 / 1024 / 2)}' /proc/meminfo)  # half: shared machine
    ctld_port=$(free_port)
    slurmd_port=$(free_port)
    while [ "$slurmd_port" = "$ctld_port" ]; do slurmd_port=$(free_port); done
    # Each run has its own munged on its own socket (munged wants a folder the munge user owns,
    # so the socket lives under /run/munge) and its own ports: two test sessions (two xdist
    # workers) can each hold a Slurm, and neither stops the other's daemons.
    mkdir -p /run/munge && chown munge:munge /run/munge
    munge_dir=$(mktemp -d /run/munge/depnet.XXXXXX)
    chown munge:munge "$munge_dir"
    chmod 0755 "$munge_dir"
    echo "$munge_dir" >"$run/munge.dir"
    cat >"$run/slurm.conf" <<EOF
ClusterName=depnettest
SlurmctldHost=localhost
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=cred_expire=10,socket=$munge_dir/munge.socket
StateSaveLocation=$run/state
SlurmdSpoolDir=$run/spool
SlurmctldPidFile=$run/slurmctld.pid
SlurmdPidFile=$run/slurmd.pid
SlurmctldLogFile=$run/log/slurmctld.log
SlurmdLogFile=$run/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=bf_interval=1,sched_interval=1
ReturnToService=2
MpiDefault=none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$run/log/jobcomp.txt
GresTypes=gpu
MinJobAge=600
NodeName=localhost NodeHostname=localhost CPUs=$cpus RealMemory=$mem Gres=gpu:2 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
MailProg=/bin/true
EOF
    printf "NodeName=localhost Name=gpu File=/dev/null\nNodeName=localhost Name=gpu File=/dev/zero\n" >"$run/gres.conf"
    export SLURM_CONF=$run/slurm.conf
    setpriv --reuid=munge --regid=munge --init-groups /usr/sbin/munged -F \
        --socket="$munge_dir/munge.socket" --pid-file="$munge_dir/munged.pid" \
        --seed-file="$munge_dir/munged.seed" --log-file="$munge_dir/munged.log" \
        >"$run/munged.out" 2>&1 &
    echo $! >"$run/munged.bgpid"
    for _ in $(seq 40); do
        [ -S "$munge_dir/munge.socket" ] && break
        sleep 0.25
    done
    if [ ! -S "$munge_dir/munge.socket" ]; then
        echo "slurm.sh: munged did not start; see $run/munged.out" >&2
        stop "$run"
        exit 1
    fi
    /usr/sbin/slurmctld -D -i -f "$run/slurm.conf" >"$run/ctld.out" 2>&1 &
    echo $! >"$run/ctld.bgpid"
    /usr/sbin/slurmd -D -f "$run/slurm.conf" >"$run/slurmd.out" 2>&1 &
    echo $! >"$run/slurmd.bgpid"
    for _ in $(seq 120); do
        if sinfo -h -o %t 2>/dev/null | grep -qE 'idle|mix|alloc'; then
            echo "SLURM_CONF=$run/slurm.conf"
            return 0
        fi
        sleep 0.5
    done
    echo "slurm.sh: the node did not become idle; see $run/log" >&2
    stop "$run"
    exit 1
}

stop() {
    local run=$1 pid
    for name in slurmd ctld munged; do
        if [ -f "$run/$name.bgpid" ]; then
            pid=$(cat "$run/$name.bgpid")
            kill "$pid" 2>/dev/null || true
            # a daemon busy with a job may linger: give it 10 s, then SIGKILL (this PID only)
            for _ in $(seq 20); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.5
            done
            kill -9 "$pid" 2>/dev/null || true
            rm -f "$run/$name.bgpid"
        fi
    done
    if [ -f "$run/munge.dir" ]; then
        cp "$(cat "$run/munge.dir")/munged.log" "$run/log/" 2>/dev/null || true
        rm -rf "$(cat "$run/munge.dir")"
        rm -f "$run/munge.dir"
    fi
}

case "${1:-}" in
install) install ;;
start) start "${2:?RUNDIR}" ;;
stop) stop "${2:?RUNDIR}" ;;
*)
    echo "usage: $0 install | start RUNDIR | stop RUNDIR" >&2
    exit 2
    ;;
esac
