#!/usr/bin/env bash
# A PostgreSQL primary and a streaming standby on loopback, for failover tests and for trying it.
#
#   deploy/local/pgpair.sh start        start both nodes; the first start makes node 1 the primary
#                                       and node 2 its synchronous standby (pg_basebackup -R)
#   deploy/local/pgpair.sh stop         stop both nodes (by PID)
#   deploy/local/pgpair.sh promote      promote the standby to primary (pg_ctl promote)
#   deploy/local/pgpair.sh kill N       kill -9 node N (1 or 2) and its backends: a lost host
#   deploy/local/pgpair.sh rejoin N     rebuild node N as the standby of the current primary
#   deploy/local/pgpair.sh status|env   which node runs in which role; the multi-host URL
#   deploy/local/pgpair.sh wipe         stop both and delete their data
#
# Each node is a services.sh PostgreSQL of its own (data under $TILEFLEET_SERVICES_DIR/pgpair/nodeN,
# port TILEFLEET_PGPAIR_PORT+N-1, default 5740 and 5741). Replication is synchronous
# (synchronous_standby_names = '*' on the primary while it has a standby): a commit the primary
# acknowledged is on the standby's disk, so promoting the standby loses none. The price: while the
# standby is down, commits on the primary wait. A promoted standby runs alone (asynchronous) until
# `rejoin` gives it a standby again. The roles take the URL of `env`, which lists both nodes with
# target_session_attrs=read-write: libpq connects to whichever one is the primary.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
base=${TILEFLEET_SERVICES_DIR:-$root/.local/services}/pgpair
first_port=${TILEFLEET_PGPAIR_PORT:-5740}
pg_password=${TILEFLEET_PG_PASSWORD:-tilefleet-local}
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)

say() { printf '%s\n' "$*" >&2; }
die() { say "pgpair.sh: $*"; exit 1; }

port() { echo $((first_port + $1 - 1)); }
other() { echo $((3 - $1)); }
data() { echo "$base/node$1/postgres/data"; }
sock() { echo "$base/node$1/postgres/socket"; }
check_node() { case ${1:-} in 1|2) ;; *) die "node number 1 or 2 expected, got '${1:-}'" ;; esac; }
# services.sh for node N.
node() {
    local n=$1; shift
    TILEFLEET_SERVICES_DIR=$base/node$n TILEFLEET_PG_PORT=$(port "$n") TILEFLEET_PG_PASSWORD=$pg_password \
        "$here/services.sh" "$@"
}
as_postgres() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
# psql N SQL: one statement on node N over its socket, unaligned output.
psql_on() { as_postgres "$pg_bin/psql" -h "$(sock "$1")" -p "$(port "$1")" -U tilefleet -d postgres -tAq -c "$2"; }
pid_of() { head -n 1 "$(data "$1")/postmaster.pid" 2>/dev/null || true; }
alive() {
    local pid=$1 stat
    [ -n "$pid" ] || return 1
    stat=$(ps -o stat= -p "$pid" 2>/dev/null | tr -d ' ') || return 1
    [ -n "$stat" ] && [ "${stat#Z}" = "$stat" ]
}
running() { alive "$(pid_of "$1")"; }
# The node that is (or was last) the primary: written at the first start and by `promote`.
primary() { cat "$base/primary" 2>/dev/null || echo 1; }

