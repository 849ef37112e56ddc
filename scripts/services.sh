#!/usr/bin/env bash
# scripts/services.sh: the real servers the integration tests need, on
# loopback only.
#
#   scripts/services.sh start     install what is missing, start InfluxDB 1.8.10
#                                 and Prometheus (reusing ones already running)
#   scripts/services.sh env       print `export THRONG_TEST_...=...` lines, for eval
#   scripts/services.sh stop      stop what start started (by PID), remove the data
#   scripts/services.sh status    say what is running
#   scripts/services.sh run CMD…  start, run CMD with the env, stop; exits with CMD's status
#
# Typical use:
#   eval "$(scripts/services.sh start && scripts/services.sh env)"
#   go test ./outputs/...
#   scripts/services.sh stop
#
# InfluxDB 1.8.10 is built once from its Go module (a few minutes the first
# time) into ${THRONG_CACHE:-$HOME/.cache/throng}/bin/influxd. Prometheus is
# Debian's package (apt-get install, as root). Each server listens on
# 127.0.0.1 on a free port; the state (PIDs, URLs, data) lives in
# ${THRONG_SERVICES_DIR:-/tmp/throng-services}. `env` exports:
#   THRONG_TEST_INFLUXDB_URL    http://127.0.0.1:PORT (database "throng" exists)
#   THRONG_TEST_INFLUXD         the influxd binary, for tests that run their own
#   THRONG_TEST_PROMETHEUS_URL  http://127.0.0.1:PORT (remote-write receiver on)
# Set THRONG_SERVICES=influxdb (or prometheus) to handle only one of them.
set -euo pipefail

CACHE="${THRONG_CACHE:-$HOME/.cache/throng}"
STATE="${THRONG_SERVICES_DIR:-/tmp/throng-services}"
INFLUXD="$CACHE/bin/influxd"
INFLUXDB_VERSION=v1.8.10
SERVICES="${THRONG_SERVICES:-influxdb prometheus chromium}"

log() { echo "services: $*" >&2; }
die() { log "$*"; exit 1; }

wanted() { [[ " $SERVICES " == *" $1 "* ]]; }

# alive PID NAME: PID runs and is the NAME we started (PIDs get reused).
alive() {
	[[ -n "$1" ]] && kill -0 "$1" 2>/dev/null && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q -- "$2"
}

# port_in_use PORT: something accepts connections on 127.0.0.1:PORT.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_port: a port nothing listens on (bounded tries).
free_port() {
	local i port
	for ((i = 0; i < 100; i++)); do
		port=$((20000 + RANDOM % 20000))
		if ! port_in_use "$port"; then
			echo "$port"
			return 0
		fi
	done
	die "found no free port"
}

