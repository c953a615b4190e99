#!/bin/sh
# Container entrypoint for tbot images that have a shell. The arguments are
# tbot's, after `tbot start`; in the Dockerfile:
#
#   COPY --chmod=755 examples/container/entrypoint.sh /entrypoint.sh
#   ENTRYPOINT ["/entrypoint.sh"]
#   CMD ["-c", "/config/tbot.yaml"]
#
# Opt in with `docker run -e TELEPORT_ANONYMOUS_TELEMETRY=1 ...`. exec gives
# tbot TELEPORT_ANONYMOUS_TELEMETRY=0 whenever it sends the event itself, so
# that tbot does not send a second one.
set -eu

# `exec`: tbot-telemetry replaces this shell as PID 1, so it receives the
# container's signals itself (and relays them to tbot), reaps orphans, and
# its exit status, which is tbot's, becomes the container's.
exec tbot-telemetry exec -- tbot start "$@"
