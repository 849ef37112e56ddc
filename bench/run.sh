#!/usr/bin/env bash
# bench/run.sh: throng beside wrk and k6 on the same workloads, one table.
#
# This is what `make bench` runs. It
#   1. installs wrk and GNU time (apt-get) if they are missing; uses k6 when
#      K6 points at a k6 binary; a tool that is missing is skipped;
#   2. builds bin/throng, bin/bench-target and bin/eventstore-target;
#   3. starts the reference target (bench/target) and the event-store target
#      on free 127.0.0.1 ports, pinned to CPU 1 while the load generators
#      are pinned to CPU 0 (when nproc >= 2), and an InfluxDB 1.8 of its own
#      (scripts/services.sh, in a private state directory);
#   4. runs every workload with every tool that can run it, taking turns
#      (each round runs each workload with each tool once), BENCH_RUNS
#      rounds, under /usr/bin/time (the generator's user+sys CPU, peak RSS):
#        (a) get          one GET per iteration, BENCH_VUS VUs/connections (wrk, k6, throng)
#        (b) check        the same with one check() (k6, throng)
#        (c) es10, es100  examples/eventstore/scenario.js at 10 and 100 VUs (k6, throng)
#        (d) sleep1000, sleep5000  VUs running sleep(1): start-up time, peak RSS, RSS per VU
#        (e) json, influx-null, influx-iso, influx-comp  (a) with -o json,
#            and with -o influxdb three times: to a stand-in that discards
#            the writes (what the output costs the generator alone), to an
#            influxd in the background (SCHED_IDLE, nice
#            19, pinned to the target's CPU) so that it disturbs the generator
#            as little as possible, then influxd at normal priority on any
#            CPU (competing)
#        (f) long2m, long10m  (BENCH_LONG=1 only) a constant arrival rate of
#            BENCH_RATE iterations/s for 2 and 10 minutes, RSS after 1 minute
#            and at the end (polled from /proc every second)
#   5. prints one table, each figure for each tool as the median of the
#      rounds with min-max, and throng's ratio to wrk and to k6; appends it
#      with the command to bench/RESULTS.md, the raw figures as one JSON line
#      to bench/results/latest.json, and keeps the tools' outputs of this
#      invocation in bench/results/last/.
#
# A figure that cannot be measured is reported as n/a: the bench never fails
# on a figure, only when it cannot start at all.
#
# Environment:
#   BENCH_RUNS      rounds; the table shows medians (default 3; 1 with BENCH_QUICK)
#   BENCH_DURATION  length of each run (default 10s; 4s with BENCH_QUICK)
#   BENCH_VUS       VUs of (a), (b), (e) = wrk connections (default 50)
#   BENCH_QUICK=1   a ~1-minute subset: (a), (b), (c) at 10 VUs, (d) at
#                   1,000 VUs, (e) with influxd in the background; one
#                   round of 4s
#   BENCH_LONG=1    also (f): 12 minutes per tool
#   BENCH_RATE      iterations/s of (f) (default 1000)
#   BENCH_LONG_DURATIONS  the runs of (f) (default "2m 10m")
#   BENCH_INFLUXDB=0  skip -o influxdb (no InfluxDB is started)
#   BENCH_CASES     only these workloads, e.g. "get json" ("" with
#                   BENCH_LONG=1: only (f))
#   K6              a k6 binary to compare with (optional)
#
# All traffic stays on 127.0.0.1. Everything started here is stopped on
# exit by its PID. See bench/README.md for how to read the figures.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

QUICK=${BENCH_QUICK:-0}
LONG=${BENCH_LONG:-0}
if [[ $QUICK == 1 ]]; then
	RUNS=${BENCH_RUNS:-1}
	DURATION=${BENCH_DURATION:-4s}
else
	RUNS=${BENCH_RUNS:-3}
	DURATION=${BENCH_DURATION:-10s}
fi
VUS=${BENCH_VUS:-50}
RATE=${BENCH_RATE:-1000}
LONG_DURATIONS=${BENCH_LONG_DURATIONS:-2m 10m}
WANT_INFLUX=${BENCH_INFLUXDB:-1}
RESULTS=bench/results
RAW=$RESULTS/last
REPORT=bench/RESULTS.md

log() { printf '==> %s\n' "$*" >&2; }
warn() { printf 'bench: %s\n' "$*" >&2; }
die() { warn "$*"; exit 1; }

[[ $VUS =~ ^[1-9][0-9]*$ ]] || die "BENCH_VUS must be a positive integer, got '$VUS'"
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer, got '$RUNS'"
[[ $RATE =~ ^[1-9][0-9]*$ ]] || die "BENCH_RATE must be a positive integer, got '$RATE'"
(( RUNS <= 50 )) || die "BENCH_RUNS is capped at 50, got $RUNS"

# duration_seconds turns 10s, 1m, 1m30s, 500ms, 2h into whole seconds
# (rounded up, at least 1); it fails on anything else.
duration_seconds() {
	awk -v d="$1" 'BEGIN {
		s = d; total = 0
		if (s !~ /^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/) exit 1
		while (match(s, /^[0-9]+(\.[0-9]+)?(ms|s|m|h)/)) {
			tok = substr(s, 1, RLENGTH); s = substr(s, RLENGTH + 1)
			match(tok, /[a-z]+$/); unit = substr(tok, RSTART); n = substr(tok, 1, RSTART - 1) + 0
			if (unit == "ms") total += n / 1000
			else if (unit == "s") total += n
			else if (unit == "m") total += n * 60
			else total += n * 3600
		}
		t = int(total); if (t < total) t++; if (t < 1) t = 1
		print t
	}'
}
DURATION_S=$(duration_seconds "$DURATION") || die "BENCH_DURATION '$DURATION' is not a duration like 10s, 1m or 1m30s"
(( DURATION_S <= 3600 )) || die "BENCH_DURATION is capped at 1h, got $DURATION"
for d in $LONG_DURATIONS; do
	s=$(duration_seconds "$d") || die "BENCH_LONG_DURATIONS: '$d' is not a duration like 2m"
	(( s <= 3600 )) || die "BENCH_LONG_DURATIONS: '$d' is over 1h"