# http_ok URL: the URL answers 2xx (curl if present, else bash's /dev/tcp).
http_ok() {
	if command -v curl >/dev/null; then
		curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null
		return
	fi
	local hostport="${1#http://}" path
	path="/${hostport#*/}"
	hostport="${hostport%%/*}"
	local status
	status=$(timeout 3 bash -c 'exec 3<>"/dev/tcp/${1%:*}/${1#*:}" || exit 1
		printf "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" "$2" "$1" >&3
		head -n1 <&3' _ "$hostport" "$path" 2>/dev/null) || return 1
	[[ "$status" =~ ^HTTP/[0-9.]+\ 2 ]]
}

# wait_for URL PID NAME LOG: until URL answers, bounded to 60s.
wait_for() {
	local i
	for ((i = 0; i < 240; i++)); do
		http_ok "$1" && return 0
		alive "$2" "$3" || { tail -n 20 "$4" >&2 || true; die "$3 exited while starting (log: $4)"; }
		sleep 0.25
	done
	tail -n 20 "$4" >&2 || true
	die "$3 did not answer $1 within 60s (log: $4)"
}

# influx_query URL Q: run an InfluxQL statement through /query.
influx_query() {
	if command -v curl >/dev/null; then
		curl -fsS -o /dev/null --max-time 10 -XPOST "$1/query" --data-urlencode "q=$2"
		return
	fi
	local hostport="${1#http://}" body
	body="q=$(printf '%s' "$2" | sed 's/ /+/g; s/"/%22/g')"
	timeout 10 bash -c 'exec 3<>"/dev/tcp/${1%:*}/${1#*:}" || exit 1
		printf "POST /query HTTP/1.0\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s" "$1" "${#2}" "$2" >&3
		head -n1 <&3 | grep -q " 200"' _ "$hostport" "$body"
}

install_influxd() {
	[[ -x "$INFLUXD" ]] && return 0
	mkdir -p "$CACHE/bin"
	# Another checkout may have built it already.
	if [[ -x /tmp/influxbuild/bin/influxd ]]; then
		log "copying /tmp/influxbuild/bin/influxd to $INFLUXD"
		cp /tmp/influxbuild/bin/influxd "$INFLUXD.tmp" && mv "$INFLUXD.tmp" "$INFLUXD"
		return 0
	fi
	command -v go >/dev/null || die "go is needed to build influxd $INFLUXDB_VERSION"
	log "building influxd $INFLUXDB_VERSION into $CACHE/bin (a few minutes the first time)"
	CGO_ENABLED=0 GOBIN="$CACHE/bin" GOFLAGS=-buildvcs=false \
		go install -ldflags "-X main.version=${INFLUXDB_VERSION#v}" \
		"github.com/influxdata/influxdb/cmd/influxd@$INFLUXDB_VERSION"
	[[ -x "$INFLUXD" ]] || die "the build left no $INFLUXD"
}

start_influxdb() {
	local dir="$STATE/influxdb" pid port rpc url
	mkdir -p "$dir"
	pid=$(cat "$dir/pid" 2>/dev/null || true)
	if alive "$pid" influxd && http_ok "$(cat "$dir/url")/ping"; then
		log "influxdb already running: $(cat "$dir/url") (pid $pid)"
		return 0
	fi
	install_influxd
	port=$(free_port)
	rpc=$(free_port)
	[[ "$rpc" != "$port" ]] || rpc=$((port + 1))
	url="http://127.0.0.1:$port"
	rm -rf "$dir/data" "$dir/meta" "$dir/wal"
	mkdir -p "$dir/data" "$dir/meta" "$dir/wal"
	INFLUXDB_HTTP_BIND_ADDRESS="127.0.0.1:$port" \
		INFLUXDB_BIND_ADDRESS="127.0.0.1:$rpc" \
		INFLUXDB_DATA_DIR="$dir/data" \
		INFLUXDB_META_DIR="$dir/meta" \
		INFLUXDB_DATA_WAL_DIR="$dir/wal" \
		INFLUXDB_REPORTING_DISABLED=true \
		INFLUXDB_HTTP_LOG_ENABLED=false \
		INFLUXDB_DATA_QUERY_LOG_ENABLED=false \
		INFLUXDB_MONITOR_STORE_ENABLED=false \
		INFLUXDB_LOGGING_LEVEL=warn \
		nohup "$INFLUXD" run </dev/null >"$dir/log" 2>&1 &
	pid=$!
	echo "$pid" >"$dir/pid"
	echo "$url" >"$dir/url"
	wait_for "$url/ping" "$pid" influxd "$dir/log"
	influx_query "$url" 'CREATE DATABASE "throng"' || die "CREATE DATABASE throng failed (log: $dir/log)"
	log "influxdb $url (pid $pid)"
}

# apt_install CMD PKG: installs Debian's PKG unless CMD is already there.
apt_install() {
	local cmd=$1 pkg=$2
	command -v "$cmd" >/dev/null && return 0
	[[ "$(id -u)" == 0 ]] || die "$cmd is missing: install Debian's package (apt-get install $pkg) as root"
	if ! apt-cache show "$pkg" >/dev/null 2>&1; then
		log "apt-get update"
		apt-get update -qq >&2
	fi
	log "apt-get install $pkg"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >&2
	command -v "$cmd" >/dev/null || die "apt-get left no $cmd"
}

# The prometheus package starts a system service where there is an init;
# ours is separate.
install_prometheus() { apt_install prometheus prometheus; }

# Chromium is not a server: the HTML report's tests drive it headless.
install_chromium() { apt_install chromium chromium; }

start_prometheus() {
	local dir="$STATE/prometheus" pid port url
	mkdir -p "$dir"
	pid=$(cat "$dir/pid" 2>/dev/null || true)
	if alive "$pid" prometheus && http_ok "$(cat "$dir/url")/-/ready"; then
		log "prometheus already running: $(cat "$dir/url") (pid $pid)"
		return 0
	fi
	install_prometheus
	port=$(free_port)
	url="http://127.0.0.1:$port"
	rm -rf "$dir/data"
	mkdir -p "$dir/data"
	cat >"$dir/prometheus.yml" <<-'EOF'
		# No scrape targets: samples arrive by remote write only.
		global:
		  scrape_interval: 15s
	EOF
	nohup prometheus \
		--config.file="$dir/prometheus.yml" \
		--storage.tsdb.path="$dir/data" \
		--web.listen-address="127.0.0.1:$port" \
		--web.enable-remote-write-receiver \
		--log.level=warn \
		</dev/null >"$dir/log" 2>&1 &
	pid=$!
	echo "$pid" >"$dir/pid"
	echo "$url" >"$dir/url"
	wait_for "$url/-/ready" "$pid" prometheus "$dir/log"
	log "prometheus $url (pid $pid)"
}

# stop_one NAME PROCESS: TERM the PID we recorded, KILL after 10s.
stop_one() {
	local dir="$STATE/$1" pid i
	pid=$(cat "$dir/pid" 2>/dev/null || true)
	if alive "$pid" "$2"; then
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 100; i++)); do
			alive "$pid" "$2" || break
			sleep 0.1
		done
		if alive "$pid" "$2"; then
			log "$1 (pid $pid) ignored SIGTERM for 10s: SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
		fi
		log "stopped $1 (pid $pid)"
	fi
	rm -rf "$dir"
}

