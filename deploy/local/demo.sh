#!/usr/bin/env bash
# The main job on the embedded default, run by `make demo` once the local RabbitMQ and PostgreSQL
# are up and `tilefleet` is built: the seed's Vienna PV-farm upscaling, through the whole fleet,
# against the bundled openEO simulator. Stops everything it started, by PID.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${TILEFLEET_BIN:-$root/.build/release/tilefleet}
out=${TILEFLEET_DEMO_OUT:-$root/demo-output}
sim_port=${TILEFLEET_SIM_PORT:-8080}
prefix=${TILEFLEET_DEMO_PREFIX:-tilefleet-demo}
: "${TILEFLEET_AMQP_URL:?start the services first: eval \"\$(deploy/local/services.sh env)\"}"
: "${TILEFLEET_DATABASE_URL:?start the services first}"
rm -rf "$out"
mkdir -p "$out/logs"

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }
start() { # start NAME COMMAND…: in the background, output in logs/NAME.log
    local name=$1; shift
    "$@" >"$out/logs/$name.log" 2>&1 &
    pids+=($!)
}

step "schema"
"$bin" migrate

step "the bundled openEO simulator on 127.0.0.1:$sim_port (jobs of 2–5 s, 15 % of them fail)"
start simulator "$bin" simulate --port "$sim_port" --duration-min 2 --duration-max 5 --failure-rate 0.15
for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "http://127.0.0.1:$sim_port/openeo/" 2>/dev/null && break
    sleep 0.1
done

# The fleet config: the shared services, the simulator as the backend, a topology of its own.
cat >"$out/fleet.yaml" <<YAML
topology: { prefix: $prefix, wait_tiers: [1, 2, 5] }
coordinator: { interval: 2s }
backends:
  - name: sim
    kind: openeo
    url: http://127.0.0.1:$sim_port/openeo
    max_active: 4
    poll: { min_interval: 1s, max_interval: 2s }
    auth: { method: basic, username: tilefleet, password_env: TILEFLEET_SIM_PASSWORD }
YAML
export TILEFLEET_CONFIG=$out/fleet.yaml TILEFLEET_SIM_PASSWORD=tilefleet
task=vienna-pv-$(date +%Y%m%d-%H%M%S)
sed -e "s/^id: .*/id: $task/" -e "s/^backend: .*/backend: sim/" "$root/config/tasks/vienna-pv.yaml" >"$out/vienna-pv.yaml"

step "the fleet: recorder, coordinator, two workers"
start recorder "$bin" recorder
start coordinator "$bin" coordinator
start worker-1 "$bin" worker --no-metrics
start worker-2 "$bin" worker --no-metrics

step "submit the Vienna PV-farm task (20 km tiles × 2023-05-01..2023-09-30, max_active 4)"
# --offline: the task's UDP is published on the internet, which the demo does not assume; the
# preflight (`tilefleet submit` without it) would fetch it and check the task against its parameters.
"$bin" submit --offline "$out/vienna-pv.yaml"

step "progress"
"$bin" watch "$task" --every 2 || true

step "report"
"$bin" report "$task"

step "results"
"$bin" results "$task" --stac "$out/stac"
"$bin" export "$task" --geojson "$out/tiles-status.geojson"

printf '\nDone. In %s:\n  tiles-status.geojson  the tiles with status, attempt, job id and durations (open in QGIS)\n  stac/                 a STAC Collection of the results\n  logs/                 each process'"'"'s log\n' "$out"
