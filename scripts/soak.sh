#!/usr/bin/env bash
# soak.sh: a long real run, to show throng's memory does not grow with time.
#
# Builds bin/throng and bin/bench-target, starts the target on a free
# loopback port, and runs throng against it at a constant arrival rate for
# SOAK_DURATION (default 30m) at SOAK_RATE requests/s (default 500), with
# --report soak-report.html. Every SOAK_SAMPLE seconds (default 60) it
# appends throng's resident memory (VmRSS from /proc/PID/status) to
# soak-rss.txt, and prints that file at the end: the figures should level
# off after the first minutes, not climb. The report charts the same run
# second by second: its chart "throng memory (RSS, Go heap)" has throng's
# RSS and Go heap in use, read by throng itself once a second (the peak of
# each bucket), and the script prints a digest of that series at the end.
# Linux only (/proc).
#
#   SOAK_DURATION=5m SOAK_RATE=200 bash scripts/soak.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${SOAK_DURATION:-30m}
RATE=${SOAK_RATE:-500}
SAMPLE=${SOAK_SAMPLE:-60}
REPORT=${SOAK_REPORT:-soak-report.html}
RSS_LOG=${SOAK_RSS_LOG:-soak-rss.txt}

log() { printf 'soak: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

[[ -r /proc/self/status ]] || die "needs /proc (Linux) to read throng's RSS"

TMP=$(mktemp -d)
TARGET_PID=
THRONG_PID=
cleanup() {
	# Only the processes this script started, by their ids.
	[[ -n $THRONG_PID ]] && kill "$THRONG_PID" 2>/dev/null || true
	[[ -n $TARGET_PID ]] && kill "$TARGET_PID" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "go build bin/throng bin/bench-target"
go build -o bin/throng ./cmd/throng
go build -o bin/bench-target ./bench/target

bin/bench-target -addr 127.0.0.1:0 -addr-file "$TMP/target.addr" >"$TMP/target.out" 2>&1 &
TARGET_PID=$!
for (( i = 0; i < 100; i++ )); do
	[[ -s $TMP/target.addr ]] && break
	kill -0 "$TARGET_PID" 2>/dev/null || { cat "$TMP/target.out" >&2; die "bench-target exited before listening"; }
	sleep 0.1
done
[[ -s $TMP/target.addr ]] || die "bench-target did not write its address within 10s"
ADDR=$(<"$TMP/target.addr")
[[ $ADDR == 127.0.0.1:* ]] || die "bench-target is on '$ADDR', not on 127.0.0.1"

log "throng: $RATE requests/s for $DURATION against http://$ADDR/, report in $REPORT, RSS every ${SAMPLE}s in $RSS_LOG"
printf '# elapsed_s rss_kb (throng run --rate %s/s -d %s)\n' "$RATE" "$DURATION" >"$RSS_LOG"
bin/throng run --url "http://$ADDR/" --rate "$RATE/s" -d "$DURATION" -u 50 \
	--report "$REPORT" >"$TMP/throng.out" 2>"$TMP/throng.err" &
THRONG_PID=$!

start=$SECONDS
while kill -0 "$THRONG_PID" 2>/dev/null; do
	rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$THRONG_PID/status" 2>/dev/null || true)
	[[ -n $rss ]] && printf '%d %s\n' $(( SECONDS - start )) "$rss" >>"$RSS_LOG"
	# Sleep in one-second steps so the loop ends soon after throng does.
	for (( s = 0; s < SAMPLE && SAMPLE > 0; s++ )); do
		kill -0 "$THRONG_PID" 2>/dev/null || break
		sleep 1
	done
done
code=0
wait "$THRONG_PID" || code=$?
THRONG_PID=

cat "$TMP/throng.out"
log "throng exited $code; its RSS over the run ($RSS_LOG):"
cat "$RSS_LOG"

# The memory chart in the report: where it is, and a digest of its series
# (the "rss" and "heap" columns of the data the report embeds, bytes per
# bucket, null where a bucket has no reading).
memory_digest() {
	grep -o "\"$1\":\[[^]]*\]" "$REPORT" | head -n 1 | sed 's/^[^[]*\[//; s/\]$//' | tr ',' '\n' | awk -v what="$2" '
		$1 != "null" && $1 != "" { v = $1 + 0; if (!n) first = v; last = v; if (v > peak) peak = v; n++ }
		END {
			if (!n) exit 1
			printf "%s: %d points, first %.1f MB, last %.1f MB, peak %.1f MB\n", what, n, first / 1e6, last / 1e6, peak / 1e6
		}'
}
if [[ -s $REPORT ]]; then
	case $REPORT in /*) path=$REPORT ;; *) path=$PWD/$REPORT ;; esac
	log "the report charts the same run second by second: open file://$path, chart \"throng memory (RSS, Go heap)\" (the peak of each bucket); its series:"
	memory_digest rss "  RSS" >&2 || log "  the report has no RSS points"
	memory_digest heap "  Go heap in use" >&2 || log "  the report has no Go heap points"
else
	log "no report in $REPORT: nothing to chart"
fi
exit "$code"