print_env() {
	local pid
	pid=$(cat "$STATE/influxdb/pid" 2>/dev/null || true)
	if alive "$pid" influxd; then
		echo "export THRONG_TEST_INFLUXDB_URL=$(cat "$STATE/influxdb/url")"
	fi
	if [[ -x "$INFLUXD" ]]; then
		echo "export THRONG_TEST_INFLUXD=$INFLUXD"
	fi
	pid=$(cat "$STATE/prometheus/pid" 2>/dev/null || true)
	if alive "$pid" prometheus; then
		echo "export THRONG_TEST_PROMETHEUS_URL=$(cat "$STATE/prometheus/url")"
	fi
}

start() {
	mkdir -p "$STATE"
	if wanted influxdb; then start_influxdb; fi
	if wanted prometheus; then start_prometheus; fi
	if wanted chromium; then install_chromium; fi
}

stop() {
	if wanted influxdb; then stop_one influxdb influxd; fi
	if wanted prometheus; then stop_one prometheus prometheus; fi
	rmdir "$STATE" 2>/dev/null || true
}

case "${1:-}" in
start) start ;;
stop) stop ;;
env) print_env ;;
status)
	print_env | sed 's/^export //'
	;;
run)
	shift
	[[ $# -gt 0 ]] || die "usage: $0 run CMD [ARGS…]"
	trap stop EXIT
	trap 'exit 130' INT TERM # so that the EXIT trap stops the servers
	start
	eval "$(print_env)"
	rc=0
	"$@" || rc=$?
	exit "$rc"
	;;
*)
	sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
	;;
esac
