package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildTarget builds the command into a temporary directory.
func buildTarget(t *testing.T) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the test stops the target with SIGTERM")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not found:", err)
	}
	bin := filepath.Join(t.TempDir(), "eventstore-target")
	out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

type process struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
	addr           string
	exited         chan struct{} // closed when the process has exited
	waitErr        error         // cmd.Wait's result, once exited is closed
}

// start runs the target on a free port and waits for its address file.
func start(t *testing.T, bin string, args ...string) *process {
	t.Helper()
	addrFile := filepath.Join(t.TempDir(), "addr")
	p := &process{exited: make(chan struct{})}
	p.cmd = exec.Command(bin, append([]string{"-addr", "127.0.0.1:0", "-addr-file", addrFile}, args...)...)
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.waitErr = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() { // kill it by its PID if the test did not stop it
		select {
		case <-p.exited:
		default:
			p.cmd.Process.Kill()
			<-p.exited
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(addrFile); err == nil && len(b) > 0 {
			p.addr = string(b)
			return p
		}
		select {
		case <-p.exited:
			t.Fatalf("target exited before listening: %v\n%s", p.waitErr, p.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	p.cmd.Process.Kill()
	<-p.exited
	t.Fatalf("no address file after 10s\n%s", p.stderr.String())
	return nil
}

// stop sends SIGTERM to the target's PID and waits for it to exit.
func (p *process) stop(t *testing.T) error {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
		return p.waitErr
	case <-time.After(15 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
		t.Fatalf("target did not exit within 15s of SIGTERM\n%s", p.stderr.String())
		return nil
	}
}

func request(t *testing.T, client *http.Client, method, url, contentType, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

const eventsType = "application/vnd.eventstore.events+json"

func oneEvent(n int, data string) string {
	return fmt.Sprintf(`[{"eventId":"3c1e4a52-8f0b-4a7e-9d3c-%012d","eventType":"Demo","data":%s}]`, n, data)
}

func TestCommandServesAndReportsOnSIGTERM(t *testing.T) {
	bin := buildTarget(t)
	p := start(t, bin)
	if !regexp.MustCompile(`^127\.0\.0\.1:\d+$`).MatchString(p.addr) {
		t.Fatalf("address file holds %q", p.addr)
	}
	base := "http://" + p.addr
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()

	steps := []struct {
		method, path, contentType, body string
		status                          int
	}{
		{"POST", "/streams/demo", eventsType, oneEvent(1, `{"a": 1}`), 201},
		{"POST", "/streams/demo", eventsType, oneEvent(2, `{"b": 2}`), 201},
		{"GET", "/streams/demo/1", "", "", 200},
		{"GET", "/streams/demo/0/forward/10?embed=body", "", "", 200},
		{"GET", "/streams/nope/0", "", "", 404},
		{"POST", "/streams/demo", "application/json", oneEvent(3, `{}`), 400},
		{"DELETE", "/streams/demo", "", "", 405},
	}
	for _, s := range steps {
		status, body := request(t, client, s.method, base+s.path, s.contentType, s.body)
		if status != s.status {
			t.Errorf("%s %s: status %d, want %d: %s", s.method, s.path, status, s.status, body)
		}
		if s.path == "/streams/demo/1" && body != `{"b": 2}` {
			t.Errorf("event 1 is %q", body)
		}
	}

	if err := p.stop(t); err != nil {
		t.Fatalf("exit: %v, want status 0\nstderr:\n%s", err, p.stderr.String())
	}
	if got, want := p.stdout.String(), "eventstore-target: served 7 requests (200=2 201=2 400=1 404=1 405=1)\n"; got != want {
		t.Errorf("stdout %q, want %q", got, want)
	}
	want := "eventstore-target: listening on http://" + p.addr + " (storage: memory, fsync interval)\n"
	if got := p.stderr.String(); got != want {
		t.Errorf("stderr %q, want %q", got, want)
	}
}

func TestCommandDiskStorageSurvivesRestart(t *testing.T) {
	bin := buildTarget(t)
	dir := filepath.Join(t.TempDir(), "data")
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()

	p := start(t, bin, "-data-dir", dir, "-fsync", "always")
	if status, body := request(t, client, "POST", "http://"+p.addr+"/streams/kept", eventsType, oneEvent(1, `[1, 2, 3]`)); status != 201 {
		t.Fatalf("append: %d %s", status, body)
	}
	if err := p.stop(t); err != nil {
		t.Fatalf("exit: %v\n%s", err, p.stderr.String())
	}
	if !strings.Contains(p.stderr.String(), "(storage: disk "+dir+", fsync always)") {
		t.Errorf("stderr %q does not name the storage", p.stderr.String())
	}
	client.CloseIdleConnections()

	p = start(t, bin, "-data-dir", dir, "-fsync", "never")
	status, body := request(t, client, "GET", "http://"+p.addr+"/streams/kept/0", "", "")
	if status != 200 || body != `[1, 2, 3]` {
		t.Errorf("after restart: %d %q", status, body)
	}
	if err := p.stop(t); err != nil {
		t.Fatalf("exit: %v\n%s", err, p.stderr.String())
	}
	if got := p.stdout.String(); got != "eventstore-target: served 1 requests (200=1)\n" {
		t.Errorf("stdout %q", got)
	}
}

func TestCommandBadFlags(t *testing.T) {
	bin := buildTarget(t)
	for _, args := range [][]string{{"-fsync", "sometimes"}, {"extra-arg"}} {
		cmd := exec.Command(bin, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 2 {
			t.Errorf("%v: %v, want exit status 2", args, err)
		}
		if args[0] == "-fsync" && (!strings.Contains(stderr.String(), "-fsync") || !strings.Contains(stderr.String(), "always, interval, never")) {
			t.Errorf("%v: stderr does not name the flag and its values:\n%s", args, stderr.String())
		}
	}
}
