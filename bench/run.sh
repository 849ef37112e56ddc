#!/usr/bin/env bash
# bench/run.sh: compare throng with wrk against the same loopback target.
#
# This is what `make bench` runs. It
#   1. installs wrk (apt-get) and GNU time if they are missing; without wrk
#      the wrk half is skipped, without throng the throng half is skipped;
#   2. builds bin/throng (./cmd/throng) and bin/bench-target (./bench/target);
#   3. starts the target on a free 127.0.0.1 port, pinned to CPU 1 while the
#      load generators are pinned to CPU 0 (only when nproc >= 2);
#   4. runs `wrk -t1 -c$VUS -d$DURATION` and then
#      `throng run -q --no-color -u $VUS -d $DURATION bench/get.js`, taking
#      turns BENCH_RUNS times, under /usr/bin/time to get the generator's CPU
#      time (user+sys) and peak RSS;
#   5. prints the medians (requests/s, CPU µs per request, peak RSS) and the
#      throng/wrk ratios, and appends the raw figures as one JSON line to
#      bench/results/latest.json (raw tool outputs of the last invocation are
#      kept in bench/results/last/).
#
# Environment:
#   BENCH_DURATION  duration of each run, wrk/Go syntax (default 10s)
#   BENCH_VUS       wrk connections = throng VUs (default 50)
#   BENCH_RUNS      runs per tool; the median is reported (default 1)
#
# All traffic stays on 127.0.0.1. The target is stopped on exit, whatever
# happens, by its PID. See bench/README.md for how to read the figures.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

DURATION=${BENCH_DURATION:-10s}
VUS=${BENCH_VUS:-50}
RUNS=${BENCH_RUNS:-1}
RESULTS=bench/results
RAW=$RESULTS/last

log() { printf '==> %s\n' "$*" >&2; }
warn() { printf 'bench: %s\n' "$*" >&2; }
die() { warn "$*"; exit 1; }

[[ $VUS =~ ^[1-9][0-9]*$ ]] || die "BENCH_VUS must be a positive integer, got '$VUS'"
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer, got '$RUNS'"
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
# Hard limit per generator run: the duration plus time to start and to
# summarise. Every load loop is bounded by -d and, failing that, by this.
RUN_LIMIT=$(( DURATION_S + 60 ))

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
		warn "wrk is missing and could not be installed: skipping the wrk part"
		HAVE_WRK=0
	fi
fi

GNU_TIME=/usr/bin/time
if ! "$GNU_TIME" -f '%U' -o /dev/null true >/dev/null 2>&1; then
	apt_install time || true
	if ! "$GNU_TIME" -f '%U' -o /dev/null true >/dev/null 2>&1; then
		warn "GNU time is missing: CPU time falls back to bash's 'times', no peak RSS"
		GNU_TIME=
	fi
fi

# --- build --------------------------------------------------------------------

