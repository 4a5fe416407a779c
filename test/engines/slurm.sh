#!/usr/bin/env bash
# A sharded export on a real Slurm (`npm run test:engines`; not part of `npm test`).
#
# Sets up a single-node Slurm from Debian's packages (slurm-wlm, munge; daemons started by hand,
# configuration in a temporary directory named by SLURM_CONF, /etc/slurm untouched), serves a
# generated ML4DQM data set with the embedded server, then does what the deploy/slurm example tells a
# user to do, with the example unmodified except for the variables it says to set:
#   plan --shards 4 --prepare --write-plan; sbatch --array=0-3 deploy/slurm/export.sbatch;
#   scancel one task once it has committed a slice; finalize (must refuse, naming the shard);
#   sbatch --array=1 (the usual way to rerun one task); finalize --verify;
# and compares the dataset with a single-process run of the same pipeline, row for row (DuckDB).
# Without root or apt-get it says why in one line and exits 0 (skipped).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SHARDS=4

skip() {
  echo "test:engines slurm: skipped: $*"
  exit 0
}
say() { echo "test:engines slurm: $*"; }
fail() {
  echo "test:engines slurm: FAILED: $*" >&2
  exit 1
}

[ "$(id -u)" = 0 ] || skip "needs root to install and start Slurm (slurmd runs jobs as their user)"
command -v apt-get >/dev/null || skip "needs apt-get for Debian's slurm-wlm and munge packages"

W=$(mktemp -d /tmp/dqm-engines-slurm.XXXXXX)
PIDS=()
cleanup() {
  local rc=$?
  if [ -n "${JOB:-}" ]; then scancel "$JOB" 2>/dev/null || true; fi
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$W/slurmctld.pid" ] && kill "$(cat "$W/slurmctld.pid")" 2>/dev/null || true
  [ -f "$W/slurmd.pid" ] && kill "$(cat "$W/slurmd.pid")" 2>/dev/null || true
  if [ "$rc" -eq 0 ]; then rm -rf "$W"; else echo "test:engines slurm: logs kept in $W" >&2; fi
}
trap cleanup EXIT

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null || ! command -v sbatch >/dev/null; then
  say "installing slurm-wlm and munge from Debian's packages"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge) >"$W/apt.log" 2>&1 ||
    skip "apt-get install slurm-wlm munge failed (last line: $(tail -n 1 "$W/apt.log"))"
fi
[ -f "$ROOT/dist/src/cli/bin.cjs" ] || (cd "$ROOT" && npm run build >/dev/null)
CLI=(node "$ROOT/dist/src/cli/bin.cjs")

# --- munge and a one-node Slurm -------------------------------------------------------------------
[ -f /etc/munge/munge.key ] || (mungekey --create >/dev/null 2>&1 || /usr/sbin/mungekey --create)
mkdir -p /run/munge /var/log/munge /var/lib/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge /etc/munge /etc/munge/munge.key
if ! munge -n >/dev/null 2>&1; then
  runuser -u munge -- /usr/sbin/munged
  for _ in $(seq 50); do munge -n >/dev/null 2>&1 && break; sleep 0.1; done
  munge -n >/dev/null 2>&1 || fail "munged did not start"
fi

HOST=$(hostname -s)
mkdir -p "$W/state" "$W/spool" "$W/submit" "$W/work" "$W/data"
cat >"$W/slurm.conf" <<EOF
ClusterName=dqmexport
SlurmctldHost=$HOST
SlurmUser=root
SlurmctldPort=6917
SlurmdPort=6918
AuthType=auth/munge
StateSaveLocation=$W/state
SlurmdSpoolDir=$W/spool
SlurmctldPidFile=$W/slurmctld.pid
SlurmdPidFile=$W/slurmd.pid
SlurmctldLogFile=$W/slurmctld.log
SlurmdLogFile=$W/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
# The example asks for 2 CPUs a task; declare 8 so the 4 tasks run side by side on 2 real cores.
SlurmdParameters=config_overrides
NodeName=$HOST CPUs=8 RealMemory=16000 State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$W/slurm.conf
slurmctld -c -i
slurmd -c
for _ in $(seq 100); do
  state=$(sinfo -h -n "$HOST" -o %T 2>/dev/null || true)
  [ "$state" = idle ] && break
  sleep 0.2
done
[ "$(sinfo -h -n "$HOST" -o %T)" = idle ] || fail "the Slurm node did not become idle (see $W/slurmd.log)"
say "Slurm $(sinfo -V | awk '{print $2}') up on $HOST"

