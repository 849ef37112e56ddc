package report_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/throng-dev/throng/outputs/report"
)

// event is one server-sent event.
type event struct{ name, data string }

// readEvents parses a text/event-stream body into events on a channel,
// closed when the stream ends.
func readEvents(body io.Reader) <-chan event {
	ch := make(chan event, 64)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(body)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		var e event
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				ch <- e
				e = event{}
			case strings.HasPrefix(line, "event: "):
				e.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				e.data += strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	return ch
}

func next(t *testing.T, ch <-chan event) event {
	t.Helper()
	select {
	case e, ok := <-ch:
		if !ok {
			t.Fatal("the event stream ended")
		}
		return e
	case <-time.After(30 * time.Second):
		t.Fatal("no event within 30 s")
	}
	return event{}
}

// The dashboard's event stream, read without a browser: the first update
// carries every bucket, later ones only the buckets that changed, and the
// last event the verdict and the report, after which the stream ends and
// the server is gone.
func TestDashboardEventStream(t *testing.T) {
	out := report.New(report.Config{Meta: testMeta, DashboardAddr: "127.0.0.1:0", UpdateInterval: 20 * time.Millisecond})
	live := startSynthetic(t, newSynthetic(), out)
	t.Cleanup(out.Close)
	live.push(0, 10, 5)
	// The samples reach the output through the manager's queue: wait
	// until all ten seconds are in, so that the first update a new page
	// gets has them all (later updates carry only the buckets that
	// changed, and none would come).
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if d := out.Aggregator().Snapshot(0); len(d.Series.Reqs) == 10 && d.Totals.Reqs == 50 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the pushed samples did not reach the output within 30 s")
		}
	}

	resp, err := http.Get(out.URL() + "events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	events := readEvents(resp.Body)
	var first report.Data
	for first.Series.Reqs == nil {
		if e := next(t, events); e.name == "update" {
			json.Unmarshal([]byte(e.data), &first)
		}
	}
	if first.Series.From != 0 || !first.Live || len(first.Series.Reqs) != 10 {
		t.Fatalf("first update: from %d, live %v, %d buckets; want all 10 from 0", first.Series.From, first.Live, len(first.Series.Reqs))
	}
	if len(first.Series.Heap) != 10 || len(first.Series.RSS) != 10 || !(first.Series.Heap[9] > 0) {
		t.Errorf("first update: %d RSS and %d Go heap points (last %v); want throng's memory for each of the 10 buckets",
			len(first.Series.RSS), len(first.Series.Heap), first.Series.Heap)
	}

	live.push(10, 12, 5)
	var later report.Data
	for later.Series.From+len(later.Series.Reqs) < 12 {
		if e := next(t, events); e.name == "update" {
			later = report.Data{}
			json.Unmarshal([]byte(e.data), &later)
		}
	}
	if later.Series.From < 9 || later.Totals.Reqs != 60 {
		t.Errorf("later update: from bucket %d with %d buckets, %v requests in all; want only the changed buckets (from 9 or 10) and 60",
			later.Series.From, len(later.Series.Reqs), later.Totals.Reqs)
	}

	r := live.end(12)
	html, err := out.Finish(r.summary)
	if err != nil {
		t.Fatal(err)
	}
	for e := next(t, events); e.name != "done"; e = next(t, events) {
	}
	if _, ok := <-events; ok {
		t.Error("the stream goes on after the done event")
	}
	if _, err := http.Get(out.URL()); err == nil {
		t.Error("the dashboard still answers after Finish")
	}
	if len(html) == 0 {
		t.Error("Finish returned no report")
	}
}

// The done event carries the final data with the summary, and the report
// byte for byte as Finish returns it.
func TestDashboardDoneEvent(t *testing.T) {
	out := report.New(report.Config{Meta: testMeta, DashboardAddr: "127.0.0.1:0", UpdateInterval: 20 * time.Millisecond})
	live := startSynthetic(t, newSynthetic(), out)
	t.Cleanup(out.Close)
	live.push(0, 3, 5)
	resp, err := http.Get(out.URL() + "events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	events := readEvents(resp.Body)
	if e := next(t, events); e.name != "update" {
		t.Fatalf("first event %q", e.name)
	}
	page, err := http.Get(out.URL())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(page.Body)
	page.Body.Close()
	if !strings.HasPrefix(string(body), "<!doctype html>") || !strings.Contains(string(body), `"live":true`) {
		t.Errorf("GET / is not the live page: %.200s", body)
	}

	r := live.end(3)
	html, err := out.Finish(r.summary)
	if err != nil {
		t.Fatal(err)
	}
	e := next(t, events)
	for e.name != "done" {
		e = next(t, events)
	}
	var done struct {
		Data   report.Data
		Report string
	}
	if err := json.Unmarshal([]byte(e.data), &done); err != nil {
		t.Fatal(err)
	}
	if done.Report != string(html) {
		t.Errorf("the done event's report (%d bytes) is not Finish's (%d bytes)", len(done.Report), len(html))
	}
	if !done.Data.Done || done.Data.Summary == nil || done.Data.Summary.Text != r.summary.Text || done.Data.Totals.Reqs != 15 {
		t.Errorf("done data: done %v, summary %v, %v requests", done.Data.Done, done.Data.Summary != nil, done.Data.Totals.Reqs)
	}
}
