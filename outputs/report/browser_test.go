package report_test

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// browser is a real headless Chromium driven over the DevTools protocol.
// It talks over --remote-debugging-pipe (file descriptors 3 and 4, one
// JSON message per NUL-terminated frame), which needs neither a port nor
// a websocket library. It records what a page must not do: log errors,
// throw, or reach past the origins a test allows.
type browser struct {
	t       *testing.T
	cmd     *exec.Cmd
	exited  chan struct{}
	w       io.WriteCloser
	allowed func(u *url.URL) bool

	mu       sync.Mutex
	nextID   int
	pending  map[int]chan message
	session  string
	problems []string // console errors, exceptions, error log entries
	requests []string // every URL the page asked for
	blocked  []string // requests stopped because they left the allowed origins
	loaded   chan struct{}
}

type message struct {
	ID        int                       `json:"id,omitempty"`
	Method    string                    `json:"method,omitempty"`
	Params    json.RawMessage           `json:"params,omitempty"`
	Result    json.RawMessage           `json:"result,omitempty"`
	Error     *struct{ Message string } `json:"error,omitempty"`
	SessionID string                    `json:"sessionId,omitempty"`
}

// chromium finds the browser, or skips the test (fails it when
// THRONG_REQUIRE_SERVICES=1, as under make test).
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("THRONG_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const hint = "apt-get install -y chromium (scripts/services.sh start does it as root), or set THRONG_CHROMIUM"
	if os.Getenv("THRONG_REQUIRE_SERVICES") == "1" {
		t.Fatalf("no Chromium found and THRONG_REQUIRE_SERVICES=1: %s", hint)
	}
	t.Skipf("no Chromium found: %s", hint)
	return ""
}

// newBrowser starts Chromium with a fresh profile and a page whose
// requests outside allowed are blocked and recorded. Any host name other
// than 127.0.0.1 fails to resolve, so nothing can leave the machine even
// past the interception.
func newBrowser(t *testing.T, allowed func(u *url.URL) bool) *browser {
	t.Helper()
	bin := chromium(t)
	toChrome, ourW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	ourR, fromChrome, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio",
		"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
		"--user-data-dir="+t.TempDir(), "--remote-debugging-pipe", "about:blank")
	cmd.ExtraFiles = []*os.File{toChrome, fromChrome} // fds 3 and 4
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	toChrome.Close()
	fromChrome.Close()
	b := &browser{t: t, cmd: cmd, exited: make(chan struct{}), w: ourW, allowed: allowed,
		pending: map[int]chan message{}, loaded: make(chan struct{}, 16)}
	go func() { cmd.Wait(); close(b.exited) }()
	go b.read(ourR)
	t.Cleanup(func() {
		b.close()
		if t.Failed() {
			t.Logf("chromium's stderr:\n%s", lastLines(stderr.String(), 30))
		}
	})
	b.openPage()
	return b
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// close asks Chromium to quit, and kills its process group (which this
// test started) if it has not within 10 s.
func (b *browser) close() {
	b.send("", "Browser.close", nil, nil)
	select {
	case <-b.exited:
	case <-time.After(10 * time.Second):
		syscall.Kill(-b.cmd.Process.Pid, syscall.SIGKILL)
		<-b.exited
	}
	b.w.Close()
}

func (b *browser) read(r io.Reader) {
	br := bufio.NewReaderSize(r, 1<<20)
	for {
		frame, err := br.ReadBytes(0)
		if err != nil {
			b.mu.Lock()
			for id, ch := range b.pending {
				close(ch)
				delete(b.pending, id)
			}
			b.mu.Unlock()
			return
		}
		var m message
		if json.Unmarshal(frame[:len(frame)-1], &m) != nil {
			continue
		}
		if m.ID != 0 {
			b.mu.Lock()
			ch := b.pending[m.ID]
			delete(b.pending, m.ID)
			b.mu.Unlock()
			if ch != nil {
				ch <- m
			}
			continue
		}
		b.event(m)
	}
}

// send writes a command; when reply is not nil, the answer goes there.
// It does not wait, so the reader may call it.
func (b *browser) send(session, method string, params any, reply chan message) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.nextID++
	m := map[string]any{"id": b.nextID, "method": method, "params": params}
	if session != "" {
		m["sessionId"] = session
	}
	if reply != nil {
		b.pending[b.nextID] = reply
	}
	raw, _ := json.Marshal(m)
	b.w.Write(append(raw, 0))
}

// call runs a command on the page (or the browser, for Target.*) and
// returns its result.
func (b *browser) call(method string, params any) json.RawMessage {
	b.t.Helper()
	session := b.session
	if strings.HasPrefix(method, "Target.") || strings.HasPrefix(method, "Browser.") {
		session = ""
	}
	ch := make(chan message, 1)
	b.send(session, method, params, ch)
	select {
	case m, ok := <-ch:
		if !ok {
			b.t.Fatalf("%s: chromium went away", method)
		}
		if m.Error != nil {
			b.t.Fatalf("%s: %s", method, m.Error.Message)
		}
		return m.Result
	case <-time.After(60 * time.Second):
		b.t.Fatalf("%s: no answer from chromium within 60 s", method)
	}
	return nil
}