done
# Hard limit per generator run beyond its own length: starting 5,000 VUs,
# writing the queued points of an output, summarising. Every run is bounded
# by its duration and, failing that, by this.
SLACK=180

# --- tools ------------------------------------------------------------------

APT_UPDATED=0
apt_install() { # apt_install PKG: best effort, returns non-zero on failure
	if ! command -v apt-get >/dev/null 2>&1; then
		warn "apt-get is not available, cannot install $1"
		return 1
	fi
	local sudo=()
	if (( EUID != 0 )); then
		if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
			sudo=(sudo -n)
		else
			warn "not root and no password-less sudo, cannot install $1"
			return 1
		fi
	fi
	if (( APT_UPDATED == 0 )); then
		log "apt-get update"
		"${sudo[@]}" apt-get update -qq >/dev/null 2>&1 || warn "apt-get update failed (trying the install anyway)"
		APT_UPDATED=1
	fi
	log "apt-get install -y $1"
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "$1" >/dev/null 2>&1
}

HAVE_WRK=1
if ! command -v wrk >/dev/null 2>&1; then
	if ! apt_install wrk || ! command -v wrk >/dev/null 2>&1; then
		warn "wrk is missing and could not be installed: skipping wrk"
		HAVE_WRK=0
	fi
fi

GNU_TIME=/usr/bin/time
if ! "$GNU_TIME" -f '%U' -o /dev/null true >/dev/null 2>&1; then
	apt_install time || true
	"$GNU_TIME" -f '%U' -o /dev/null true >/dev/null 2>&1 || die "GNU time (/usr/bin/time) is missing and could not be installed"
fi

HAVE_K6=0
K6_VERSION=
if [[ -n ${K6:-} ]]; then
	if [[ -x $K6 ]] && K6_VERSION=$("$K6" version 2>/dev/null | head -n 1); then
		HAVE_K6=1
	else
		warn "K6=$K6 is not a k6 binary that runs: skipping k6"
	fi
fi

# --- build --------------------------------------------------------------------

