#!/usr/bin/env bash
# A three-node RabbitMQ cluster on loopback, for tests and for trying tilefleet on a cluster.
#
#   deploy/local/cluster.sh start            start the three nodes and join them into one cluster
#   deploy/local/cluster.sh stop             stop every node (by PID)
#   deploy/local/cluster.sh kill N           kill -9 node N (1..3): a node lost mid-run
#   deploy/local/cluster.sh start-node N     start node N again (it rejoins the cluster by itself)
#   deploy/local/cluster.sh status|env       which nodes run; the broker URLs as TILEFLEET_AMQP_URL
#   deploy/local/cluster.sh rabbitmqctl N ARGS...
#
# Each node is a services.sh broker of its own (data under $TILEFLEET_SERVICES_DIR/cluster/nodeN,
# AMQP on TILEFLEET_CLUSTER_PORT+N-1, default 5720..5722) sharing one Erlang cookie and one epmd
# (TILEFLEET_CLUSTER_EPMD_PORT, default 4380). The URL list in `env` is what roles take to fail
# over between the nodes (broker.url may list them, docs/operations.md).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
base=${TILEFLEET_SERVICES_DIR:-$root/.local/services}/cluster
first_port=${TILEFLEET_CLUSTER_PORT:-5720}
epmd_port=${TILEFLEET_CLUSTER_EPMD_PORT:-4380}
nodes=(1 2 3)

say() { printf '%s\n' "$*" >&2; }
die() { say "cluster.sh: $*"; exit 1; }

port() { echo $((first_port + $1 - 1)); }
node_name() { echo "tilefleet-$(port "$1")@localhost"; }
# services.sh for node N.
node() {
    local n=$1; shift
    TILEFLEET_SERVICES_DIR=$base/node$n TILEFLEET_AMQP_PORT=$(port "$n") TILEFLEET_EPMD_PORT=$epmd_port \
        "$here/services.sh" "$@"
}
check_node() { case ${1:-} in 1|2|3) ;; *) die "node number 1, 2 or 3 expected, got '${1:-}'" ;; esac; }

start() {
    mkdir -p "$base"
    if [ ! -f "$base/.erlang.cookie" ]; then
        head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$base/.erlang.cookie"
        chmod 400 "$base/.erlang.cookie"
    fi
    for n in "${nodes[@]}"; do
        mkdir -p "$base/node$n/rabbitmq"
        [ -f "$base/node$n/rabbitmq/.erlang.cookie" ] || install -m 400 "$base/.erlang.cookie" "$base/node$n/rabbitmq/.erlang.cookie"
        node "$n" start rabbitmq >/dev/null
    done
    for n in 2 3; do
        if ! node "$n" rabbitmqctl -q cluster_status 2>/dev/null | grep -q "$(node_name 1)"; then
            node "$n" rabbitmqctl -q stop_app >/dev/null
            node "$n" rabbitmqctl -q join_cluster "$(node_name 1)" >/dev/null
            node "$n" rabbitmqctl -q start_app >/dev/null
        fi
    done
    node 1 rabbitmqctl -q await_online_nodes 3 >/dev/null
    say "cluster: 3 nodes running on 127.0.0.1:$(port 1)-$(port 3)"
    env_lines
}

stop() {
    for n in 3 2 1; do node "$n" stop rabbitmq 2>&1 | sed "s/^/node $n: /" >&2 || true; done
}

env_lines() {
    local urls=() n
    for n in "${nodes[@]}"; do urls+=("amqp://guest:guest@127.0.0.1:$(port "$n")/%2F"); done
    local IFS=,
    echo "export TILEFLEET_AMQP_URL=${urls[*]}"
}

cmd=${1:-status}
case "$cmd" in
    start) start ;;
    stop) stop ;;
    kill)
        check_node "${2:-}"
        pid=$(cat "$base/node$2/rabbitmq/rabbitmq.pid" 2>/dev/null || true)
        [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null && say "node $2: killed (pid $pid)" || say "node $2: not running" ;;
    start-node) check_node "${2:-}"; node "$2" start rabbitmq >/dev/null; say "node $2: started" ;;
    status) for n in "${nodes[@]}"; do printf 'node %s: ' "$n"; node "$n" status rabbitmq | head -n 1; done ;;
    env) env_lines ;;
    rabbitmqctl) check_node "${2:-}"; n=$2; shift 2; node "$n" rabbitmqctl "$@" ;;
    *) die "usage: cluster.sh start|stop|kill N|start-node N|status|env|rabbitmqctl N ARGS..." ;;
esac
