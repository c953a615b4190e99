#!/usr/bin/env bash
# Whole-process benchmarks of tbot-telemetry against the floors that matter
# (issue 14), each a ratio taken in one run that alternates the commands:
#
#   1. how long tbot waits to start: a Go hello-world child (bench/stampchild,
#      given `start -c FILE`) run directly and through `exec` with telemetry
#      off and on (bench/childdelay);
#   2. `report` vs bench/bareclient, connect-go posting the same bytes and
#      nothing else (the floor for these dependencies), with curl beside
#      them, on loopback HTTP (bench/alternate);
#   3. `report` vs curl over HTTPS to a loopback TLS receiver whose CA is
#      self-signed (bench/tlsreceiver; SSL_CERT_FILE for report, --cacert
#      for curl);
#   4. peak memory of a send vs curl's (GNU time's %M, max of 20 runs) and
#      the release binary's size.
#
# parse-and-derive vs yaml.v3 is a Go benchmark: make bench, or
#   go test -run '^$' -bench VsYAMLNode -count 3 ./event
#
#   make bench-e2e            # or: bash bench/e2e.sh [RUNS]
#
# Needs curl and GNU time (Debian packages of the same names); as root it
# installs those that are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-200}
need=()
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
trap 'kill "${collector:-}" "${tlsreceiver:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
for tool in bareclient stampchild childdelay alternate tlsreceiver; do
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$work/$tool" "./bench/$tool"
done

# A loopback receiver: tbot-telemetry's own collect, lines to a file.
"$bin" collect --listen 127.0.0.1:0 --output "$work/events.jsonl" 2>"$work/collect.log" &
collector=$!
# And one behind TLS.
"$work/tlsreceiver" "$work/ca.pem" >"$work/tls.addr" &
tlsreceiver=$!
for _ in $(seq 50); do
	addr=$(grep -o 'listen:[0-9.:]*' "$work/collect.log" | head -1 | sed 's/^listen://' || true)
	tls=$(cat "$work/tls.addr")
	[ -n "$addr" ] && [ -n "$tls" ] && break
	sleep 0.1
done
[ -n "$addr" ] && [ -n "$tls" ] || { echo "bench-e2e: the receivers did not start" >&2; exit 1; }
endpoint=http://$addr
path=/prehog.v1alpha.TbotReportingService/SubmitTbotEvent

config=testdata/v2/outputs-and-services.yaml
go run ./bench/reqbytes start -c "$config" >"$work/request.bin"
report=("$bin" report --strict --tbot-version 17.4.2 -- start -c "$config")
curl=(curl -sS --fail -o /dev/null -X POST -H "Content-Type: application/proto" -H "Connect-Protocol-Version: 1"
	--data-binary "@$work/request.bin")

echo "# machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -sr), $(go env GOVERSION)"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
# The opt-in is set for the measuring tools, never through an `env`
# wrapper, which would add a process start to tbot-telemetry's side only.
unset DO_NOT_TRACK TELEPORT_ANONYMOUS_TELEMETRY TELEPORT_ANONYMOUS_TELEMETRY_ADDRESS
echo "## 1. child start delay: launch to the child's main"
"$work/childdelay" -runs "$runs" -bin "$bin" -child "$work/stampchild" -config "$config" -endpoint "$endpoint"
echo
echo "## 2. report vs the bare connect-go client, same bytes, loopback HTTP"
TELEPORT_ANONYMOUS_TELEMETRY=1 "$work/alternate" -runs "$runs" \
	bareclient "$work/bareclient" "$work/request.bin" "$endpoint" --- \
	report "${report[@]:0:2}" --endpoint "$endpoint" "${report[@]:2}" --- \
	curl "${curl[@]}" "$endpoint$path"
echo
echo "## 3. report vs curl over HTTPS (loopback TLS receiver, self-signed CA)"
TELEPORT_ANONYMOUS_TELEMETRY=1 SSL_CERT_FILE="$work/ca.pem" "$work/alternate" -runs "$runs" \
	curl "${curl[@]}" --cacert "$work/ca.pem" "$tls$path" --- \
	report "${report[@]:0:2}" --endpoint "$tls" "${report[@]:2}" --- \
	bareclient "$work/bareclient" "$work/request.bin" "$tls"
echo
echo "## 4. peak memory (GNU time's %M, max over 20 runs, KiB) and size"
peak() { local max=0 m; for _ in $(seq 20); do m=$(/usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1); [ "$m" -gt "$max" ] && max=$m; done; echo "$max"; }
printf 'report, HTTP:  %s\n' "$(export TELEPORT_ANONYMOUS_TELEMETRY=1; peak "${report[@]:0:2}" --endpoint "$endpoint" "${report[@]:2}")"
printf 'curl, HTTP:    %s\n' "$(peak "${curl[@]}" "$endpoint$path")"
printf 'report, HTTPS: %s\n' "$(export TELEPORT_ANONYMOUS_TELEMETRY=1 SSL_CERT_FILE="$work/ca.pem"; peak "${report[@]:0:2}" --endpoint "$tls" "${report[@]:2}")"
printf 'curl, HTTPS:   %s\n' "$(peak "${curl[@]}" --cacert "$work/ca.pem" "$tls$path")"
printf 'release binary: %s bytes (%s MiB; target <= 12 MiB)\n' "$(stat -c %s "$bin")" "$(awk "BEGIN{printf \"%.2f\", $(stat -c %s "$bin")/1048576}")"
echo
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '# events received by collect: %s\n' "$(wc -l <"$work/events.jsonl")"