mkdir -p bin "$RAW"
rm -f "$RAW"/*

log "go build bin/bench-target bin/eventstore-target"
go build -o bin/bench-target ./bench/target
go build -o bin/eventstore-target ./examples/eventstore/cmd/eventstore-target

HAVE_THRONG=1
log "go build -o bin/throng ./cmd/throng"
if ! go build -o bin/throng ./cmd/throng 2>"$RAW/throng-build.txt"; then
	sed 's/^/    /' "$RAW/throng-build.txt" >&2
	warn "throng: build failed: skipping throng"
	HAVE_THRONG=0
fi

# --- servers ------------------------------------------------------------------

NPROC=$(nproc 2>/dev/null || echo 1)
GEN_PIN=()
TARGET_PIN=()
PINNED=false
if (( NPROC >= 2 )) && command -v taskset >/dev/null 2>&1; then
	GEN_PIN=(taskset -c 0)
	TARGET_PIN=(taskset -c 1)
	PINNED=true
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/throng-bench.XXXXXX")
SERVER_PIDS=()
INFLUX_STARTED=0

stop_pid() { # stop_pid PID NAME: TERM, then KILL after 5s
	local pid=$1 i
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
	kill -TERM "$pid" 2>/dev/null || true
	for (( i = 0; i < 50; i++ )); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		warn "$2 ($pid) did not stop on SIGTERM, killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}
cleanup() {
	local pid f
	# start_server runs in a command substitution, a subshell: it leaves
	# each server's PID in a file rather than in SERVER_PIDS.
	for f in "$TMP"/*.pid; do
		[[ -s $f ]] && SERVER_PIDS+=("$(<"$f")")
	done
	for pid in "${SERVER_PIDS[@]}"; do
		stop_pid "$pid" server
	done
	if (( INFLUX_STARTED )); then
		THRONG_SERVICES=influxdb THRONG_SERVICES_DIR=$TMP/services bash scripts/services.sh stop 2>/dev/null || true
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_server NAME BINARY: starts it pinned on 127.0.0.1:0 and prints the
# address it bound.
start_server() {
	local name=$1 bin=$2 pid i
	"${TARGET_PIN[@]}" "$bin" -addr 127.0.0.1:0 -addr-file "$TMP/$name.addr" >"$TMP/$name.out" 2>&1 &
	pid=$!
	echo "$pid" >"$TMP/$name.pid" # for cleanup: this runs in a subshell
	for (( i = 0; i < 100; i++ )); do
		[[ -s $TMP/$name.addr ]] && break
		kill -0 "$pid" 2>/dev/null || { cat "$TMP/$name.out" >&2; die "$name exited before listening"; }
		sleep 0.1
	done
	[[ -s $TMP/$name.addr ]] || die "$name did not write its address within 10s"
	local addr
	addr=$(<"$TMP/$name.addr")
	[[ $addr == 127.0.0.1:* ]] || die "$name is on '$addr', not on 127.0.0.1"
	printf '%s' "$addr"
}
URL="http://$(start_server bench-target bin/bench-target)/"
ES_URL="http://$(start_server eventstore-target bin/eventstore-target)"
# A stand-in InfluxDB that discards the writes (bench/target answers the
# write and query endpoints too), to measure the output's own cost.
SINK_URL="http://$(start_server influx-sink bin/bench-target)"
log "targets: $URL and $ES_URL$([[ $PINNED == true ]] && echo ' on CPU 1, generators on CPU 0')"

# InfluxDB: our own instance (scripts/services.sh builds influxd the first
# time), in a private state directory so that nobody else's is touched.
INFLUX_URL=
INFLUX_PID=
if [[ $WANT_INFLUX != 0 ]] && (( HAVE_THRONG || HAVE_K6 )); then
	INFLUX_STARTED=1
	if THRONG_SERVICES=influxdb THRONG_SERVICES_DIR=$TMP/services bash scripts/services.sh start 2>"$TMP/services.log"; then
		INFLUX_URL=$(<"$TMP/services/influxdb/url")
		INFLUX_PID=$(<"$TMP/services/influxdb/pid")
		log "influxdb $INFLUX_URL (pid $INFLUX_PID)"
	else
		sed 's/^/    /' "$TMP/services.log" >&2
		warn "InfluxDB could not be started: skipping -o influxdb"
	fi
fi

# influx_mode iso|comp: iso gives every thread of influxd the idle policy
# (SCHED_IDLE: it runs only when nothing else wants the CPU, and yields at
# once when something does) and nice 19, and pins it to the target's CPU,
# so that the generator's CPU is its own and influxd gets what the target
# leaves; comp puts it back to the normal policy and nice 0 on every CPU,
# to compete as it would on a user's 2-core machine. Fails if it cannot.
INFLUX_MODE=
influx_mode() {
	[[ -n $INFLUX_PID && $INFLUX_MODE != "$1" ]] || return 0
	local nice policy cpus t ok=0
	if [[ $1 == iso ]]; then nice=19; policy=--idle; cpus=1; else nice=0; policy=--other; cpus=0-$(( NPROC - 1 )); fi
	for t in /proc/"$INFLUX_PID"/task/*; do
		renice -n "$nice" -p "${t##*/}" >/dev/null 2>&1 || ok=1
		if command -v chrt >/dev/null 2>&1; then
			chrt "$policy" -p 0 "${t##*/}" >/dev/null 2>&1 || ok=1
		fi
	done
	if [[ $PINNED == true ]]; then
		taskset -a -p -c "$cpus" "$INFLUX_PID" >/dev/null 2>&1 || ok=1
	fi
	(( ok == 0 )) || { warn "could not set influxd to nice $nice on CPU $cpus"; return 1; }
	INFLUX_MODE=$1
}
# influx_cpu: influxd's user+sys CPU time so far, in clock ticks.
influx_cpu() { awk '{ print $14 + $15 }' "/proc/$INFLUX_PID/stat" 2>/dev/null || true; }
CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)

# influx_query Q [DB]: one InfluxQL statement, the JSON answer on stdout.
influx_query() {
	curl -fsS --max-time 30 -XPOST "$INFLUX_URL/query" ${2:+--data-urlencode "db=$2"} --data-urlencode "q=$1"
}
if [[ -n $INFLUX_PID ]]; then
	influx_mode iso || warn "influxd keeps its priority: the influx-iso figures are not isolated"
fi

# --- measuring ------------------------------------------------------------------

# measure OUT USAGE LIMIT [RSSLOG] -- CMD...: runs CMD pinned to the
# generator's CPU, bounded by LIMIT seconds, stdout and stderr to OUT, and
# writes "user sys maxrss_kb wall_s" to USAGE. With RSSLOG, the tool's
# VmRSS is polled every second into it as "seconds rss_kb". Returns CMD's
# status.
measure() {
	local out=$1 usage=$2 limit=$3 rsslog=${4:-}
	shift 4
	[[ ${1:-} == -- ]] && shift
	local rc=0 pid
	"${GEN_PIN[@]}" "$GNU_TIME" -f '%U %S %M %e' -o "$usage" timeout -k 5s "${limit}s" "$@" >"$out" 2>&1 &
	pid=$!
	if [[ -n $rsslog ]]; then
		: >"$rsslog"
		local leaf child i d t0=$SECONDS rss
		for (( i = 0; i < limit + 10; i++ )); do
			kill -0 "$pid" 2>/dev/null || break
			# time -> timeout -> the tool: found again each time, as
			# the chain may not be complete yet.
			leaf=$pid
			for (( d = 0; d < 2; d++ )); do
				child=$(ps -o pid= --ppid "$leaf" 2>/dev/null | head -n 1 | tr -d ' ')
				[[ -n $child ]] || break
				leaf=$child
			done
			if (( d == 2 )); then
				rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$leaf/status" 2>/dev/null || true)
				[[ -n $rss ]] && echo "$(( SECONDS - t0 )) $rss" >>"$rsslog"
			fi
			sleep 1
		done
	fi
	wait "$pid" || rc=$?
	# GNU time prefixes "Command exited with non-zero status N" on failure.
	local last
	last=$(tail -n 1 "$usage" 2>/dev/null || true)
	printf '%s\n' "$last" >"$usage"
	if (( rc == 124 || rc == 137 )); then
		warn "$out: hit the ${limit}s limit and was stopped"
	fi
	return "$rc"
}