# Makes node N a fresh standby of the running primary P and turns synchronous replication on.
make_standby() {
    local n=$1 p; p=$(primary)
    running "$p" || die "node $p (the primary) is not running"
    node "$n" stop postgres 2>/dev/null || true
    rm -rf "$base/node$n/postgres"
    mkdir -p "$base/node$n/postgres/socket"
    [ "$(id -u)" = 0 ] && chown postgres "$base/node$n/postgres" "$base/node$n/postgres/socket"
    # -R writes standby.signal and primary_conninfo (with the password: the data directory is
    # the postgres user's alone).
    PGPASSWORD=$pg_password as_postgres "$pg_bin/pg_basebackup" -h 127.0.0.1 -p "$(port "$p")" -U tilefleet \
        -D "$(data "$n")" -R -X stream -c fast >"$base/node$n/basebackup.log" 2>&1 \
        || die "pg_basebackup from node $p failed: see $base/node$n/basebackup.log"
    node "$n" start postgres >/dev/null
    psql_on "$p" "ALTER SYSTEM SET synchronous_standby_names = '*'" >/dev/null
    psql_on "$p" "SELECT pg_reload_conf()" >/dev/null
    local i
    for i in $(seq 1 150); do
        [ "$(psql_on "$p" "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming' AND sync_state = 'sync'")" = 1 ] && break
        sleep 0.2
    done
    [ "$i" -lt 150 ] || die "node $n does not stream from node $p: see $base/node$n/postgres/postgres.log"
    say "node $n: standby of node $p (synchronous)"
}

start() {
    [ -n "$pg_bin" ] && [ -x "$pg_bin/pg_basebackup" ] || die "PostgreSQL is not installed (run 'make deps')"
    mkdir -p "$base"
    local p s; p=$(primary); s=$(other "$p")
    if [ ! -f "$(data "$p")/PG_VERSION" ]; then
        [ ! -f "$(data "$s")/PG_VERSION" ] || die "node $p (the primary) has no data but node $s has: 'wipe' and start again"
        echo 1 > "$base/primary"; p=1; s=2
        node 1 start postgres >/dev/null
        psql_on 1 "ALTER SYSTEM SET wal_keep_size = '512MB'" >/dev/null
        make_standby 2
    else
        node "$p" start postgres >/dev/null
        if [ ! -f "$(data "$s")/PG_VERSION" ]; then
            make_standby "$s"
        elif [ -f "$(data "$s")/standby.signal" ]; then
            node "$s" start postgres >/dev/null
        else
            say "node $s was the primary before a failover and is not started (it would be a second primary): 'rejoin $s' makes it a standby of node $p"
        fi
    fi
    say "pgpair: primary node $p on 127.0.0.1:$(port "$p")"
    env_lines
}

stop() {
    local n
    for n in 1 2; do node "$n" stop postgres 2>&1 | sed "s/^/node $n: /" >&2 || true; done
}

promote() {
    local p n; p=$(primary); n=$(other "$p")
    running "$n" || die "node $n (the standby) is not running"
    [ -f "$(data "$n")/standby.signal" ] || die "node $n is not a standby"
    as_postgres "$pg_bin/pg_ctl" -D "$(data "$n")" -w -t 60 promote >/dev/null || die "pg_ctl promote of node $n failed"
    echo "$n" > "$base/primary"
    # Copied from the old primary by pg_basebackup: with no standby of its own, a synchronous
    # setting would hold every commit.
    psql_on "$n" "ALTER SYSTEM RESET synchronous_standby_names" >/dev/null
    psql_on "$n" "SELECT pg_reload_conf()" >/dev/null
    say "node $n: promoted to primary"
}

kill_node() {
    local n=$1 pid children
    pid=$(pid_of "$n")
    if alive "$pid"; then
        children=$(ps -o pid= --ppid "$pid" | tr '\n' ' ')
        # shellcheck disable=SC2086
        kill -KILL "$pid" $children 2>/dev/null || true
        # Gone when this returns: their sockets are closed, the clients see it at once.
        local p i
        for p in $pid $children; do
            for i in $(seq 1 100); do alive "$p" || break; sleep 0.05; done
        done
        say "node $n: killed (pid $pid and its backends)"
    else
        say "node $n: not running"
    fi
}

status() {
    local n role
    for n in 1 2; do
        if running "$n"; then
            role=$(psql_on "$n" "SELECT CASE WHEN pg_is_in_recovery() THEN 'standby' ELSE 'primary' END" 2>/dev/null || echo unknown)
            echo "node $n: running (pid $(pid_of "$n")) $role on 127.0.0.1:$(port "$n")"
        else
            echo "node $n: stopped"
        fi
    done
}

env_lines() {
    echo "export TILEFLEET_DATABASE_URL=postgresql://tilefleet:$pg_password@127.0.0.1:$(port 1),127.0.0.1:$(port 2)/tilefleet?target_session_attrs=read-write"
}

cmd=${1:-status}
case "$cmd" in
    start) start ;;
    stop) stop ;;
    promote) promote ;;
    kill) check_node "${2:-}"; kill_node "$2" ;;
    rejoin)
        check_node "${2:-}"
        [ "$2" != "$(primary)" ] || die "node $2 is the primary; promote the other one first"
        make_standby "$2" ;;
    status) status ;;
    env) env_lines ;;
    wipe) stop; rm -rf "$base"; say "pgpair: data deleted" ;;
    *) die "usage: pgpair.sh start|stop|promote|kill N|rejoin N|status|env|wipe" ;;
esac
