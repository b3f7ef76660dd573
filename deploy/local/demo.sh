#!/usr/bin/env bash
# The main job on the embedded default: run by `make demo` after the local RabbitMQ and
# PostgreSQL are up and `tilefleet` is built. Starts what it needs, stops what it started (by PID).
#
# Today it exercises every part that exists end to end: the schema migration, the tiling of the
# seed's Vienna AOI, the bundled openEO simulator, one real job through the openEO adapter
# (`tilefleet try`), and the SQL report.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${TILEFLEET_BIN:-$root/.build/release/tilefleet}
out=${TILEFLEET_DEMO_OUT:-$root/demo-output}
sim_port=${TILEFLEET_SIM_PORT:-8080}
mkdir -p "$out"

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }

step "schema"
"$bin" migrate

step "tiles: the Vienna AOI on a 20 km grid"
"$bin" tiles "16.1482,48.0326,16.7092,48.3081" --grid km:20 --out "$out/vienna-tiles.geojson"

step "the bundled openEO simulator on 127.0.0.1:$sim_port (jobs of 2–4 s)"
"$bin" simulate --port "$sim_port" --duration-min 2 --duration-max 4 --seed 7 >"$out/simulator.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "http://127.0.0.1:$sim_port/openeo/" 2>/dev/null && break
    sleep 0.1
done

step "one PV-farm detection job through the openEO adapter"
sed "s#http://127.0.0.1:8080/openeo#http://127.0.0.1:$sim_port/openeo#" "$root/config/fleet.example.yaml" >"$out/fleet.yaml"
TILEFLEET_SIM_PASSWORD=tilefleet "$bin" try --config "$out/fleet.yaml" --backend sim \
    --job "$root/config/jobs/pv-farms.openeo.json" --tile vienna-0-0 --poll-interval 1

step "report"
"$bin" report

printf '\nOutputs are in %s\n' "$out"
