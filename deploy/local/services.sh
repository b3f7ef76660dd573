#!/usr/bin/env bash
# Private RabbitMQ and PostgreSQL for development, tests and the demo.
#
#   deploy/local/services.sh start|stop|restart|status|env [rabbitmq|postgres]
#   deploy/local/services.sh wipe rabbitmq          stop the broker and delete its data (a lost broker)
#   deploy/local/services.sh rabbitmqctl ARGS...    rabbitmqctl against the local node
#
# Both listen on 127.0.0.1 only, on non-default ports, with their data under
# $TILEFLEET_SERVICES_DIR (default: .local/services in the project). TILEFLEET_SERVICES_LISTEN
# adds one more local address to listen on (for roles in network namespaces of their own, which
# reach this host over a veth link; PostgreSQL then admits clients of its directly connected
# subnets, `samenet`, with a password). Installs nothing:
# `make deps` does that. `start` is idempotent; `stop` stops what `start` started, by PID.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
dir=${TILEFLEET_SERVICES_DIR:-$root/.local/services}

amqp_port=${TILEFLEET_AMQP_PORT:-5673}
amqp_dist_port=$((amqp_port + 20000))
epmd_port=${TILEFLEET_EPMD_PORT:-4370}
pg_port=${TILEFLEET_PG_PORT:-5433}
pg_password=${TILEFLEET_PG_PASSWORD:-tilefleet-local}
extra_address=${TILEFLEET_SERVICES_LISTEN:-}

rmq_dir=$dir/rabbitmq
rmq_node=tilefleet-$amqp_port@localhost
rmq_bin=/usr/lib/rabbitmq/bin
pg_dir=$dir/postgres
pg_data=$pg_dir/data
pg_sock=$pg_dir/socket
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)

say() { printf '%s\n' "$*" >&2; }
die() { say "services.sh: $*"; exit 1; }

# A PID is alive if it exists and is not a zombie (nothing reaps them in some sandboxes).
alive() {
    local pid=$1 stat
    [ -n "$pid" ] || return 1
    stat=$(ps -o stat= -p "$pid" 2>/dev/null | tr -d ' ') || return 1
    [ -n "$stat" ] && [ "${stat#Z}" = "$stat" ]
}

wait_gone() {
    local pid=$1 i
    for i in $(seq 1 150); do alive "$pid" || return 0; sleep 0.2; done
    return 1
}

as_postgres() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

rmq_env() {
    export HOME=$rmq_dir
    export RABBITMQ_CONF_ENV_FILE=$rmq_dir/rabbitmq-env.conf
    export RABBITMQ_CONFIG_FILE=$rmq_dir/rabbitmq.conf
    export RABBITMQ_ADVANCED_CONFIG_FILE=$rmq_dir/advanced.config
    export RABBITMQ_ENABLED_PLUGINS_FILE=$rmq_dir/enabled_plugins
    export RABBITMQ_MNESIA_BASE=$rmq_dir/mnesia
    export RABBITMQ_LOG_BASE=$rmq_dir/log
    export RABBITMQ_PID_FILE=$rmq_dir/rabbitmq.pid
    export RABBITMQ_NODENAME=$rmq_node
    export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
    export RABBITMQ_NODE_PORT=$amqp_port
    export RABBITMQ_DIST_PORT=$amqp_dist_port
    export ERL_EPMD_PORT=$epmd_port
    export ERL_EPMD_ADDRESS=127.0.0.1
}

rmq_pid() { cat "$rmq_dir/rabbitmq.pid" 2>/dev/null || true; }

rmq_start() {
    [ -x "$rmq_bin/rabbitmq-server" ] || die "RabbitMQ is not installed (run 'make deps')"
    if alive "$(rmq_pid)"; then say "rabbitmq: already running (pid $(rmq_pid))"; return 0; fi
    mkdir -p "$rmq_dir/mnesia" "$rmq_dir/log"
    : > "$rmq_dir/rabbitmq-env.conf"
    echo '[].' > "$rmq_dir/enabled_plugins"
    echo '[].' > "$rmq_dir/advanced.config"
    cat > "$rmq_dir/rabbitmq.conf" <<CONF
listeners.tcp.1 = 127.0.0.1:$amqp_port
loopback_users = none
log.console = false
log.file.level = warning
vm_memory_high_watermark.relative = 0.4
classic_queue.default_version = 2
disk_free_limit.absolute = 50MB
max_message_size = 16777216
CONF
    if [ -n "$extra_address" ]; then echo "listeners.tcp.2 = $extra_address:$amqp_port" >> "$rmq_dir/rabbitmq.conf"; fi
    if [ ! -f "$rmq_dir/.erlang.cookie" ]; then
        head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$rmq_dir/.erlang.cookie"
        chmod 400 "$rmq_dir/.erlang.cookie"
    fi
    rm -f "$rmq_dir/rabbitmq.pid"
    (
        rmq_env
        exec setsid "$rmq_bin/rabbitmq-server" >"$rmq_dir/log/stdout.log" 2>&1 </dev/null
    ) &
    local i
    for i in $(seq 1 300); do [ -s "$rmq_dir/rabbitmq.pid" ] && break; sleep 0.1; done
    [ -s "$rmq_dir/rabbitmq.pid" ] || die "rabbitmq did not start: see $rmq_dir/log/stdout.log"
    ( rmq_env; "$rmq_bin/rabbitmqctl" -n "$rmq_node" -q wait --timeout 60 "$rmq_dir/rabbitmq.pid" >/dev/null ) \
        || die "rabbitmq did not come up: see $rmq_dir/log"
    say "rabbitmq: started (pid $(rmq_pid)) on 127.0.0.1:$amqp_port"
}

