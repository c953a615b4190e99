#!/usr/bin/env bash
# Whole-process benchmarks of tbot-telemetry against what a user would
# otherwise run: curl posting the identical request bytes to the same
# loopback receiver, and the bare child for exec; and, as the floor for
# these dependencies, bench/bareclient (connect-go posting the same event
# and nothing else). Prints hyperfine's tables,
# peak memory (GNU time's %M) and the release binary's size.
#
#   make bench-e2e            # or: bash bench/e2e.sh [RUNS]
#
# Needs hyperfine, curl and GNU time (Debian packages of the same names);
# as root it installs those that are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-200}
need=()
command -v hyperfine >/dev/null || need+=(hyperfine)
command -v curl >/dev/null || need+=(curl)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "bench-e2e: please install: ${need[*]}" >&2
		exit 1
	fi
	apt-get install -y "${need[@]}" >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y "${need[@]}" >/dev/null; }
fi

make build >/dev/null
bin=$PWD/bin/tbot-telemetry
work=$(mktemp -d)
trap 'kill "${collector:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

# A loopback receiver: tbot-telemetry's own collect, lines to a file.
"$bin" collect --listen 127.0.0.1:0 --output "$work/events.jsonl" 2>"$work/collect.log" &
collector=$!
for _ in $(seq 50); do
	addr=$(grep -o 'listen=[0-9.:]*' "$work/collect.log" | head -1 | cut -d= -f2 || true)
	[ -n "$addr" ] && break
	sleep 0.1
done
[ -n "$addr" ] || { echo "bench-e2e: collect did not start" >&2; exit 1; }
endpoint=http://$addr

config=testdata/v2/outputs-and-services.yaml
go run ./bench/reqbytes start -c "$config" >"$work/request.bin"
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$work/bareclient" ./bench/bareclient
report=("$bin" report --strict --endpoint "$endpoint" --tbot-version 17.4.2 -- start -c "$config")
curl=(curl -sS --fail -o /dev/null -X POST -H "Content-Type: application/proto" -H "Connect-Protocol-Version: 1"
	--data-binary "@$work/request.bin" "$endpoint/prehog.v1alpha.TbotReportingService/SubmitTbotEvent")
bare=("$work/bareclient" "$work/request.bin" "$endpoint")
quote() { printf '%q ' "$@"; }

# The opt-in is set for the measuring tools, never through an `env` wrapper,
# which would add a process start to tbot-telemetry's side only.
unset DO_NOT_TRACK
echo "## report vs curl (and the bare connect-go client), same bytes, same loopback receiver ($runs runs each, alternating)"
TELEPORT_ANONYMOUS_TELEMETRY=1 hyperfine -N --warmup 20 --runs "$runs" --export-markdown "$work/send.md" \
	"$(quote "${curl[@]}")" "$(quote "${report[@]}")" "$(quote "${bare[@]}")"
echo
echo "## exec -- /bin/true (telemetry off) vs /bin/true vs curl"
(unset TELEPORT_ANONYMOUS_TELEMETRY; hyperfine -N --warmup 20 --runs "$runs" --export-markdown "$work/exec.md" \
	"/bin/true" "$(quote "$bin" exec -- /bin/true)" "$(quote "${curl[@]}")")
echo
echo "## peak memory (max RSS over 20 runs, KiB)"
peak() { local max=0 m; for _ in $(seq 20); do m=$(/usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1); [ "$m" -gt "$max" ] && max=$m; done; echo "$max"; }
printf 'report (a real send): %s\n' "$(export TELEPORT_ANONYMOUS_TELEMETRY=1; peak "${report[@]}")"
printf 'curl (the same send): %s\n' "$(peak "${curl[@]}")"
printf 'exec -- /bin/true:    %s\n' "$(unset TELEPORT_ANONYMOUS_TELEMETRY; peak "$bin" exec -- /bin/true)"
echo
echo "## release binary"
printf 'size: %s bytes (%s MiB)\n' "$(stat -c %s "$bin")" "$(awk "BEGIN{printf \"%.2f\", $(stat -c %s "$bin")/1048576}")"
echo
printf 'events received by collect: %s\n' "$(wc -l <"$work/events.jsonl")"