# --- data and the embedded server -----------------------------------------------------------------
# Runs of very different sizes, so the plan gives one shard small slices and a large one: the small
# ones commit early, the large one is still in flight when the task is cancelled.
python3 - "$W/data/ZeroBias_2018A_DataFrame_2D_engines.csv" <<'EOF'
import random, sys
random.seed(19)
rows = {315000 + i: n for i, n in enumerate([600, 40, 500, 30, 450, 50, 400, 60])}
x, y = 8, 10
with open(sys.argv[1], "w") as f:
    f.write("fromrun,fromlumi,hname,fromrun,fromlumi,metype,hname,histo,entries,Xmax,Xmin,Xbins,Ymax,Ymin,Ybins\n")
    for run, n in rows.items():
        for ls in range(1, n // 2 + 1):
            for title in ("clusterposition_zphi_ontrack_PXLayer_1", "clusterposition_zphi_ontrack_PXLayer_2"):
                histo = [random.randint(0, 50) for _ in range((x + 2) * (y + 2))]
                f.write(f'{run},{ls},{title},{run},{ls},6,{title},"{histo}",{sum(histo)}.0,26.7,-26.7,{x},3.14,-3.14,{y}\n')
EOF
"${CLI[@]}" serve --data "$W/data" --port 0 --latency-ms 1000 --page-size 10 >"$W/serve.out" 2>"$W/serve.err" &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$W/serve.out" ] && break; sleep 0.1; done
read -r URL TOKEN < <(node -e 'const l=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8").split("\n")[0]);console.log(l.url,l.userToken)' "$W/serve.out")
export DQM_PLAYGROUND_URL=$URL DQM_PLAYGROUND_TOKEN=$TOKEN
say "embedded server at $URL"

# --- what the example tells the user to do --------------------------------------------------------
export DQM_EXPORT_HOME=$ROOT WORK_DIR=$W/work
PIPELINE_FILE=$ROOT/pipelines/pixel-2d.yaml
DATASET=$WORK_DIR/out/pixel-2d/h2d
"${CLI[@]}" plan "$PIPELINE_FILE" --shards $SHARDS --prepare --write-plan "$WORK_DIR/plan.json" >"$W/plan.out"
# The task to cancel: the shard with the most slices (its small slices commit while a large one is in flight).
KILLED=$(node -e 'const p=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));const n=new Array(p.shards).fill(0);for(const s of p.streams)for(const x of s.slices)n[x.shard]++;console.log(n.indexOf(Math.max(...n)))' "$WORK_DIR/plan.json")
cd "$W/submit"
JOB=$(sbatch --parsable --array=0-$((SHARDS - 1)) "$ROOT/deploy/slurm/export.sbatch")
say "submitted array job $JOB (--array=0-$((SHARDS - 1)))"

# Cancel task $KILLED once it has committed a slice, while its other slice is in flight.
journal=$DATASET/.dqm-export/shard-s000$KILLED.jsonl
for _ in $(seq 600); do
  [ -f "$journal" ] && grep -q '"type":"slice"' "$journal" && break
  sleep 0.1
done
grep -q '"type":"slice"' "$journal" 2>/dev/null || fail "task $KILLED committed no slice within 60 s (see $W/submit)"
grep -q '"type":"done"' "$journal" && fail "task $KILLED finished before it could be cancelled: the data set is too small for this machine"
scancel "${JOB}_$KILLED"
say "cancelled task ${JOB}_$KILLED after $(grep -c '"type":"slice"' "$journal") committed slice(s)"

wait_job() {
  for _ in $(seq 1800); do
    [ -z "$(squeue -h -j "$1" 2>/dev/null)" ] && return 0
    sleep 0.2
  done
  fail "job $1 still queued after 6 minutes"
}
wait_job "$JOB"
set +e
"${CLI[@]}" finalize "$PIPELINE_FILE" --plan "$WORK_DIR/plan.json" --out "$WORK_DIR" >"$W/finalize1.out" 2>"$W/finalize1.err"
rc=$?
set -e
[ "$rc" -eq 1 ] || fail "finalize with task $KILLED cancelled exited $rc, expected 1"
grep -q "E_FINALIZE_INCOMPLETE.*missing shards: $KILLED\b" "$W/finalize1.err" || fail "finalize did not name shard $KILLED: $(cat "$W/finalize1.err")"
say "finalize refused: $(head -c 200 "$W/finalize1.err")"

# Rerun the cancelled task the usual way: its array index alone.
RERUN=$(sbatch --parsable --array=$KILLED "$ROOT/deploy/slurm/export.sbatch")
wait_job "$RERUN"
out=$W/submit/dqm-export-${RERUN}_$KILLED.out
grep -q "already complete" "$out" && fail "the resubmitted task ran a shard that was already complete: $(cat "$out")"
"${CLI[@]}" finalize "$PIPELINE_FILE" --plan "$WORK_DIR/plan.json" --out "$WORK_DIR" --verify >"$W/finalize2.out" 2>"$W/finalize2.err" ||
  fail "finalize --verify after the rerun: $(cat "$W/finalize2.err")"
say "resubmitted task ${RERUN}_$KILLED; finalize --verify passed"

# --- the same pipeline in one process -------------------------------------------------------------
"${CLI[@]}" run "$PIPELINE_FILE" --out "$W/single" --no-progress >"$W/single.out" 2>"$W/single.err" || fail "single-process run: $(tail -n 3 "$W/single.err")"
node "$ROOT/test/engines/compare-datasets.mjs" "$DATASET" "$W/single/out/pixel-2d/h2d"
