#!/bin/sh
# Render the Janus configuration of one instance: deploy/janus/render.sh <instance>
# reads /etc/janus/<instance>.env and writes /etc/janus/<instance>/*.jcfg (mode 0640, group janus).
set -eu
instance="$1"
here="$(cd "$(dirname "$0")" && pwd)"
env_file="/etc/janus/${instance}.env"
target="/etc/janus/${instance}"
[ -r "$env_file" ] || { echo "no $env_file (start from $here/${instance}.env.example)" >&2; exit 1; }
set -a; . "$env_file"; set +a
[ "${JANUS_INSTANCE}" = "$instance" ] || { echo "JANUS_INSTANCE in $env_file is not $instance" >&2; exit 1; }
case "${JANUS_NAT_1_1:-}" in ""|nat_1_1_mapping*) ;; *) JANUS_NAT_1_1="nat_1_1_mapping = \"${JANUS_NAT_1_1}\"";; esac
JANUS_STUN=""
[ -z "${JANUS_STUN_HOST:-}" ] || JANUS_STUN="stun_server = \"${JANUS_STUN_HOST}\"
    stun_port = 3478"
export JANUS_NAT_1_1 JANUS_STUN
install -d -m 0750 -g janus "$target"
for file in janus.jcfg janus.plugin.videoroom.jcfg janus.transport.http.jcfg janus.transport.websockets.jcfg; do
    envsubst < "$here/$file" > "$target/$file"
    chgrp janus "$target/$file" && chmod 0640 "$target/$file"
done
echo "rendered $target"