strip_ansi() { sed -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\r//g' "$1"; }

# parse_wrk FILE: prints "rps requests" or fails.
parse_wrk() {
	strip_ansi "$1" | awk '
		/^[[:space:]]*Requests\/sec:/ { rps = $2 }
		/[0-9]+ requests in / { for (i = 1; i < NF; i++) if ($(i + 1) == "requests") { n = $i; break } }
		END { if (rps == "" || n == "") exit 1; print rps, n }'
}

# parse_counter FILE METRIC: finds a Counter's line of the end-of-test
# summary (k6's and throng's are alike),
#   "     http_reqs......................: 123456 12345.67/s",
# and prints "count rate", or fails.
parse_counter() {
	strip_ansi "$1" | awk -v m="$2" '
		{
			line = $0
			if (line !~ ("(^|[^A-Za-z0-9_])" m "[.]*:")) next
			sub("^.*" m "[.]*:", "", line)
			n = ""; r = ""
			k = split(line, f, /[[:space:]]+/)
			for (i = 1; i <= k; i++) {
				if (f[i] ~ /^[0-9]+(\.[0-9]+)?\/s$/) { r = f[i]; sub(/\/s$/, "", r); break }
				if (n == "" && f[i] ~ /^[0-9]+$/) n = f[i]
			}
			if (r != "" && n != "") { print n, r; found = 1; exit }
		}
		END { if (!found) exit 1 }'
}

# parse_trend_max FILE METRIC: the max= of a Trend's summary line (a plain
# number: the bench's own Trends are not times).
parse_trend_max() {
	strip_ansi "$1" | awk -v m="$2" '
		$0 ~ ("(^|[^A-Za-z0-9_])" m "[.]*:") {
			for (i = 1; i <= NF; i++) if ($i ~ /^max=[0-9.]+$/) { v = $i; sub(/^max=/, "", v); print v; found = 1; exit }
		}
		END { if (!found) exit 1 }'
}

calc() { awk "BEGIN { $1 }"; } # calc 'printf "%.2f", 1/3'

# Figures: VAL[case|tool|figure] holds the values of every round in order,
# RUNV[case|tool|figure|n] the value of round n.
declare -A VAL RUNV
record() { # record CASE TOOL FIGURE N VALUE
	[[ -n $5 ]] || return 0
	VAL[$1|$2|$3]+="$5 "
	RUNV[$1|$2|$3|$4]=$5
}

# tool_cmd TOOL: the command line that starts a run of TOOL.
tool_cmd() {
	case $1 in
	throng) printf '%s\n' bin/throng run -q --no-color ;;
	k6) printf '%s\n' "$K6" run -q --no-color --no-usage-report ;;
	esac
}

