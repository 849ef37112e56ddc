package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/throng-dev/throng/internal/remotewrite"
)

// The runs of TestDeadAndSlowOutputsKeepTheRate: a constant arrival rate
// far below what the machine can do, one GET per iteration against a
// loopback target.
const (
	outputRunRate    = 100 // iterations/s, in each of seven processes at once
	outputRunSeconds = 5
	outputRunPlanned = outputRunRate * outputRunSeconds
	// outputFaultWindow is how long the "answering 500" servers fail,
	// from the first request they get.
	outputFaultWindow = 2 * time.Second
	// slowWrite is how long the "slow" servers take to answer a write.
	slowWrite = 2 * time.Second
)

var outputRunScript = fmt.Sprintf(`import http from 'k6/http';
export const options = { scenarios: { steady: {
  executor: 'constant-arrival-rate', rate: %d, timeUnit: '1s', duration: '%ds', preAllocatedVUs: 50, maxVUs: 200 } } };
export default function () { http.get(__ENV.BASE); }
`, outputRunRate, outputRunSeconds)

// outputRun is one run of the built binary: its result, the summary's
// counts, and the "output losses" line of the output under test.
type outputRun struct {
	result
	reqs, iterations, droppedIterations int64
	losses                              string // the output's losses line after "NAME (URL): "; "" when there is none
}

