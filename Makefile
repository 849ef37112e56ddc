# throng: `make demo` runs the event-store scenario, `make test` runs every test.
SHELL   := bash
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)

DEMO_VUS      ?= 10
DEMO_DURATION ?= 30s

.PHONY: help build test lint demo bench gobench fuzz

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

build: ## build bin/throng and the demo target bin/eventstore-target
	$(GO) build -ldflags '$(LDFLAGS)' -o bin/throng ./cmd/throng
	$(GO) build -o bin/eventstore-target ./examples/eventstore/cmd/eventstore-target

# The integration tests run against real servers (InfluxDB 1.8, Prometheus)
# that scripts/services.sh installs and starts on loopback around go test;
# SERVICES=0 make test skips those tests instead.
ifeq ($(SERVICES),0)
TEST_WRAP :=
else
TEST_WRAP := THRONG_REQUIRE_SERVICES=1 bash scripts/services.sh run
endif

test: lint ## gofmt and vet checks, every test (race detector, real InfluxDB and Prometheus), a short fuzz
	$(TEST_WRAP) $(GO) test -race -count=1 -timeout 8m ./...
	cd examples/k8s && $(GO) test -count=1 -timeout 5m ./...
	$(MAKE) --no-print-directory fuzz FUZZTIME=1000x

# Every fuzz target, as package:Target. make fuzz runs each for FUZZTIME;
# make test runs each for 1000 inputs. A count, not a duration: go 1.26's
# fuzz coordinator can fail a target with a bare "context deadline
# exceeded" when a -fuzztime duration runs out (golang/go#75804, fixed in
# go 1.27); a count never arms that deadline. What a run finds is saved under the
# package's testdata/fuzz and replayed by every go test from then on.
# Minimizing each new input is kept to 1s: with go's default (60s) the
# summary exports, kilobytes of JSON, spend a whole run being minimized.
FUZZ_TARGETS := ./metrics:FuzzParseThreshold ./metrics:FuzzParseThresholds ./metrics:FuzzHistogramFromData \
	./runtime:FuzzParseDuration ./runtime:FuzzParseOptions ./runtime:FuzzParseSegment \
	./outputs/summary:FuzzMergeExports ./js:FuzzCompile
FUZZTIME ?= 30s

fuzz: ## run every fuzz target for FUZZTIME each (default 30s)
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "fuzz $${t#*:} in $${t%%:*} for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$${t#*:}$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 1s $${t%%:*}; \
	done

# The long-run checks: 100M samples through the metrics engine with the
# heap sampled every 10M, then a real constant-arrival-rate run against
# bin/bench-target (SOAK_DURATION, default 30m; SOAK_RATE, default 500/s)
# with --report soak-report.html and throng's RSS logged every minute.
.PHONY: soak
soak: ## 100M samples through the engine (bounded heap), then a 30-minute run logging RSS (SOAK_DURATION, SOAK_RATE)
	THRONG_SOAK=1 $(GO) test -run '^TestSoakHeapStaysBounded$$' -count=1 -timeout 30m -v ./metrics
	bash scripts/soak.sh

lint: ## fail on gofmt drift and go vet findings
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	cd examples/k8s && $(GO) vet ./...

demo: build ## run the event-store scenario against the bundled target (DEMO_VUS, DEMO_DURATION)
	DEMO_VUS=$(DEMO_VUS) DEMO_DURATION=$(DEMO_DURATION) bash examples/eventstore/demo.sh

# BENCH_QUICK=1 make bench skips the Go benchmarks and runs a ~1-minute subset.
ifeq ($(BENCH_QUICK),1)
BENCH_DEPS :=
else
BENCH_DEPS := gobench
endif

bench: $(BENCH_DEPS) ## the Go benchmarks, then throng beside wrk and k6 (K6=path) on the same workloads, one table (BENCH_QUICK=1: ~1 min)
	bash bench/run.sh

gobench: ## the Go benchmarks of the hot paths
	$(GO) test -run '^$$' -bench . -benchmem ./metrics ./js ./outputs/influxdb