# run_one CASE TOOL N: one run, its figures recorded.
run_one() {
	local cs=$1 tool=$2 n=$3
	local out=$RAW/$cs-$tool-$n.txt usage=$TMP/$cs-$tool-$n.usage rsslog= rc=0
	local limit=$(( DURATION_S + SLACK )) dur=$DURATION dur_s=$DURATION_S db= vus=$VUS
	local -a cmd args
	if [[ $tool == wrk ]]; then
		cmd=(wrk -t1 -c"$VUS" -d"$DURATION" "$URL")
	else
		mapfile -t cmd < <(tool_cmd "$tool")
		case $cs in
		get) args=(-u "$VUS" -d "$DURATION" -e "TARGET=$URL" bench/get.js) ;;
		check) args=(-u "$VUS" -d "$DURATION" -e "TARGET=$URL" bench/get-check.js) ;;
		es10 | es100)
			vus=${cs#es}
			args=(-u "$vus" -d "$DURATION" -e "ES_URL=$ES_URL" examples/eventstore/scenario.js) ;;
		sleep1000 | sleep5000)
			vus=${cs#sleep}
			args=(-u "$vus" -d "$DURATION" -e "BENCH_T0_MS=$(date +%s%3N)" bench/sleep.js) ;;
		json) args=(-u "$VUS" -d "$DURATION" -o "json=$TMP/samples.json" -e "TARGET=$URL" bench/get.js) ;;
		influx-null) args=(-u "$VUS" -d "$DURATION" -o "influxdb=$SINK_URL/bench" -e "TARGET=$URL" bench/get.js) ;;
		influx-iso | influx-comp)
			influx_mode "${cs#influx-}" || { warn "$cs: skipped (influxd's priority could not be set)"; return 0; }
			db=bench_${tool}_${cs#influx-}_$n
			influx_query "DROP DATABASE \"$db\"" >/dev/null 2>&1 || true
			args=(-u "$VUS" -d "$DURATION" -o "influxdb=$INFLUX_URL/$db" -e "TARGET=$URL" bench/get.js) ;;
		long*)
			dur=${cs#long}
			dur_s=$(duration_seconds "$dur")
			limit=$(( dur_s + SLACK ))
			rsslog=$RAW/$cs-$tool-$n.rss
			args=(-e "TARGET=$URL" -e "BENCH_RATE=$RATE" -e "BENCH_RATE_DURATION=$dur" bench/rate.js) ;;
		esac
		cmd+=("${args[@]}")
	fi
	printf '%s\n' "${cmd[*]}" >"$out.cmd"
	local icpu0=
	[[ -n $db ]] && icpu0=$(influx_cpu)
	K6_NO_USAGE_REPORT=true NO_COLOR=1 measure "$out" "$usage" "$limit" "$rsslog" -- "${cmd[@]}" || rc=$?
	local icpu1=
	[[ -n $db ]] && icpu1=$(influx_cpu)
	rm -f "$TMP/samples.json"
	(( rc == 0 )) || warn "$cs/$tool run $n exited with status $rc (output in $out)"

	local user sys rss wall cpu=
	read -r user sys rss wall <<<"$(cat "$usage" 2>/dev/null || echo '- - - -')"
	[[ $user =~ ^[0-9.]+$ && $sys =~ ^[0-9.]+$ ]] || { user=; sys=; }
	[[ $rss =~ ^[0-9]+$ ]] || rss=
	[[ $wall =~ ^[0-9.]+$ ]] || wall=
	local rss_mb=
	[[ -n $rss ]] && rss_mb=$(calc "printf \"%.1f\", $rss / 1024")

	local reqs= rps= its= itrate= parsed
	if [[ $tool == wrk ]]; then
		if parsed=$(parse_wrk "$out"); then read -r rps reqs <<<"$parsed"; else warn "wrk: no Requests/sec in $out"; fi
		grep -E 'Non-2xx|Socket errors' "$out" | sed 's/^/    wrk: /' >&2 || true
	else
		if parsed=$(parse_counter "$out" http_reqs); then read -r reqs rps <<<"$parsed"; fi
		if parsed=$(parse_counter "$out" iterations); then read -r its itrate <<<"$parsed"; fi
		if [[ -z $rps && $cs != sleep* ]]; then
			warn "$tool: no http_reqs line in the summary of $out"
			sed 's/^/    | /' "$out" | tail -n 15 >&2
		fi
	fi
	[[ -n $user && -n $reqs ]] && (( reqs > 0 )) && cpu=$(calc "printf \"%.2f\", ($user + $sys) * 1e6 / $reqs")

	local msg="$cs/$tool run $n/$RUNS:"
	[[ $cs == long* ]] && msg="$cs/$tool:"
	case $cs in
	sleep*)
		local up= perv=
		if up=$(parse_trend_max "$out" vu_started_ms); then up=$(calc "printf \"%.2f\", $up / 1000"); else up=; warn "$tool: no vu_started_ms in $out"; fi
		[[ -n $rss ]] && perv=$(calc "printf \"%.1f\", $rss / $vus")
		record "$cs" "$tool" startup "$n" "$up"
		record "$cs" "$tool" rss "$n" "$rss_mb"
		record "$cs" "$tool" pervu "$n" "$perv"
		record "$cs" "$tool" rsskb "$n" "$rss"
		msg+=" all $vus VUs running after ${up:-?}s, peak RSS ${rss_mb:-?} MB"
		;;
	long*)
		local r1= rend= grow=
		if [[ -s $rsslog ]]; then
			r1=$(awk '$1 >= 60 { printf "%.1f", $2 / 1024; exit }' "$rsslog")
			rend=$(awk 'END { printf "%.1f", $2 / 1024 }' "$rsslog")
			[[ -n $r1 && -n $rend ]] && grow=$(calc "printf \"%.1f\", $rend - $r1")
		fi
		record "$cs" "$tool" its "$n" "$itrate"
		record "$cs" "$tool" cpu "$n" "$cpu"
		record "$cs" "$tool" rss1m "$n" "$r1"
		record "$cs" "$tool" rssend "$n" "$rend"
		record "$cs" "$tool" growth "$n" "$grow"
		record "$cs" "$tool" rss "$n" "$rss_mb"
		msg+=" ${itrate:-?} it/s, RSS ${r1:-?} MB at 1 min, ${rend:-?} MB at the end, peak ${rss_mb:-?} MB"
		;;
	es*)
		record "$cs" "$tool" its "$n" "$itrate"
		record "$cs" "$tool" cpu "$n" "$cpu"
		record "$cs" "$tool" rss "$n" "$rss_mb"
		msg+=" ${itrate:-?} it/s, ${cpu:-?} µs/request, peak RSS ${rss_mb:-?} MB"
		;;
	*)
		record "$cs" "$tool" rps "$n" "$rps"
		record "$cs" "$tool" cpu "$n" "$cpu"
		record "$cs" "$tool" rss "$n" "$rss_mb"
		msg+=" ${rps:-?} req/s, ${cpu:-?} µs/request, peak RSS ${rss_mb:-?} MB"
		;;
	esac
	if [[ -n $db ]]; then
		# How many of the requests reached InfluxDB (one http_reqs point
		# each), and how long the tool ran on after the test to write them.
		local kept= count tail= icpu=
		count=$(influx_query 'SELECT count("value") FROM "http_reqs"' "$db" 2>/dev/null |
			sed -n 's/.*"values":\[\["[^"]*",\([0-9]*\)\]\].*/\1/p' || true)
		[[ -n $count && -n $reqs ]] && (( reqs > 0 )) && kept=$(calc "printf \"%.1f\", 100 * $count / $reqs")
		[[ -n $wall ]] && tail=$(calc "printf \"%.1f\", $wall - $dur_s")
		# influxd's CPU while the tool ran, per request the tool made.
		[[ -n $icpu0 && -n $icpu1 && -n $reqs ]] && (( reqs > 0 )) &&
			icpu=$(calc "printf \"%.1f\", ($icpu1 - $icpu0) / $CLK_TCK * 1e6 / $reqs")
		record "$cs" "$tool" kept "$n" "$kept"
		record "$cs" "$tool" tail "$n" "$tail"
		record "$cs" "$tool" icpu "$n" "$icpu"
		msg+=", ${count:-?} of ${reqs:-?} http_reqs points in InfluxDB, ran ${tail:-?}s past the test, influxd ${icpu:-?} µs CPU/request"
		influx_query "DROP DATABASE \"$db\"" >/dev/null 2>&1 || true
		influx_mode iso || true
	fi
	log "$msg"
	return 0
}