// startWithOutput starts outputRunScript with the binary bin against
// target, with args (the -o flags) and environ (the outputs' settings)
// added to an environment cleared of THRONG_* and K6_* variables. wait
// waits for it and reads the summary.
func startWithOutput(t *testing.T, bin, target string, environ []string, args ...string) (wait func(t *testing.T) outputRun) {
	t.Helper()
	script := writeFile(t, "steady.js", outputRunScript)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	cmd := exec.CommandContext(ctx, bin, append(append([]string{"run", "-q", "--no-color", "-e", "BASE=" + target}, args...), script)...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "THRONG_") && !strings.HasPrefix(kv, "K6_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, environ...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() { cancel(); <-done }) // a run not waited for (the test failed first) is killed
	return func(t *testing.T) outputRun {
		t.Helper()
		<-done
		r := outputRun{result: result{cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()}}
		if r.code != 0 {
			t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
		}
		r.reqs = summaryCount(t, r.stdout, "http_reqs")
		r.iterations = summaryCount(t, r.stdout, "iterations")
		if regexp.MustCompile(`(?m)^\s*dropped_iterations\.*: `).MatchString(r.stdout) {
			r.droppedIterations = summaryCount(t, r.stdout, "dropped_iterations")
		}
		// One line per output that lost or retried anything: only the
		// output under test may have one (the csv output loses nothing).
		for _, m := range regexp.MustCompile(`(?m)^\s*output losses\.*: (.*)$`).FindAllStringSubmatch(r.stdout, -1) {
			line := strings.TrimSpace(m[1])
			if !strings.HasPrefix(line, "influxdb (") && !strings.HasPrefix(line, "prometheus-rw (") {
				t.Errorf("another output lost samples: %s", line)
				continue
			}
			_, r.losses, _ = strings.Cut(line, "): ")
		}
		return r
	}
}

// lossCount reads "N what" from a losses line; 0 when it is not there.
// "retries" finds "1 retry" too.
func lossCount(losses, what string) int64 {
	pattern := regexp.QuoteMeta(what)
	if what == "retries" {
		pattern = "retr(?:y|ies)"
	}
	m := regexp.MustCompile(`(\d+) ` + pattern).FindStringSubmatch(losses)
	if m == nil {
		return 0
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	return n
}

// csvSamples is the number of samples the csv output wrote: every sample
// the run produced.
func csvSamples(t *testing.T, path string) int64 {
	var n int64
	for _, rows := range readCSVRows(t, path) {
		n += rows
	}
	return n
}

// faultyWriteServer is an httptest stand-in for InfluxDB or a Prometheus
// remote-write receiver that is slow (each write takes slowWrite, unless
// the client gives up first) or answers 500 for outputFaultWindow after
// its first request, then 204. It counts only what it answered 204 to.
type faultyWriteServer struct {
	srv  *httptest.Server
	mode string // "slow" or "500"

	mu       sync.Mutex
	first    time.Time
	failed   int                // requests answered 500
	accepted int                // write requests answered 204
	points   map[string]int64   // InfluxDB: accepted lines per measurement
	series   map[string]float64 // Prometheus: the last accepted value of each "name{labels}"
}

func newFaultyWriteServer(t *testing.T, mode string) *faultyWriteServer {
	s := &faultyWriteServer{mode: mode, points: map[string]int64{}, series: map[string]float64{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *faultyWriteServer) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	if r.URL.Path == "/ping" || r.URL.Path == "/query" { // InfluxDB's probe and CREATE DATABASE
		w.WriteHeader(http.StatusNoContent)
		return
	}
	s.mu.Lock()
	if s.first.IsZero() {
		s.first = time.Now()
	}
	failing := s.mode == "500" && time.Since(s.first) < outputFaultWindow
	if failing {
		s.failed++
	}
	s.mu.Unlock()
	if failing {
		http.Error(w, `{"message":"planned failure"}`, http.StatusInternalServerError)
		return
	}
	if s.mode == "slow" {
		t := time.NewTimer(slowWrite)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return // the client gave up: not accepted
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accepted++
	if r.URL.Path == "/api/v2/write" {
		for _, line := range strings.Split(string(body), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				s.points[line[:strings.IndexAny(line, ", ")]]++
			}
		}
	} else if err := remoteWriteSeries(body, s.series); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *faultyWriteServer) counts() (failed, accepted int, points int64, byMeasurement map[string]int64, series map[string]float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	byMeasurement = map[string]int64{}
	for m, n := range s.points {
		byMeasurement[m] = n
		points += n
	}
	series = map[string]float64{}
	for k, v := range s.series {
		series[k] = v
	}
	return s.failed, s.accepted, points, byMeasurement, series
}

// remoteWriteSeries decodes a remote-write request into into, as
// "name{labels}" → value, the labels in the order they came.
func remoteWriteSeries(body []byte, into map[string]float64) error {
	series, err := remotewrite.Decode(body)
	for _, sr := range series {
		var labels []string
		for _, k := range sr.Order {
			if k != "__name__" {
				labels = append(labels, k+"="+sr.Labels[k])
			}
		}
		into[sr.Name+"{"+strings.Join(labels, ",")+"}"] = sr.Value
	}
	return err
}

// seriesSum adds up the last values of the series named name.
func seriesSum(series map[string]float64, name string) int64 {
	var sum float64
	for k, v := range series {
		if strings.HasPrefix(k, name+"{") {
			sum += v
		}
	}
	return int64(sum)
}

// TestDeadAndSlowOutputsKeepTheRate runs a constant arrival rate with the
// built binary once without outputs and once per (output, fault): InfluxDB
// and Prometheus remote write, each nowhere (a closed loopback port), slow
// (slowWrite per write) and answering 500 for outputFaultWindow. Every run
// exits 0 and makes as many requests as the run without outputs (within
// 5%, and within 5% of rate × duration), drops at most 0.5% of its
// iterations, and the summary's "output losses" line counts what the
// output lost or retried. It asserts counts, never times. The seven
// processes run at once, so the test costs about one run (a few seconds)
// plus the slowest output's stop, and the build; a machine too busy to
// hold the rate even without outputs gets two more tries, then a skip.
func TestDeadAndSlowOutputsKeepTheRate(t *testing.T) {
	bin := buildThrong(t)
	const queue = 2000 // INFLUXDB_QUEUE_POINTS: under two seconds of this run's points
	const influxOpts = "K6_INFLUXDB_PUSH_INTERVAL=200ms"

	// Each case starts its servers and its run, and returns how to check
	// the run once it has ended.
	type check func(t *testing.T, r outputRun)
	cases := []struct {
		name  string
		start func(t *testing.T, run func(environ []string, args ...string)) check
	}{
		{"no output", func(t *testing.T, run func([]string, ...string)) check {
			run(nil)
			return func(t *testing.T, r outputRun) {
				if r.losses != "" {
					t.Errorf("output losses without an output: %q", r.losses)
				}
			}
		}},

		// InfluxDB: nothing listens. Every point goes to the queue, none
		// out: the output holds exactly the queue's worth (counted as not
		// delivered when Stop gives up) and drops the rest.
		{"influxdb/dead", func(t *testing.T, run func([]string, ...string)) check {
			csv := filepath.Join(t.TempDir(), "all.csv.gz")
			run([]string{influxOpts, "K6_INFLUXDB_QUEUE_POINTS=" + strconv.Itoa(queue), "K6_INFLUXDB_STOP_TIMEOUT=1s"},
				"-o", "influxdb=http://"+closedPort(t)+"/db", "-o", "csv="+csv)
			return func(t *testing.T, r outputRun) {
				produced := csvSamples(t, csv)
				dropped, undelivered := lossCount(r.losses, "points dropped (queue full)"), lossCount(r.losses, "points not delivered")
				t.Logf("produced %d points; losses: %s", produced, r.losses)
				if undelivered != queue || dropped+undelivered != produced || lossCount(r.losses, "retries") == 0 {
					t.Errorf("produced %d points with a queue of %d; losses %q: want %d not delivered, %d dropped, and retries",
						produced, queue, r.losses, queue, produced-queue)
				}
				if !strings.Contains(r.stderr, "does not answer") {
					t.Errorf("no warning that the server does not answer:\n%s", r.stderr)
				}
			}
		}},

		// InfluxDB taking slowWrite per write, one write at a time: the
		// queue fills, the rest is dropped; what is still queued when Stop
		// gives up is not delivered; every point is accounted for once.
		{"influxdb/slow", func(t *testing.T, run func([]string, ...string)) check {
			s := newFaultyWriteServer(t, "slow")
			csv := filepath.Join(t.TempDir(), "all.csv.gz")
			run([]string{influxOpts, "K6_INFLUXDB_CONCURRENT_WRITES=1", "K6_INFLUXDB_QUEUE_POINTS=" + strconv.Itoa(queue), "K6_INFLUXDB_STOP_TIMEOUT=1s"},
				"-o", "influxdb="+s.srv.URL+"/db", "-o", "csv="+csv)
			return func(t *testing.T, r outputRun) {
				produced := csvSamples(t, csv)
				_, accepted, written, _, _ := s.counts()
				dropped, undelivered := lossCount(r.losses, "points dropped (queue full)"), lossCount(r.losses, "points not delivered")
				t.Logf("produced %d points, the server accepted %d in %d writes; losses: %s", produced, written, accepted, r.losses)
				// (A write the server answers at the very instant Stop gives
				// up would count twice; the window is well under a
				// millisecond.)
				if dropped == 0 || undelivered > queue || written+dropped+undelivered != produced {
					t.Errorf("produced %d points with a queue of %d: the server accepted %d, losses %q: want drops, at most %d not delivered, and every point accounted for once",
						produced, queue, written, r.losses, queue)
				}
			}
		}},

		// InfluxDB answering 500 at first: every failed write is retried,
		// and every point arrives.
		{"influxdb/500", func(t *testing.T, run func([]string, ...string)) check {
			s := newFaultyWriteServer(t, "500")
			csv := filepath.Join(t.TempDir(), "all.csv.gz")
			run([]string{influxOpts, "K6_INFLUXDB_STOP_TIMEOUT=20s"}, "-o", "influxdb="+s.srv.URL+"/db", "-o", "csv="+csv)
			return func(t *testing.T, r outputRun) {
				produced := csvSamples(t, csv)
				failed, _, written, byMeasurement, _ := s.counts()
				t.Logf("produced %d points, the server answered 500 %d times, then accepted %d; losses: %s", produced, failed, written, r.losses)
				if failed == 0 || lossCount(r.losses, "retries") != int64(failed) || !strings.Contains(r.losses, "(every point was written)") {
					t.Errorf("%d writes answered 500; losses %q: want as many retries, and every point written", failed, r.losses)
				}
				if written != produced || byMeasurement["http_reqs"] != r.reqs {
					t.Errorf("the server accepted %d points (%d http_reqs), the run produced %d (%d http_reqs)", written, byMeasurement["http_reqs"], produced, r.reqs)
				}
			}
		}},

		// Prometheus: nothing listens. Every push fails; the summary says
		// so.
		{"prometheus/dead", func(t *testing.T, run func([]string, ...string)) check {
			run([]string{"K6_PROMETHEUS_RW_PUSH_INTERVAL=500ms"}, "-o", "experimental-prometheus-rw=http://"+closedPort(t)+"/api/v1/write")
			return func(t *testing.T, r outputRun) {
				t.Logf("losses: %s", r.losses)
				if lossCount(r.losses, "pushes failed") == 0 || lossCount(r.losses, "series values not delivered") == 0 {
					t.Errorf("losses %q: want failed pushes and undelivered series values", r.losses)
				}
			}
		}},

		// Prometheus taking slowWrite per push, longer than the push
		// interval: each periodic push is cut at its interval and counted
		// as failed (its Trend stats lost); the final push, allowed 5 s,
		// delivers the counters whole.
		{"prometheus/slow", func(t *testing.T, run func([]string, ...string)) check {
			s := newFaultyWriteServer(t, "slow")
			run([]string{"K6_PROMETHEUS_RW_PUSH_INTERVAL=500ms"}, "-o", "prometheus-rw="+s.srv.URL+"/api/v1/write")
			return func(t *testing.T, r outputRun) {
				_, accepted, _, _, series := s.counts()
				t.Logf("the server accepted %d pushes; losses: %s", accepted, r.losses)
				if lossCount(r.losses, "pushes failed") == 0 || lossCount(r.losses, "series values not delivered") == 0 {
					t.Errorf("losses %q: want the cut pushes counted as failed, and their lost values", r.losses)
				}
				if got := seriesSum(series, "k6_http_reqs_total"); got != r.reqs {
					t.Errorf("k6_http_reqs_total adds up to %d at the server, the summary counted %d", got, r.reqs)
				}
			}
		}},

		// Prometheus answering 500 at first: pushes are retried, those that
		// fail are counted, and the counters arrive whole.
		{"prometheus/500", func(t *testing.T, run func([]string, ...string)) check {
			s := newFaultyWriteServer(t, "500")
			run([]string{"K6_PROMETHEUS_RW_PUSH_INTERVAL=500ms"}, "-o", "prometheus-rw="+s.srv.URL+"/api/v1/write")
			return func(t *testing.T, r outputRun) {
				failed, accepted, _, _, series := s.counts()
				t.Logf("the server answered 500 %d times, then accepted %d pushes; losses: %s", failed, accepted, r.losses)
				// The probe at Start is one 500, not retried.
				if failed < 2 || lossCount(r.losses, "retries") == 0 || lossCount(r.losses, "pushes failed") == 0 {
					t.Errorf("%d requests answered 500; losses %q: want retries and failed pushes", failed, r.losses)
				}
				if got := seriesSum(series, "k6_http_reqs_total"); got != r.reqs {
					t.Errorf("k6_http_reqs_total adds up to %d at the server, the summary counted %d", got, r.reqs)
				}
			}
		}},
	}

	// rateProblems compares each run with the run without outputs and
	// with the plan. cleanBase says whether the run without outputs held
	// the rate: if it did not, the machine was too busy to measure.
	rateProblems := func(runs map[string]outputRun) (problems []string, cleanBase bool) {
		base := runs["no output"]
		cleanBase = math.Abs(float64(base.reqs-outputRunPlanned)) <= 0.05*outputRunPlanned && base.droppedIterations <= outputRunPlanned/200
		for _, name := range slices.Sorted(maps.Keys(runs)) {
			r := runs[name]
			if math.Abs(float64(r.reqs-base.reqs)) > 0.05*float64(base.reqs) || math.Abs(float64(r.reqs-outputRunPlanned)) > 0.05*outputRunPlanned {
				problems = append(problems, fmt.Sprintf("%s: %d requests; the run without outputs made %d, the rate plans %d: want within 5%% of both", name, r.reqs, base.reqs, outputRunPlanned))
			}
			if r.droppedIterations > outputRunPlanned/200 {
				problems = append(problems, fmt.Sprintf("%s: %d dropped iterations, want at most 0.5%% of %d", name, r.droppedIterations, outputRunPlanned))
			}
		}
		return problems, cleanBase
	}

	// The seven runs go at once, and again (up to three times in all) if
	// a run misses the rate: on a shared machine, a neighbour's burst can
	// starve one process. Each attempt's losses are checked all the same.
	const attempts = 3
	for attempt := 1; ; attempt++ {
		target, served := countingServer(t)
		waits := make([]func(*testing.T) outputRun, len(cases))
		checks := make([]check, len(cases))
		for i, c := range cases {
			checks[i] = c.start(t, func(environ []string, args ...string) {
				waits[i] = startWithOutput(t, bin, target.URL, environ, args...)
			})
		}
		runs := map[string]outputRun{}
		for i, c := range cases {
			t.Run(fmt.Sprintf("attempt %d/%s", attempt, c.name), func(t *testing.T) {
				r := waits[i](t)
				t.Logf("http_reqs %d, iterations %d, dropped_iterations %d", r.reqs, r.iterations, r.droppedIterations)
				runs[c.name] = r
				checks[i](t, r)
			})
		}
		if len(runs) != len(cases) {
			t.Fatal("a run failed")
		}
		var total int64
		for _, r := range runs {
			total += r.reqs
		}
		if served.Load() != total {
			t.Errorf("the target served %d requests, the summaries counted %d", served.Load(), total)
		}
		problems, cleanBase := rateProblems(runs)
		switch {
		case len(problems) == 0:
			return
		case attempt < attempts:
			t.Logf("attempt %d missed the rate, trying again:\n%s", attempt, strings.Join(problems, "\n"))
		case cleanBase:
			t.Errorf("%d attempts missed the rate while the run without outputs held it; the last:\n%s", attempts, strings.Join(problems, "\n"))
			return
		default:
			t.Skipf("the machine is too busy to measure: in %d attempts the run without outputs could not hold %d iterations/s; the last:\n%s",
				attempts, outputRunRate, strings.Join(problems, "\n"))
		}
	}
}
