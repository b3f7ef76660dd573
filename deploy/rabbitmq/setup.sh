#!/usr/bin/env bash
# Creates the tilefleet vhost and one user per role with permissions limited to the fleet's names.
# Run as root on a broker node:
#
#   deploy/rabbitmq/setup.sh /etc/rabbitmq/tilefleet-secrets
#
# The directory holds one file per user (tilefleet-coordinator, tilefleet-worker,
# tilefleet-recorder, tilefleet-watch) containing that user's password. Idempotent: existing users
# get their password reset and their permissions set again. Environment: TILEFLEET_VHOST (default
# tilefleet), TILEFLEET_PREFIX (default tilefleet: topology.prefix in the fleet configuration),
# RABBITMQCTL (default rabbitmqctl: the command that runs rabbitmqctl against the node).
#
# Note: rabbitmqctl 3.10 takes the password as an argument, so it is visible in the process list
# of the broker host for the moment the command runs. Run this on the broker host only.
set -euo pipefail

secrets=${1:?usage: setup.sh <directory with one password file per user>}
vhost=${TILEFLEET_VHOST:-tilefleet}
prefix=${TILEFLEET_PREFIX:-tilefleet}
p=$(printf '%s' "$prefix" | sed 's/[.[\*^$()+?{|]/\\&/g')   # the prefix, regex-quoted

# Permissions (configure, write, read regexes per user) come from permissions.tsv: the narrowest
# that work with `topology.declared_by: coordinator`. Only the coordinator user (also the one for
# submit, cancel, retry and resume) declares the topology; workers consume their work queues and
# publish to work, wait, events and dead; recorders consume their queue and dead-letter; the watch
# user (`tilefleet watch`) reads the events through a server-named queue of its own. See README.md.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

read -r -a ctl <<< "${RABBITMQCTL:-rabbitmqctl}"
rabbitmqctl() { "${ctl[@]}" "$@"; }

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