# --- the plan ---------------------------------------------------------------------

CASES=(get check es10 es100 sleep1000 sleep5000 json influx-null)
[[ $QUICK == 1 ]] && CASES=(get check es10 sleep1000 json influx-null)
if [[ -n $INFLUX_URL ]]; then
	CASES+=(influx-iso)
	[[ $QUICK == 1 ]] || CASES+=(influx-comp)
fi
if [[ -n ${BENCH_CASES+set} ]]; then
	# Only the workloads named (those that need InfluxDB only with it).
	wanted=()
	for cs in $BENCH_CASES; do
		case $cs in
		get | check | es10 | es100 | sleep1000 | sleep5000 | json | influx-null) wanted+=("$cs") ;;
		influx-iso | influx-comp) [[ -n $INFLUX_URL ]] && wanted+=("$cs") ;;
		*) die "BENCH_CASES: unknown workload '$cs' (get check es10 es100 sleep1000 sleep5000 json influx-null influx-iso influx-comp)" ;;
		esac
	done
	CASES=("${wanted[@]}")
fi
LONG_CASES=()
if [[ $LONG == 1 ]]; then
	for d in $LONG_DURATIONS; do LONG_CASES+=("long$d"); done
fi

tools_for() { # tools_for CASE: the tools that run it, in turn
	local t=()
	[[ $1 == get ]] && (( HAVE_WRK )) && t+=(wrk)
	(( HAVE_K6 )) && t+=(k6)
	(( HAVE_THRONG )) && t+=(throng)
	printf '%s\n' "${t[@]}"
}

total=0
for cs in "${CASES[@]}"; do total=$(( total + RUNS * $(tools_for "$cs" | wc -l) )); done
for cs in "${LONG_CASES[@]}"; do total=$(( total + $(tools_for "$cs" | wc -l) )); done
(( total > 0 )) || die "no tool to measure"
log "$total runs of $DURATION ($RUNS round(s)), $VUS VUs, nproc $NPROC; (f), if asked, takes 12 minutes per tool"

started=$SECONDS
# Rounds: every workload with every tool once per round, so that a slow
# spell of the shared machine hits all of them rather than one.
for (( n = 1; n <= RUNS; n++ )); do
	for cs in "${CASES[@]}"; do
		while read -r tool; do
			[[ -n $tool ]] && run_one "$cs" "$tool" "$n"
		done < <(tools_for "$cs")
	done
done
for cs in "${LONG_CASES[@]}"; do
	while read -r tool; do
		[[ -n $tool ]] && run_one "$cs" "$tool" 1
	done < <(tools_for "$cs")
done
ELAPSED=$(( SECONDS - started ))

# --- derived figures, paired by round -------------------------------------------------

for tool in k6 throng; do
	for (( n = 1; n <= RUNS; n++ )); do
		base_rps=${RUNV[get|$tool|rps|$n]:-}
		base_cpu=${RUNV[get|$tool|cpu|$n]:-}
		for out in json influx-null influx-iso influx-comp; do
			r=${RUNV[$out|$tool|rps|$n]:-}
			c=${RUNV[$out|$tool|cpu|$n]:-}
			[[ -n $r && -n $base_rps ]] && record "$out" "$tool" lost "$n" "$(calc "printf \"%.1f\", 100 * (1 - $r / $base_rps)")"
			if [[ -n $c && -n $base_cpu ]]; then
				record "$out" "$tool" added "$n" "$(calc "printf \"%.2f\", $c - $base_cpu")"
				record "$out" "$tool" addedpct "$n" "$(calc "printf \"%.1f\", 100 * ($c - $base_cpu) / $base_cpu")"
			fi
		done
		a=${RUNV[sleep1000|$tool|rsskb|$n]:-}
		b=${RUNV[sleep5000|$tool|rsskb|$n]:-}
		[[ -n $a && -n $b ]] && record sleep "$tool" marginal "$n" "$(calc "printf \"%.1f\", ($b - $a) / 4000")"
	done
done

# --- report ------------------------------------------------------------------------

