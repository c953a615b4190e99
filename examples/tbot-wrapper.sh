#!/bin/sh
# A drop-in `tbot` for hosts and scripts: on PATH in front of the real tbot,
# it sends tbot's anonymous, opt-in start event through tbot-telemetry for
# every `tbot start`, and runs every other command (`tbot version`, `tbot
# configure ...`) as the real tbot, saying nothing.
#
# Install it beside the real tbot, never over it: in a directory that comes
# before the real one on PATH. On Linux, /usr/local/sbin comes before
# /usr/local/bin (where Teleport's installer puts tbot) on the default PATH,
# systemd's included:
#
#   install -m 755 examples/tbot-wrapper.sh /usr/local/sbin/tbot
#   hash -r; command -v tbot    # /usr/local/sbin/tbot
#
# It finds the real tbot at $TBOT_REAL when that is set, else as the next
# `tbot` on PATH after itself, and refuses to run itself (which would loop).
#
# The opt-in is tbot's own: TELEPORT_ANONYMOUS_TELEMETRY=1. Double
# counting: tbot-telemetry exec gives tbot TELEPORT_ANONYMOUS_TELEMETRY=0
# whenever it sends the event itself, so tbot does not send a second one.
set -eu

say() { echo "tbot (tbot-telemetry wrapper): $*" >&2; }

# This script's own path, to tell it apart from the real tbot. $0 is the
# path it was run by: absolute, relative, or found on PATH by the shell.
self=$0
case $self in
*/*) ;;
*) self=$(command -v -- "$self" 2>/dev/null || echo "$self") ;;
esac

if [ -n "${TBOT_REAL:-}" ]; then
	tbot=$TBOT_REAL
else
	# The first tbot on PATH that is not this script.
	tbot=
	rest=$PATH
	while [ -n "$rest" ]; do
		dir=${rest%%:*}
		case $rest in *:*) rest=${rest#*:} ;; *) rest= ;; esac
		candidate=${dir:-.}/tbot
		if [ -f "$candidate" ] && [ -x "$candidate" ] && ! [ "$candidate" -ef "$self" ]; then
			tbot=$candidate
			break
		fi
	done
	if [ -z "$tbot" ]; then
		say "no tbot on PATH besides this wrapper ($self); install tbot, or set TBOT_REAL to its path"
		exit 127
	fi
fi
if [ "$tbot" -ef "$self" ]; then
	say "TBOT_REAL ($tbot) is this wrapper, not tbot; set it to the real tbot"
	exit 126
fi

# tbot's command: its first argument that is not a global flag (-d,
# --debug, --fips, --insecure, and -c, --config, --config-string and
# --log-format with their values).
subcommand=
skip_value=false
for arg in "$@"; do
	if $skip_value; then
		skip_value=false
		continue
	fi
	case $arg in
	-c | --config | --config-string | --log-format) skip_value=true ;;
	-*) ;;
	*)
		subcommand=$arg
		break
		;;
	esac
done

# `exec` every time: no shell stays behind to swallow signals, and the
# exit status is tbot's own (128+N when it died of signal N).
if [ "$subcommand" != start ] || ! command -v tbot-telemetry >/dev/null 2>&1; then
	# Not a start, or no tbot-telemetry: telemetry must never stand
	# between the user and tbot.
	exec "$tbot" "$@"
fi
exec tbot-telemetry exec -- "$tbot" "$@"