mkdir -p bin "$RAW"
rm -f "$RAW"/*

log "go build -o bin/bench-target ./bench/target"
go build -o bin/bench-target ./bench/target

HAVE_THRONG=1
log "go build -o bin/throng ./cmd/throng"
if ! go build -o bin/throng ./cmd/throng 2>"$RAW/throng-build.txt"; then
	sed 's/^/    /' "$RAW/throng-build.txt" >&2
	warn "throng: build failed: skipping the throng part"
	HAVE_THRONG=0
fi

# --- target -------------------------------------------------------------------

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
TARGET_PID=

stop_target() {
	[[ -n $TARGET_PID ]] || return 0
	local pid=$TARGET_PID
	TARGET_PID=
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		local i
		for (( i = 0; i < 50; i++ )); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			warn "target $pid did not stop on SIGTERM, killing it"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	wait "$pid" 2>/dev/null || true
	if [[ -s $TMP/target.out ]]; then
		log "target: $(tail -n 1 "$TMP/target.out")"
	fi
}
cleanup() {
	stop_target
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"${TARGET_PIN[@]}" bin/bench-target -addr 127.0.0.1:0 -addr-file "$TMP/addr" >"$TMP/target.out" 2>&1 &
TARGET_PID=$!
for (( i = 0; i < 100; i++ )); do
	[[ -s $TMP/addr ]] && break
	kill -0 "$TARGET_PID" 2>/dev/null || { cat "$TMP/target.out" >&2; die "the target exited before listening"; }
	sleep 0.1
done
[[ -s $TMP/addr ]] || die "the target did not write its address within 10s"
ADDR=$(<"$TMP/addr")
[[ $ADDR == 127.0.0.1:* ]] || die "the target is on '$ADDR', not on 127.0.0.1"
URL="http://$ADDR/"
log "target on $URL (pid $TARGET_PID)$([[ $PINNED == true ]] && echo ', target on CPU 1, generators on CPU 0')"

# --- measuring ------------------------------------------------------------------

# measure OUT USAGE CMD...: runs CMD pinned and bounded in time, stdout and
# stderr to OUT, and writes "user sys maxrss_kb" to USAGE (maxrss is "-"
# without GNU time). Returns CMD's exit status.
measure() {
	local out=$1 usage=$2
	shift 2
	local cmd=(timeout -k 5s "${RUN_LIMIT}s" "$@")
	local rc=0
	if [[ -n $GNU_TIME ]]; then
		"${GEN_PIN[@]}" "$GNU_TIME" -f '%U %S %M' -o "$usage" "${cmd[@]}" >"$out" 2>&1 || rc=$?
		# GNU time prefixes "Command exited with non-zero status N" on failure.
		local last
		last=$(tail -n 1 "$usage" 2>/dev/null || true)
		printf '%s\n' "$last" >"$usage"
	else
		# The subshell's children are only CMD, so `times` gives its CPU.
		( "${GEN_PIN[@]}" "${cmd[@]}" >"$out" 2>&1 || echo "rc=$?" >"$usage.rc"
		  times >"$usage.times" ) || true  # not `times | ...`: a pipe forks
		[[ -f $usage.rc ]] && rc=$(sed 's/rc=//' "$usage.rc")
		awk 'END {
			for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t[i] = a[1] * 60 + a[2] }
			printf "%.3f %.3f -\n", t[1], t[2]
		}' "$usage.times" >"$usage"
	fi
	if (( rc == 124 || rc == 137 )); then
		warn "$1 hit the ${RUN_LIMIT}s limit and was stopped"
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

# parse_throng FILE: finds the http_reqs line of the summary,
#   "     http_reqs......................: 123456 12345.67/s",
# whatever the colours, marks and spacing, and prints "rps requests" (the
# count is derived from the rate when it is missing) or fails.
parse_throng() {
	strip_ansi "$1" | awk -v dur="$DURATION_S" '
		/(^|[^A-Za-z0-9_])http_reqs([.:[:space:]]|$)/ && rps == "" {
			line = $0
			sub(/^.*http_reqs[.[:space:]]*:?/, "", line)
			n = ""; r = ""
			k = split(line, f, /[[:space:]]+/)
			for (i = 1; i <= k; i++) {
				if (f[i] ~ /^[0-9]+(\.[0-9]+)?\/s$/) { r = f[i]; sub(/\/s$/, "", r); break }
				if (n == "" && f[i] ~ /^[0-9]+$/) n = f[i]
			}
			if (r != "") { rps = r; count = n }
		}
		END {
			if (rps == "") exit 1
			if (count == "") count = sprintf("%.0f", rps * dur)
			print rps, count
		}'
}

# per_request CPU_USER CPU_SYS REQUESTS: CPU µs per request.
per_request() { awk -v u="$1" -v s="$2" -v n="$3" 'BEGIN { if (n > 0) printf "%.2f", (u + s) * 1e6 / n; else print "" }'; }

# median FMT V...: median of the numeric arguments in printf format FMT,
# empty when there are none.
median() {
	local fmt=$1
	shift
	(( $# > 0 )) || { echo ""; return; }
	printf '%s\n' "$@" | sort -g | awk -v fmt="$fmt" '{ v[NR] = $1 } END {
		if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf fmt, m }'
}

declare -A RPS CPU RSS REQS  # "tool" -> space-separated per-run values
run_tool() { # run_tool TOOL N
	local tool=$1 n=$2 out=$RAW/$1-$2.txt usage=$TMP/$1-$2.usage rc=0 parsed
	case $tool in
	wrk) measure "$out" "$usage" wrk -t1 -c"$VUS" -d"$DURATION" "$URL" || rc=$? ;;
	throng) NO_COLOR=1 measure "$out" "$usage" bin/throng run -q --no-color -u "$VUS" -d "$DURATION" \
			-e "TARGET=$URL" bench/get.js || rc=$? ;;
	throng-json) NO_COLOR=1 measure "$out" "$usage" bin/throng run -q --no-color -u "$VUS" -d "$DURATION" \
			-o "json=$TMP/samples.json" -e "TARGET=$URL" bench/get.js || rc=$?
		rm -f "$TMP/samples.json" ;;
	throng-influx) NO_COLOR=1 measure "$out" "$usage" bin/throng run -q --no-color -u "$VUS" -d "$DURATION" \
			-o "influxdb=$BENCH_INFLUXDB_URL" -e "TARGET=$URL" bench/get.js || rc=$? ;;
	esac
	(( rc == 0 )) || warn "$tool run $n exited with status $rc (output in $out)"
	if [[ $tool == wrk ]]; then
		parsed=$(parse_wrk "$out") || { warn "wrk: could not parse Requests/sec in $out"; return 0; }
		grep -E 'Non-2xx|Socket errors' "$out" | sed 's/^/    wrk: /' >&2 || true
	else
		parsed=$(parse_throng "$out") || {
			warn "throng: could not parse the http_reqs line of the summary in $out"
			sed 's/^/    | /' "$out" | tail -n 20 >&2
			return 0
		}
	fi
	local rps reqs user sys rss cpu
	read -r rps reqs <<<"$parsed"
	read -r user sys rss <<<"$(cat "$usage" 2>/dev/null || echo '- - -')"
	[[ $user =~ ^[0-9.]+$ && $sys =~ ^[0-9.]+$ ]] || { user=; sys=; }
	[[ $rss =~ ^[0-9]+$ ]] || rss=
	cpu=
	[[ -n $user ]] && cpu=$(per_request "$user" "$sys" "$reqs")
	log "$(printf '%-6s run %d/%d: %s req/s, %s requests, cpu %ss user + %ss sys, peak RSS %s KB' \
		"$tool" "$n" "$RUNS" "$rps" "$reqs" "${user:-?}" "${sys:-?}" "${rss:-?}")"
	RPS[$tool]+="$rps "
	REQS[$tool]+="$reqs "
	[[ -n $cpu ]] && CPU[$tool]+="$cpu "
	[[ -n $rss ]] && RSS[$tool]+="$rss "
	return 0
}

TOOLS=()
(( HAVE_WRK )) && TOOLS+=(wrk)
(( HAVE_THRONG )) && TOOLS+=(throng throng-json)
# With an InfluxDB to write to (BENCH_INFLUXDB_URL=http://127.0.0.1:8086/db,
# or the one scripts/services.sh started, as make bench does), the cost of
# the influxdb output is measured too.
if [[ -z ${BENCH_INFLUXDB_URL:-} && -n ${THRONG_TEST_INFLUXDB_URL:-} ]]; then
	curl -s -XPOST "$THRONG_TEST_INFLUXDB_URL/query" --data-urlencode "q=CREATE DATABASE bench" >/dev/null &&
		BENCH_INFLUXDB_URL=$THRONG_TEST_INFLUXDB_URL/bench
fi
(( HAVE_THRONG )) && [[ -n ${BENCH_INFLUXDB_URL:-} ]] && TOOLS+=(throng-influx)
if (( ${#TOOLS[@]} == 0 )); then
	die "neither wrk nor throng is available: nothing to measure"
fi

log "$DURATION per run, $VUS connections/VUs, $RUNS run(s) per tool, nproc $NPROC"
# The tools take turns (wrk, throng, wrk, throng, ...) so that a slow spell
# on a shared machine hits both rather than one.
for (( n = 1; n <= RUNS; n++ )); do
	for tool in "${TOOLS[@]}"; do
		run_tool "$tool" "$n"
	done
done

# --- report ----------------------------------------------------------------------

declare -A M_RPS M_CPU M_RSS
for tool in wrk throng throng-json throng-influx; do
	# shellcheck disable=SC2086 # word splitting of the per-run lists is wanted
	M_RPS[$tool]=$(median %.2f ${RPS[$tool]:-})
	# shellcheck disable=SC2086
	M_CPU[$tool]=$(median %.2f ${CPU[$tool]:-})
	# shellcheck disable=SC2086
	M_RSS[$tool]=$(median %.0f ${RSS[$tool]:-})
done

ratio() { # ratio A B: A/B to 2 decimals, empty if either is missing
	[[ -n $1 && -n $2 ]] || { echo ""; return; }
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b }'
}
R_RPS=$(ratio "${M_RPS[throng]}" "${M_RPS[wrk]}")
R_CPU=$(ratio "${M_CPU[throng]}" "${M_CPU[wrk]}")
R_RSS=$(ratio "${M_RSS[throng]}" "${M_RSS[wrk]}")

or_na() { [[ -n $1 ]] && printf '%s' "$1" || printf 'n/a'; }
mb() { [[ -n $1 ]] && awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }' || printf 'n/a'; }

echo
echo "throng vs wrk: GET $URL, $DURATION, $VUS connections/VUs, median of $RUNS run(s)"
echo "nproc $NPROC, $([[ $PINNED == true ]] && echo 'generator on CPU 0, target on CPU 1' || echo 'not pinned')"
echo
printf '  %-14s %14s %18s %14s\n' "tool" "requests/s" "CPU µs/request" "peak RSS MB"
printf '  %-14s %14s %17s %14s\n' "--------------" "--------------" "-----------------" "--------------"
for tool in wrk throng throng-json throng-influx; do
	[[ -n ${RPS[$tool]:-} ]] || continue
	printf '  %-14s %14s %17s %14s\n' "$tool" "$(or_na "${M_RPS[$tool]}")" "$(or_na "${M_CPU[$tool]}")" "$(mb "${M_RSS[$tool]}")"
done
printf '  %-14s %14s %17s %14s\n' "throng/wrk" "$(or_na "$R_RPS")x" "$(or_na "$R_CPU")x" "$(or_na "$R_RSS")x"
# The price of an output: the share of requests/s lost against plain throng.
for out in json influx; do
	[[ -n ${M_RPS[throng-$out]:-} && -n ${M_RPS[throng]:-} ]] || continue
	printf '  %-14s %s%% of requests/s lost to -o %s\n' "" \
		"$(awk -v a="${M_RPS[throng-$out]}" -v b="${M_RPS[throng]}" 'BEGIN { printf "%.1f", 100 * (1 - a / b) }')" "$out"
done
echo
echo "  requests/s ratio: higher is better for throng; CPU/request ratio: lower is better."
echo "  raw outputs in $RAW/, figures appended to $RESULTS/latest.json"

# One JSON line with the raw figures.
jnum() { [[ -n $1 ]] && printf '%s' "$1" || printf 'null'; }
jarr() { # jarr "v1 v2 ...": JSON array of numbers
	local out="" v
	for v in $1; do out+="${out:+,}$v"; done
	printf '[%s]' "$out"
}
jtool() {
	local t=$1
	printf '{"rps":%s,"cpu_us_per_req":%s,"peak_rss_kb":%s,"runs":{"rps":%s,"requests":%s,"cpu_us_per_req":%s,"peak_rss_kb":%s}}' \
		"$(jnum "${M_RPS[$t]}")" "$(jnum "${M_CPU[$t]}")" "$(jnum "${M_RSS[$t]}")" \
		"$(jarr "${RPS[$t]:-}")" "$(jarr "${REQS[$t]:-}")" "$(jarr "${CPU[$t]:-}")" "$(jarr "${RSS[$t]:-}")"
}
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo "")
DIRTY=false
[[ -n $(git status --porcelain 2>/dev/null | head -n 1) ]] && DIRTY=true
printf '{"time":"%s","commit":"%s","dirty":%s,"host":"%s","nproc":%d,"pinned":%s,"duration":"%s","vus":%d,"runs":%d,"wrk":%s,"throng":%s,"throng_json":%s,"ratio":{"rps":%s,"cpu_per_req":%s,"peak_rss":%s}}\n' \
	"$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$COMMIT" "$DIRTY" "$(hostname 2>/dev/null || echo)" "$NPROC" "$PINNED" \
	"$DURATION" "$VUS" "$RUNS" "$(jtool wrk)" "$(jtool throng)" "$(jtool throng-json)" \
	"$(jnum "$R_RPS")" "$(jnum "$R_CPU")" "$(jnum "$R_RSS")" >>"$RESULTS/latest.json"