# stats FMT V...: "median (min–max)" in FMT, just the value for one run,
# "n/a" for none.
stats() {
	local fmt=$1
	shift
	(( $# > 0 )) || { printf 'n/a'; return; }
	printf '%s\n' "$@" | sort -g | awk -v fmt="$fmt" '{ v[NR] = $1 } END {
		if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2
		s = sprintf(fmt, m)
		if (NR > 1) s = s " (" sprintf(fmt, v[1]) "–" sprintf(fmt, v[NR]) ")"
		print s }'
}
med() { # med V...: the median, unformatted; empty for none
	(( $# > 0 )) || return 0
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ratio_cell() { # ratio_cell CASE FIGURE TOOL: throng's median / TOOL's median
	local a b
	# shellcheck disable=SC2086 # the value lists are meant to split
	a=$(med ${VAL[$1|throng|$2]:-})
	# shellcheck disable=SC2086
	b=$(med ${VAL[$1|$3|$2]:-})
	if [[ -n $a && -n $b ]]; then
		calc "if ($b != 0) printf \"%.2fx\", $a / $b; else printf \"n/a\""
	else
		printf 'n/a'
	fi
}

# ROWS: case|figure|printf format|label|ratio (1: show throng's ratios)
ROWS=(
	"get|rps|%.0f|(a) GET, $VUS VUs: requests/s|1"
	"get|cpu|%.1f|(a) CPU µs/request|1"
	"get|rss|%.1f|(a) peak RSS MB|1"
	"check|rps|%.0f|(b) GET + check(): requests/s|1"
	"check|cpu|%.1f|(b) CPU µs/request|1"
	"check|rss|%.1f|(b) peak RSS MB|1"
	"es10|its|%.0f|(c) event store, 10 VUs: iterations/s|1"
	"es10|cpu|%.1f|(c) 10 VUs: CPU µs/request|1"
	"es10|rss|%.1f|(c) 10 VUs: peak RSS MB|1"
	"es100|its|%.0f|(c) event store, 100 VUs: iterations/s|1"
	"es100|cpu|%.1f|(c) 100 VUs: CPU µs/request|1"
	"es100|rss|%.1f|(c) 100 VUs: peak RSS MB|1"
	"sleep1000|startup|%.2f|(d) sleep(1), 1,000 VUs: start-up s|1"
	"sleep1000|rss|%.1f|(d) 1,000 VUs: peak RSS MB|1"
	"sleep1000|pervu|%.1f|(d) 1,000 VUs: peak RSS KB per VU|1"
	"sleep5000|startup|%.2f|(d) sleep(1), 5,000 VUs: start-up s|1"
	"sleep5000|rss|%.1f|(d) 5,000 VUs: peak RSS MB|1"
	"sleep5000|pervu|%.1f|(d) 5,000 VUs: peak RSS KB per VU|1"
	"sleep|marginal|%.1f|(d) KB per added VU (1,000 → 5,000)|1"
	"json|rps|%.0f|(e) (a) with -o json: requests/s|1"
	"json|cpu|%.1f|(e) -o json: CPU µs/request|1"
	"json|rss|%.1f|(e) -o json: peak RSS MB|1"
	"json|lost|%.1f|(e) -o json: % of requests/s lost|0"
	"json|added|%.2f|(e) -o json: CPU µs/request added|0"
	"json|addedpct|%.1f|(e) -o json: % CPU/request added|0"
	"influx-null|rps|%.0f|(e) (a) with -o influxdb to a stand-in that discards the writes: requests/s|1"
	"influx-null|cpu|%.1f|(e) -o influxdb (discarded): CPU µs/request|1"
	"influx-null|rss|%.1f|(e) -o influxdb (discarded): peak RSS MB|1"
	"influx-null|lost|%.1f|(e) -o influxdb (discarded): % of requests/s lost|0"
	"influx-null|added|%.2f|(e) -o influxdb (discarded): generator CPU µs/request added|0"
	"influx-null|addedpct|%.1f|(e) -o influxdb (discarded): % generator CPU/request added|0"
	"influx-iso|rps|%.0f|(e) (a) with -o influxdb, influxd in the background (SCHED_IDLE, on the target's CPU): requests/s|1"
	"influx-iso|cpu|%.1f|(e) -o influxdb (background): CPU µs/request|1"
	"influx-iso|rss|%.1f|(e) -o influxdb (background): peak RSS MB|1"
	"influx-iso|lost|%.1f|(e) -o influxdb (background): % of requests/s lost|0"
	"influx-iso|added|%.2f|(e) -o influxdb (background): generator CPU µs/request added|0"
	"influx-iso|addedpct|%.1f|(e) -o influxdb (background): % generator CPU/request added|0"
	"influx-iso|kept|%.1f|(e) -o influxdb (background): % of http_reqs points in InfluxDB|0"
	"influx-iso|tail|%.1f|(e) -o influxdb (background): s run past the test to write|0"
	"influx-iso|icpu|%.1f|(e) -o influxdb (background): influxd CPU µs per request written|0"
	"influx-comp|rps|%.0f|(e) (a) with -o influxdb, influxd competing (nice 0, any CPU): requests/s|1"
	"influx-comp|cpu|%.1f|(e) -o influxdb (competing): CPU µs/request|1"
	"influx-comp|rss|%.1f|(e) -o influxdb (competing): peak RSS MB|1"
	"influx-comp|lost|%.1f|(e) -o influxdb (competing): % of requests/s lost|0"
	"influx-comp|added|%.2f|(e) -o influxdb (competing): generator CPU µs/request added|0"
	"influx-comp|addedpct|%.1f|(e) -o influxdb (competing): % generator CPU/request added|0"
	"influx-comp|kept|%.1f|(e) -o influxdb (competing): % of http_reqs points in InfluxDB|0"
	"influx-comp|tail|%.1f|(e) -o influxdb (competing): s run past the test to write|0"
	"influx-comp|icpu|%.1f|(e) -o influxdb (competing): influxd CPU µs per request written|0"
)
for cs in "${LONG_CASES[@]}"; do
	d=${cs#long}
	ROWS+=(
		"$cs|its|%.0f|(f) $RATE it/s for $d: iterations/s|1"
		"$cs|cpu|%.1f|(f) $d: CPU µs/request|1"
		"$cs|rss1m|%.1f|(f) $d: RSS MB after 1 min|1"
		"$cs|rssend|%.1f|(f) $d: RSS MB at the end|1"
		"$cs|growth|%.1f|(f) $d: RSS growth MB (end − 1 min)|0"
	)
done

# row CELL...: one table row, the cells padded to the widths of the
# header (in characters: printf pads bytes, and µ and – take two or three).
WIDTHS=(88 22 22 22 10 10)
row() {
	local LC_ALL=C.UTF-8 line="|" i=0 cell
	for cell in "$@"; do
		line+=" $cell"
		while (( ${#cell} < WIDTHS[i] )); do cell+=" "; line+=" "; done
		line+=" |"
		i=$(( i + 1 ))
	done
	printf '%s\n' "$line"
}

TABLE=$TMP/table.md
{
	row "figure" "wrk" "k6" "throng" "throng/wrk" "throng/k6"
	printf '|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..90})" "$(printf -- '-%.0s' {1..24})" "$(printf -- '-%.0s' {1..24})" \
		"$(printf -- '-%.0s' {1..24})" "$(printf -- '-%.0s' {1..12})" "$(printf -- '-%.0s' {1..12})"
	for row in "${ROWS[@]}"; do
		IFS='|' read -r cs fig fmt label withratio <<<"$row"
		[[ -n ${VAL[$cs|throng|$fig]:-}${VAL[$cs|k6|$fig]:-}${VAL[$cs|wrk|$fig]:-} ]] || continue
		cells=()
		for tool in wrk k6 throng; do
			# shellcheck disable=SC2086
			cells+=("$(stats "$fmt" ${VAL[$cs|$tool|$fig]:-})")
		done
		rw=-
		rk=-
		if [[ $withratio == 1 ]]; then
			rw=$(ratio_cell "$cs" "$fig" wrk)
			rk=$(ratio_cell "$cs" "$fig" k6)
		fi
		row "$label" "${cells[0]}" "${cells[1]}" "${cells[2]}" "$rw" "$rk"
	done
} >"$TABLE"

COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo "")
DIRTY=false
[[ -n $(git status --porcelain 2>/dev/null | head -n 1) ]] && DIRTY=true
# (Assignments from conditionals are spelled out: under set -e a failed
# $(...) in an assignment ends the script.)
WRK_VERSION=none
if (( HAVE_WRK )); then WRK_VERSION=$(wrk -v 2>&1 | awk 'NR == 1 { print $2 }' || true); fi
CPU_MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
SETTINGS="BENCH_RUNS=$RUNS BENCH_DURATION=$DURATION BENCH_VUS=$VUS"
if [[ $QUICK == 1 ]]; then SETTINGS+=" BENCH_QUICK=1"; fi
if [[ $LONG == 1 ]]; then SETTINGS+=" BENCH_LONG=1 BENCH_RATE=$RATE"; fi
if [[ -n ${BENCH_CASES+set} ]]; then SETTINGS+=" BENCH_CASES=\"${BENCH_CASES}\""; fi
MACHINE="nproc $NPROC (${CPU_MODEL:-?}), not pinned"
if [[ $PINNED == true ]]; then MACHINE="nproc $NPROC (${CPU_MODEL:-?}), generator pinned to CPU 0, targets to CPU 1"; fi
DIRTY_NOTE=
if [[ $DIRTY == true ]]; then DIRTY_NOTE=" with uncommitted changes"; fi
THRONG_NOTE="not built"
if (( HAVE_THRONG )); then THRONG_NOTE="$COMMIT$DIRTY_NOTE"; fi
TOOLS_LINE="wrk ${WRK_VERSION:-?}; k6: ${K6_VERSION:-not run (set K6=/path/to/k6)}; throng $THRONG_NOTE"
K6_NOTE=
if (( HAVE_K6 )); then K6_NOTE=" with \`K6=$K6\`"; fi

echo
echo "throng beside wrk and k6: median of $RUNS round(s) (min–max), $DURATION per run; took ${ELAPSED}s"
echo "$MACHINE"
echo "$TOOLS_LINE"
echo
cat "$TABLE"
echo
echo "  ratios are throng / tool: above 1x is better for throng on requests/s and iterations/s, below 1x on CPU, memory and start-up."
echo "  raw outputs in $RAW/, the table appended to $REPORT, figures to $RESULTS/latest.json"

# bench/RESULTS.md: one dated section per invocation, newest last.
if [[ ! -f $REPORT ]]; then
	cat >"$REPORT" <<-'EOF'
		# make bench results

		Each section is one `make bench` (bench/run.sh) on the machine it names, newest last.
		Figures are medians of the rounds with min–max; the ratios are throng / tool, from the
		same invocation. Compare ratios, not absolute figures: the machines are shared and noisy.
		How each figure is measured: bench/README.md.
	EOF
fi
{
	echo
	echo "## $(date -u '+%Y-%m-%d %H:%M UTC'), commit $COMMIT$DIRTY_NOTE"
	echo
	echo "\`$SETTINGS bash bench/run.sh\`$K6_NOTE, ${ELAPSED}s. $MACHINE. $TOOLS_LINE."
	echo
	cat "$TABLE"
} >>"$REPORT"

# One JSON line with every figure of every round.
{
	printf '{"time":"%s","commit":"%s","dirty":%s,"nproc":%d,"pinned":%s,"settings":"%s","k6":"%s","figures":{' \
		"$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$COMMIT" "$DIRTY" "$NPROC" "$PINNED" "$SETTINGS" "${K6_VERSION:-}"
	first=1
	for key in $(printf '%s\n' "${!VAL[@]}" | sort); do
		arr=$(printf '%s' "${VAL[$key]}" | awk '{ for (i = 1; i <= NF; i++) printf "%s%s", (i > 1 ? "," : ""), $i }')
		sep=,
	if [[ $first == 1 ]]; then sep=; fi
	printf '%s"%s":[%s]' "$sep" "$key" "$arr"
		first=0
	done
	printf '}}\n'
} >>"$RESULTS/latest.json"
