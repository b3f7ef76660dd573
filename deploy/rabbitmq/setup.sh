#!/usr/bin/env bash
# Creates the tilefleet vhost and one user per role with permissions limited to the fleet's names.
# Run as root on a broker node:
#
#   deploy/rabbitmq/setup.sh /etc/rabbitmq/tilefleet-secrets
#
# The directory holds one file per user (tilefleet-worker, tilefleet-recorder,
# tilefleet-coordinator) containing that user's password. Idempotent: existing users get their
# password reset and their permissions set again. Environment: TILEFLEET_VHOST (default
# tilefleet), TILEFLEET_PREFIX (default tilefleet: topology.prefix in the fleet configuration).
#
# Note: rabbitmqctl 3.10 takes the password as an argument, so it is visible in the process list
# of the broker host for the moment the command runs. Run this on the broker host only.
set -euo pipefail

secrets=${1:?usage: setup.sh <directory with one password file per user>}
vhost=${TILEFLEET_VHOST:-tilefleet}
prefix=${TILEFLEET_PREFIX:-tilefleet}
p=$(printf '%s' "$prefix" | sed 's/[.[\*^$()+?{|]/\\&/g')   # the prefix, regex-quoted

# Permissions (configure, write, read regexes per user) come from permissions.tsv. Every role
# declares the whole topology at start (Messaging.Topology.declare), so every role needs, on every
# ${prefix}.* name: configure (exchange.declare, queue.declare even of existing queues), write
# (queue.bind on the queue, the dead-letter exchange named in queue.declare, publishing) and read
# (queue.bind on the exchange, queues declared with a dead-letter exchange, consuming). Only the
# coordinator user, which operators also use for `tilefleet watch`, gets the server-named
# exclusive queues amq.gen-*. See README.md.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

rabbitmqctl add_vhost "$vhost" 2>/dev/null || true

user() {
    local name=$1 configure=$2 write=$3 read=$4 password
    password=$(cat "$secrets/$name")
    [ -n "$password" ] || { echo "setup.sh: empty password file $secrets/$name" >&2; exit 1; }
    if rabbitmqctl list_users --quiet | awk '{print $1}' | grep -qx "$name"; then
        rabbitmqctl change_password "$name" "$password" >/dev/null
    else
        rabbitmqctl add_user "$name" "$password" >/dev/null
    fi
    rabbitmqctl set_user_tags "$name"            # no management or administrator tag
    rabbitmqctl set_permissions -p "$vhost" "$name" "$configure" "$write" "$read"
}

while IFS=$'\t' read -r -u 3 name configure write read; do
    case $name in ''|'#'*) continue ;; esac
    user "$name" "${configure//\{prefix\}/$p}" "${write//\{prefix\}/$p}" "${read//\{prefix\}/$p}"
done 3< "$here/permissions.tsv"   # fd 3: rabbitmqctl must not eat the list from stdin

rabbitmqctl list_permissions -p "$vhost"
