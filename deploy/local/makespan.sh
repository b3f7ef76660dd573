#!/usr/bin/env bash
# Makespan of N simulator jobs of D seconds through the whole fleet with max_active M (defaults:
# 200 jobs of 1 s, max_active 20 — the ideal is N × D / M = 10 s). Needs the local services
# (eval "$(deploy/local/services.sh env)") and a release build. Stops what it started, by PID.
# TILEFLEET_WAIT_TIERS (e.g. 1,2,5; default: derived from the poll) and TILEFLEET_POLL (default 1s)
# set the topology's wait tiers and the backend's poll interval; TILEFLEET_RECORDER_ARGS (e.g.
# "--max-wait-ms 50") is passed to the recorder.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${TILEFLEET_BIN:-$root/.build/release/tilefleet}
jobs=${1:-200} seconds=${2:-1} max_active=${3:-20} port=${TILEFLEET_SIM_PORT:-8091}
dir=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$dir"
}
trap cleanup EXIT
"$bin" migrate >/dev/null
"$bin" simulate --port "$port" --duration "$seconds" --queue-seconds 0 >"$dir/sim.log" 2>&1 & pids+=($!)
for _ in $(seq 1 100); do curl -fsS -o /dev/null "http://127.0.0.1:$port/openeo/" 2>/dev/null && break; sleep 0.1; done
prefix=makespan-$$
backend=sim-$$   # its own backend name, so no other task's tiles count against max_active
cat >"$dir/fleet.yaml" <<YAML
topology: { prefix: $prefix${TILEFLEET_WAIT_TIERS:+, wait_tiers: [$TILEFLEET_WAIT_TIERS]} }
coordinator: { interval: 1s }
backends:
  - name: $backend
    kind: openeo
    url: http://127.0.0.1:$port/openeo
    max_active: $max_active
    poll: { min_interval: ${TILEFLEET_POLL:-1s}, max_interval: ${TILEFLEET_POLL:-1s} }
    auth: { method: basic, username: tilefleet, password_env: TILEFLEET_SIM_PASSWORD }
YAML
values=$(seq -s, 1 "$jobs")
cat >"$dir/task.yaml" <<YAML
id: $prefix
title: makespan
backend: $backend
service: { udp: "https://example.org/udp/noop.json", id: noop }
split:
  aoi: "16.30,48.10,16.31,48.11"
  grid: km:20
  dimensions: [{ name: run, values: [$values] }]
YAML
export TILEFLEET_CONFIG=$dir/fleet.yaml TILEFLEET_SIM_PASSWORD=tilefleet
coproc PSQL { psql "$TILEFLEET_DATABASE_URL" -tAqX -v ON_ERROR_STOP=1; }
pids+=("$PSQL_PID")
"$bin" recorder ${TILEFLEET_RECORDER_ARGS:-} >"$dir/recorder.log" 2>&1 & pids+=($!)
"$bin" coordinator >"$dir/coordinator.log" 2>&1 & pids+=($!)
"$bin" worker --no-metrics >"$dir/worker.log" 2>&1 & pids+=($!)
sleep 1
start=$(date +%s.%N)
"$bin" submit --offline "$dir/task.yaml" >/dev/null   # its UDP is a placeholder: no preflight
# One psql session asks every 20 ms, a prepared statement (0.4 ms of the database's CPU a look): a
# new connection per look cost about 40 ms and 9 ms of its CPU, beside the fleet it measures.
ask() {
    echo "$1" >&"${PSQL[1]}" && IFS= read -r -t 30 answer <&"${PSQL[0]}" \
        || { echo "makespan.sh: psql gave no answer to: $1" >&2; exit 1; }
}
echo "PREPARE remaining AS SELECT count(*) FROM tiles WHERE task_id = '$prefix' AND status NOT IN ('finished', 'failed', 'canceled');" >&"${PSQL[1]}"
ask "EXECUTE remaining;"
while [ "$answer" != 0 ]; do
    sleep 0.02
    ask "EXECUTE remaining;"
done
end=$(date +%s.%N)
# The database's own view: from the task's insert to the last tile's finish being stored.
ask "SELECT round(extract(epoch FROM max(t.updated_at) - k.created_at)::numeric, 2) FROM tiles t JOIN tasks k ON k.id = t.task_id WHERE t.task_id = '$prefix' GROUP BY k.created_at;"
ideal=$(echo "$jobs * $seconds / $max_active" | bc -l)
printf 'makespan: %.1f s for %d jobs of %s s with max_active %d (ideal %.1f s); stored to last finish in the database: %s s\n' \
    "$(echo "$end - $start" | bc -l)" "$jobs" "$seconds" "$max_active" "$ideal" "$answer"