// openPage makes a page, attaches to it and turns on what is watched:
// console, exceptions, the log, every request, and interception of
// requests to decide which may go.
func (b *browser) openPage() {
	var target struct{ TargetID string }
	json.Unmarshal(b.call("Target.createTarget", map[string]any{"url": "about:blank"}), &target)
	var attached struct{ SessionID string }
	json.Unmarshal(b.call("Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}), &attached)
	b.session = attached.SessionID
	for _, m := range []string{"Page.enable", "Runtime.enable", "Log.enable", "Network.enable"} {
		b.call(m, map[string]any{})
	}
	b.call("Fetch.enable", map[string]any{"patterns": []map[string]any{{"urlPattern": "*"}}})
	b.call("Emulation.setDeviceMetricsOverride", map[string]any{"width": 1400, "height": 1000, "deviceScaleFactor": 1, "mobile": false})
}

func (b *browser) event(m message) {
	switch m.Method {
	case "Page.loadEventFired":
		select {
		case b.loaded <- struct{}{}:
		default:
		}
	case "Runtime.consoleAPICalled":
		var p struct {
			Type string
			Args []struct {
				Value       any
				Description string
			}
		}
		json.Unmarshal(m.Params, &p)
		if p.Type == "error" || p.Type == "assert" {
			var parts []string
			for _, a := range p.Args {
				parts = append(parts, fmt.Sprint(a.Value, a.Description))
			}
			b.problem("console." + p.Type + ": " + strings.Join(parts, " "))
		}
	case "Runtime.exceptionThrown":
		var p struct {
			ExceptionDetails struct {
				Text      string
				Exception struct{ Description string }
			}
		}
		json.Unmarshal(m.Params, &p)
		b.problem("exception: " + p.ExceptionDetails.Text + " " + p.ExceptionDetails.Exception.Description)
	case "Log.entryAdded":
		var p struct {
			Entry struct{ Level, Text, URL string }
		}
		json.Unmarshal(m.Params, &p)
		if p.Entry.Level == "error" {
			b.problem("log: " + p.Entry.Text + " " + p.Entry.URL)
		}
	case "Network.requestWillBeSent":
		var p struct{ Request struct{ URL string } }
		json.Unmarshal(m.Params, &p)
		b.mu.Lock()
		b.requests = append(b.requests, p.Request.URL)
		b.mu.Unlock()
	case "Fetch.requestPaused":
		b.intercept(m.Params)
	}
}

// intercept lets a request go on when its origin is allowed, and fails it
// otherwise. It must not wait for the answer: it runs on the reader.
func (b *browser) intercept(params json.RawMessage) {
	var p struct {
		RequestID string
		Request   struct{ URL string }
	}
	json.Unmarshal(params, &p)
	u, err := url.Parse(p.Request.URL)
	if err == nil && b.allowed(u) {
		b.send(b.session, "Fetch.continueRequest", map[string]any{"requestId": p.RequestID}, nil)
		return
	}
	b.mu.Lock()
	b.blocked = append(b.blocked, p.Request.URL)
	b.mu.Unlock()
	b.send(b.session, "Fetch.failRequest", map[string]any{"requestId": p.RequestID, "errorReason": "BlockedByClient"}, nil)
}

func (b *browser) problem(s string) {
	b.mu.Lock()
	b.problems = append(b.problems, s)
	b.mu.Unlock()
}

// navigate opens u and waits for its load event.
func (b *browser) navigate(u string) {
	b.t.Helper()
	for len(b.loaded) > 0 { // an earlier page's load
		<-b.loaded
	}
	b.call("Page.navigate", map[string]any{"url": u})
	select {
	case <-b.loaded:
	case <-time.After(60 * time.Second):
		b.t.Fatalf("%s did not load within 60 s", u)
	}
}

// eval evaluates a JavaScript expression in the page and decodes its
// (JSON-serialisable) value into out.
func (b *browser) eval(expr string, out any) {
	b.t.Helper()
	var r struct {
		Result struct {
			Value json.RawMessage
		}
		ExceptionDetails *struct {
			Text      string
			Exception struct{ Description string }
		}
	}
	json.Unmarshal(b.call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}), &r)
	if r.ExceptionDetails != nil {
		b.t.Fatalf("evaluating %.60q: %s %s", expr, r.ExceptionDetails.Text, r.ExceptionDetails.Exception.Description)
	}
	if out != nil && len(r.Result.Value) > 0 {
		if err := json.Unmarshal(r.Result.Value, out); err != nil {
			b.t.Fatalf("evaluating %.60q: %v (%s)", expr, err, r.Result.Value)
		}
	}
}

// waitFor polls a JavaScript condition until it holds, within a bound
// generous enough for a loaded machine: this is waiting, not timing.
func (b *browser) waitFor(what, cond string) {
	b.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var ok bool
		b.eval("(() => { try { return !!("+cond+"); } catch (e) { return false; } })()", &ok)
		if ok {
			return
		}
		if time.Now().After(deadline) {
			var st any
			b.eval("window.throngStatus", &st)
			b.t.Fatalf("%s: not within 60 s (%s); page status %v; problems %v", what, cond, st, b.pageProblems())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// screenshot returns a PNG of the whole page.
func (b *browser) screenshot() []byte {
	b.t.Helper()
	var layout struct {
		CSSContentSize struct{ Width, Height float64 }
	}
	json.Unmarshal(b.call("Page.getLayoutMetrics", map[string]any{}), &layout)
	h := max(layout.CSSContentSize.Height, 600)
	var shot struct{ Data string }
	json.Unmarshal(b.call("Page.captureScreenshot", map[string]any{
		"format": "png", "captureBeyondViewport": true,
		"clip": map[string]any{"x": 0, "y": 0, "width": 1400, "height": h, "scale": 1},
	}), &shot)
	png, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil || len(png) < 8 || string(png[1:4]) != "PNG" {
		b.t.Fatalf("screenshot: not a PNG (%v)", err)
	}
	return png
}

func (b *browser) pageProblems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.problems...)
}

func (b *browser) pageRequests() (requests, blocked []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.requests...), append([]string(nil), b.blocked...)
}
