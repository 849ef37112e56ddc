package faulttarget

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func start(t *testing.T, cfg Config) *Target {
	t.Helper()
	tg, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tg.Close() })
	return tg
}

// get fetches path with a fresh client and reads the whole body.
func get(tg *Target, path string, timeout time.Duration) (*http.Response, []byte, error) {
	c := &http.Client{Timeout: timeout, Transport: &http.Transport{}}
	defer c.CloseIdleConnections()
	resp, err := c.Get(tg.URL + path)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

// TestEachFaultLooksAsIntendedToGo checks every path against Go's own
// client: what the client sees, and that the target counted it.
func TestEachFaultLooksAsIntendedToGo(t *testing.T) {
	tg := start(t, Config{Slow: Step(0, 50*time.Millisecond)})

	if resp, body, err := get(tg, "/ok", 5*time.Second); err != nil || resp.StatusCode != 200 || string(body) != "ok" {
		t.Errorf("/ok: %v %v %q", resp, err, body)
	}
	if _, body, err := get(tg, "/reset", 5*time.Second); !errors.Is(err, syscall.ECONNRESET) || len(body) > 512 {
		t.Errorf("/reset: %d body bytes, err %v; want a reset after at most 512 bytes", len(body), err)
	}
	if _, _, err := get(tg, "/stall/headers", 200*time.Millisecond); err == nil || !strings.Contains(err.Error(), "Timeout") {
		t.Errorf("/stall/headers: %v, want a client timeout", err)
	}
	if resp, body, err := get(tg, "/stall/headers?for=10ms", 5*time.Second); err != nil || resp.StatusCode != 200 || string(body) != "late" {
		t.Errorf("/stall/headers?for=10ms: %v %q", err, body)
	}
	if _, body, err := get(tg, "/stall/body", 300*time.Millisecond); err == nil || len(body) != 512 {
		t.Errorf("/stall/body: %d body bytes, err %v; want 512 then a timeout", len(body), err)
	}
	if _, _, err := get(tg, "/malformed", 5*time.Second); err == nil || !strings.Contains(err.Error(), "malformed HTTP") {
		t.Errorf("/malformed: %v", err)
	}
	if resp, body, err := get(tg, "/huge?size=3M", 5*time.Second); err != nil || resp.ContentLength != 3<<20 || len(body) != 3<<20 {
		t.Errorf("/huge?size=3M: %d bytes, err %v", len(body), err)
	}
	if resp, body, err := get(tg, "/close", 5*time.Second); err != nil || resp.Close || string(body) != "ok" {
		t.Errorf("/close: %v %q (the response must not announce the close)", err, body)
	}
	if resp, _, err := get(tg, "/slow", 5*time.Second); err != nil || resp.StatusCode != 200 {
		t.Errorf("/slow: %v", err)
	}
	for _, code := range []int{103, 200, 204, 304, 404, 503} {
		resp, _, err := get(tg, "/status/"+strconv.Itoa(code), 5*time.Second)
		want := code
		if code == 103 {
			want = 200 // the informational response is skipped by the client
		}
		if err != nil || resp.StatusCode != want {
			t.Errorf("/status/%d: %v, status %v", code, err, resp)
		}
	}
	if resp, _, err := get(tg, "/status/302", 5*time.Second); err != nil || resp.Request.URL.Path != "/ok" {
		t.Errorf("/status/302 must redirect to /ok: %v %v", err, resp)
	}

	want := map[Fault]int64{Reset: 1, StallHeaders: 2, StallBody: 1, Malformed: 1, HugeBody: 1, EarlyClose: 1, Slow: 1,
		Status(103): 1, Status(200): 1, Status(204): 1, Status(304): 1, Status(404): 1, Status(503): 1, Status(302): 1}
	got := tg.Counts()
	for f, n := range want {
		if got[f] != n {
			t.Errorf("count %s = %d, want %d (%s)", f, got[f], n, tg)
		}
	}
	if len(got) != len(want) || tg.HugeBytes() != 3<<20 {
		t.Errorf("counts %s; huge bytes %d", tg, tg.HugeBytes())
	}
}

func TestRefusedURLRefuses(t *testing.T) {
	u, err := RefusedURL()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(u); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("GET %s: %v, want connection refused", u, err)
	}
}

// TestSlowFollowsTheSchedule: before the step no delay is injected, after
// it every request is delayed.
func TestSlowFollowsTheSchedule(t *testing.T) {
	before := start(t, Config{Slow: Step(time.Hour, time.Hour)})
	if _, _, err := get(before, "/slow", 5*time.Second); err != nil || before.Count(Slow) != 0 {
		t.Fatalf("before the step: %v, %s", err, before)
	}
	after := start(t, Config{Slow: Step(0, time.Hour)})
	if _, _, err := get(after, "/slow", time.Second); err == nil || after.Count(Slow) != 1 {
		t.Fatalf("after the step: %v, %s", err, after)
	}
}

func TestCloseEndsStalls(t *testing.T) {
	tg := start(t, Config{})
	done := make(chan error, 1)
	go func() { _, _, err := get(tg, "/stall/headers?for=1h", time.Hour); done <- err }()
	for tg.Count(StallHeaders) == 0 {
		time.Sleep(time.Millisecond)
	}
	tg.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Error("a stall cut by Close must fail the request")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Close did not end the stall")
	}
}

func TestParseSize(t *testing.T) {
	for s, want := range map[string]int64{"0": 0, "512": 512, "64K": 64 << 10, "2M": 2 << 20, "10G": 10 << 30} {
		if got, err := ParseSize(s); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "-1", "1T", "G", "9999999999G"} {
		if _, err := ParseSize(s); err == nil {
			t.Errorf("ParseSize(%q) accepted", s)
		}
	}
}
