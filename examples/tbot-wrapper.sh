#!/bin/sh
# A drop-in `tbot` for hosts and scripts: install it on PATH as `tbot`, in
# front of the real binary, and every `tbot start` sends tbot's anonymous,
# opt-in start event through tbot-telemetry, while anything else (`tbot
# version`, `tbot configure ...`) just runs.
#
#   install -m 755 tbot-wrapper.sh /usr/local/bin/tbot
#   TBOT_BINARY=/opt/teleport/bin/tbot tbot start -c /etc/tbot.yaml
#
# The opt-in is tbot's own: TELEPORT_ANONYMOUS_TELEMETRY=1. Double
# counting: tbot-telemetry exec gives tbot TELEPORT_ANONYMOUS_TELEMETRY=0
# whenever it sends the event itself, so tbot does not send a second one.
set -eu

# The real tbot; not `tbot` on PATH, which would be this script again.
tbot=${TBOT_BINARY:-/opt/teleport/bin/tbot}

if ! command -v tbot-telemetry >/dev/null 2>&1; then
	# Telemetry must never stand between the user and tbot.
	exec "$tbot" "$@"
fi
# `exec` both times: no shell stays behind to swallow signals, and the exit
# status is tbot's own (128+N when it died of signal N).
exec tbot-telemetry exec -- "$tbot" "$@"