rmq_stop() {
    local pid; pid=$(rmq_pid)
    if alive "$pid"; then
        kill -TERM "$pid" 2>/dev/null || true
        wait_gone "$pid" || { kill -KILL "$pid" 2>/dev/null || true; wait_gone "$pid" || true; }
        say "rabbitmq: stopped (pid $pid)"
    else
        say "rabbitmq: not running"
    fi
    rm -f "$rmq_dir/rabbitmq.pid"
    # epmd outlives the node; stop the one on our private port.
    if command -v epmd >/dev/null 2>&1 || [ -x /usr/lib/erlang/bin/epmd ]; then
        ( rmq_env; "$(command -v epmd || echo /usr/lib/erlang/bin/epmd)" -port "$epmd_port" -kill >/dev/null 2>&1 || true )
    fi
}

pg_pid() { head -n 1 "$pg_data/postmaster.pid" 2>/dev/null || true; }

pg_start() {
    [ -n "$pg_bin" ] && [ -x "$pg_bin/initdb" ] || die "PostgreSQL is not installed (run 'make deps')"
    if alive "$(pg_pid)"; then say "postgres: already running (pid $(pg_pid))"; return 0; fi
    mkdir -p "$pg_dir" "$pg_sock"
    if [ "$(id -u)" = 0 ]; then chown postgres "$pg_dir" "$pg_sock"; fi
    if [ ! -f "$pg_data/PG_VERSION" ]; then
        local pwfile=$pg_dir/pwfile
        printf '%s\n' "$pg_password" > "$pwfile"
        [ "$(id -u)" = 0 ] && chown postgres "$pwfile"
        as_postgres "$pg_bin/initdb" -D "$pg_data" -U tilefleet --pwfile="$pwfile" \
            --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C >"$pg_dir/initdb.log" 2>&1 \
            || die "initdb failed: see $pg_dir/initdb.log"
        rm -f "$pwfile"
    fi
    local listen=127.0.0.1
    if [ -n "$extra_address" ]; then
        listen="127.0.0.1,$extra_address"
        grep -q '^host all all samenet' "$pg_data/pg_hba.conf" \
            || echo 'host all all samenet scram-sha-256' >> "$pg_data/pg_hba.conf"
    fi
    rm -f "$pg_data/postmaster.pid"
    as_postgres "$pg_bin/pg_ctl" -D "$pg_data" -l "$pg_dir/postgres.log" -w -t 60 \
        -o "-c listen_addresses=$listen -p $pg_port -c unix_socket_directories=$pg_sock -c max_connections=200" \
        start >/dev/null || die "postgres did not start: see $pg_dir/postgres.log"
    if ! as_postgres "$pg_bin/psql" -h "$pg_sock" -p "$pg_port" -U tilefleet -d postgres -tAq \
        -c "SELECT 1 FROM pg_database WHERE datname = 'tilefleet'" | grep -q 1; then
        as_postgres "$pg_bin/createdb" -h "$pg_sock" -p "$pg_port" -U tilefleet tilefleet
    fi
    say "postgres: started (pid $(pg_pid)) on 127.0.0.1:$pg_port"
}

pg_stop() {
    local pid; pid=$(pg_pid)
    if alive "$pid"; then
        kill -INT "$pid" 2>/dev/null || true   # fast shutdown
        wait_gone "$pid" || { kill -KILL "$pid" 2>/dev/null || true; wait_gone "$pid" || true; }
        say "postgres: stopped (pid $pid)"
    else
        say "postgres: not running"
    fi
}

print_env() {
    echo "export TILEFLEET_AMQP_URL=amqp://guest:guest@127.0.0.1:$amqp_port/%2F"
    echo "export TILEFLEET_DATABASE_URL=postgresql://tilefleet:$pg_password@127.0.0.1:$pg_port/tilefleet"
    echo "export TILEFLEET_SERVICES_SCRIPT=$here/services.sh"
    echo "export TILEFLEET_SERVICES_DIR=$dir"
}

status() {
    if alive "$(rmq_pid)"; then echo "rabbitmq: running (pid $(rmq_pid)) amqp://127.0.0.1:$amqp_port"; else echo "rabbitmq: stopped"; fi
    if alive "$(pg_pid)"; then echo "postgres: running (pid $(pg_pid)) postgresql://127.0.0.1:$pg_port"; else echo "postgres: stopped"; fi
}

cmd=${1:-status}
if [ "$cmd" = rabbitmqctl ]; then
    shift
    rmq_env
    exec "$rmq_bin/rabbitmqctl" -n "$rmq_node" "$@"
fi
which=${2:-all}
case "$which" in all|rabbitmq|postgres) ;; *) die "unknown service '$which' (rabbitmq, postgres)";; esac
run() { # run <action> for the selected services
    case "$which" in
        all) "rmq_$1"; "pg_$1" ;;
        rabbitmq) "rmq_$1" ;;
        postgres) "pg_$1" ;;
    esac
}
case "$cmd" in
    start) run start; print_env ;;
    stop) run stop ;;
    restart) run stop; run start ;;
    wipe)
        [ "$which" = rabbitmq ] || die "wipe takes 'rabbitmq' (its queues, messages and definitions)"
        rmq_stop; rm -rf "$rmq_dir/mnesia"; say "rabbitmq: data deleted" ;;
    status) status ;;
    env) print_env ;;
    *) die "usage: services.sh start|stop|restart|status|env [rabbitmq|postgres] | wipe rabbitmq | rabbitmqctl ARGS..." ;;
esac
