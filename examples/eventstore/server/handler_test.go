package server_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/throng-dev/throng/examples/eventstore/server"
)

// target is a test server with a client that tallies the statuses it saw.
type target struct {
	t    *testing.T
	h    *server.Handler
	srv  *httptest.Server
	mu   sync.Mutex
	seen map[int]int64 // responses the client received, by status
	sent int64
}

func newTarget(t *testing.T, store server.Store) *target {
	t.Helper()
	h := server.NewHandler(store)
	srv := httptest.NewServer(h)
	tg := &target{t: t, h: h, srv: srv, seen: map[int]int64{}}
	t.Cleanup(func() {
		srv.Close()
		if err := store.Close(); err != nil {
			t.Errorf("closing store: %v", err)
		}
	})
	return tg
}

// stores returns a memory store and a disk store for tests that run on both.
func stores(t *testing.T) map[string]func() server.Store {
	return map[string]func() server.Store{
		"memory": func() server.Store { return server.NewMemoryStore() },
		"disk": func() server.Store {
			s, err := server.OpenDiskStore(t.TempDir(), server.FsyncNever)
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	}
}

type response struct {
	status int
	header http.Header
	body   string
}

func (tg *target) do(method, path string, header map[string]string, body string) response {
	tg.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, tg.srv.URL+path, rd)
	if err != nil {
		tg.t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := tg.srv.Client().Do(req)
	if err != nil {
		tg.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		tg.t.Fatal(err)
	}
	tg.mu.Lock()
	tg.seen[res.StatusCode]++
	tg.sent++
	tg.mu.Unlock()
	return response{res.StatusCode, res.Header, string(b)}
}

// appendEvents POSTs a JSON body; expected "" sends no ES-ExpectedVersion.
func (tg *target) appendEvents(stream, expected, body string) response {
	tg.t.Helper()
	h := map[string]string{"Content-Type": server.EventsMediaType}
	if expected != "" {
		h["ES-ExpectedVersion"] = expected
	}
	return tg.do("POST", "/streams/"+url.PathEscape(stream), h, body)
}

func (tg *target) get(path, accept string) response {
	tg.t.Helper()
	return tg.do("GET", path, map[string]string{"Accept": accept}, "")
}

var uuidN atomic.Int64

// newUUID returns a new, distinct, valid UUID.
func newUUID() string {
	return fmt.Sprintf("6f1e2d3c-4b5a-4978-8a6b-%012x", uuidN.Add(1))
}

// event returns one event's JSON with the given data (raw JSON).
func event(id, typ, data string) string {
	return fmt.Sprintf(`{"eventId":%q,"eventType":%q,"data":%s}`, id, typ, data)
}

type feed struct {
	Title        string `json:"title"`
	ID           string `json:"id"`
	StreamID     string `json:"streamId"`
	HeadOfStream bool   `json:"headOfStream"`
	Links        []struct {
		URI      string `json:"uri"`
		Relation string `json:"relation"`
	} `json:"links"`
	Entries []entry `json:"entries"`
}

type entry struct {
	EventID     *string `json:"eventId"`
	EventType   string  `json:"eventType"`
	EventNumber int64   `json:"eventNumber"`
	StreamID    string  `json:"streamId"`
	Data        *string `json:"data"`
	MetaData    *string `json:"metaData"`
	IsJSON      bool    `json:"isJson"`
	Updated     string  `json:"updated"`
	Title       string  `json:"title"`
	ID          string  `json:"id"`
	Summary     string  `json:"summary"`
	Links       []struct {
		URI      string `json:"uri"`
		Relation string `json:"relation"`
	} `json:"links"`
}

func decodeFeed(t *testing.T, r response) feed {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("status %d, want 200: %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, server.AtomMediaType) {
		t.Errorf("Content-Type %q, want %s", ct, server.AtomMediaType)
	}
	var f feed
	if err := json.Unmarshal([]byte(r.body), &f); err != nil {
		t.Fatalf("feed is not valid JSON: %v\n%s", err, r.body)
	}
	return f
}

func numbers(f feed) []int64 {
	var ns []int64
	for _, e := range f.Entries {
		ns = append(ns, e.EventNumber)
	}
	return ns
}

func TestAppendAndReadRoundTrip(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			tg := newTarget(t, open())
			// Data with whitespace, escapes and non-ASCII must come back byte for byte.
			datas := []string{
				`{"a": 1,` + "\n" + `  "b": "x\"y\u2028"}`,
				`[1, 2.50, "héllo 😀"]`,
				`"just a string"`,
			}
			ids := []string{newUUID(), newUUID(), newUUID()}
			body := "[" + event(ids[0], "First", datas[0]) + "," + event(ids[1], "Second", datas[1]) +
				`,{"eventId":"` + ids[2] + `","eventType":"Third","data":` + datas[2] + `,"metadata":{"m":true}}]`
			r := tg.appendEvents("order/42 é", "-1", body)
			if r.status != 201 {
				t.Fatalf("append: status %d: %s", r.status, r.body)
			}
			streamPath := "/streams/" + url.PathEscape("order/42 é")
			if loc, want := r.header.Get("Location"), tg.srv.URL+streamPath+"/0"; loc != want {
				t.Errorf("Location %q, want %q", loc, want)
			}
			r = tg.appendEvents("order/42 é", "2", "["+event(newUUID(), "Fourth", `{}`)+"]")
			if loc, want := r.header.Get("Location"), tg.srv.URL+streamPath+"/3"; r.status != 201 || loc != want {
				t.Errorf("second append: status %d, Location %q, want 201 and %q", r.status, loc, want)
			}

			f := decodeFeed(t, tg.get(streamPath+"/0/forward/10?embed=body", server.AtomMediaType))
			if f.StreamID != "order/42 é" || f.Title != "Event stream 'order/42 é'" || f.ID != tg.srv.URL+streamPath || !f.HeadOfStream {
				t.Errorf("feed header: streamId %q title %q id %q headOfStream %v", f.StreamID, f.Title, f.ID, f.HeadOfStream)
			}
			if got := fmt.Sprint(numbers(f)); got != "[3 2 1 0]" {
				t.Fatalf("entries %s, want newest first [3 2 1 0]", got)
			}
			for i, e := range f.Entries[1:] { // events 2, 1, 0
				n := 2 - i
				if e.Data == nil || *e.Data != datas[n] {
					t.Errorf("event %d: data %v, want the string %q", n, e.Data, datas[n])
				}
				if e.EventID == nil || *e.EventID != ids[n] || e.EventType != []string{"First", "Second", "Third"}[n] {
					t.Errorf("event %d: eventId %v eventType %q", n, e.EventID, e.EventType)
				}
				wantURL := tg.srv.URL + streamPath + "/" + strconv.Itoa(n)
				if e.Title != strconv.Itoa(n)+"@order/42 é" || e.ID != wantURL || e.StreamID != "order/42 é" || !e.IsJSON ||
					e.Updated == "" || len(e.Links) != 2 || e.Links[0].URI != wantURL {
					t.Errorf("event %d: entry %+v", n, e)
				}
			}
			if md := f.Entries[1].MetaData; md == nil || *md != `{"m":true}` {
				t.Errorf("event 2 metaData %v, want the string {\"m\":true}", md)
			}
			if md := f.Entries[3].MetaData; md == nil || *md != "" {
				t.Errorf("event 0 metaData %v, want empty string", md)
			}

			for n, data := range datas {
				r := tg.get(streamPath+"/"+strconv.Itoa(n), "application/json")
				if r.status != 200 || r.body != data || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
					t.Errorf("GET event %d as JSON: status %d body %q (%s), want %q", n, r.status, r.body, r.header.Get("Content-Type"), data)
				}
			}
			r = tg.get(streamPath+"/1", server.AtomMediaType)
			var atom struct {
				Title   string `json:"title"`
				Content struct {
					EventStreamID string          `json:"eventStreamId"`
					EventNumber   int64           `json:"eventNumber"`
					EventType     string          `json:"eventType"`
					EventID       string          `json:"eventId"`
					Data          json.RawMessage `json:"data"`
				} `json:"content"`
			}
			if err := json.Unmarshal([]byte(r.body), &atom); err != nil || r.status != 200 {
				t.Fatalf("GET event 1 as atom: status %d, %v: %s", r.status, err, r.body)
			}
			if c := atom.Content; atom.Title != "1@order/42 é" || c.EventStreamID != "order/42 é" || c.EventNumber != 1 ||
				c.EventType != "Second" || c.EventID != ids[1] || string(c.Data) != datas[1] {
				t.Errorf("atom entry: %+v", atom)
			}
			if r := tg.get(streamPath+"/head", "application/json"); r.status != 200 || r.body != "{}" {
				t.Errorf("GET head: status %d body %q", r.status, r.body)
			}
		})
	}
}

func TestExpectedVersion(t *testing.T) {
	tg := newTarget(t, server.NewMemoryStore())
	one := func() string { return "[" + event(newUUID(), "E", `{}`) + "]" }
	steps := []struct {
		stream, expected string
		status           int
		current          string // ES-CurrentVersion on a mismatch
		location         string // suffix of Location on success
	}{
		{"s", "5", 400, "-1", ""},  // stream does not exist
		{"s", "0", 400, "-1", ""},  // ... not even version 0
		{"s", "-1", 201, "", "/0"}, // -1: must not exist, and it does not
		{"s", "-1", 400, "0", ""},  // now it does
		{"s", "0", 201, "", "/1"},  // exact
		{"s", "0", 400, "1", ""},   // stale
		{"s", "2", 400, "1", ""},   // ahead
		{"s", "-2", 201, "", "/2"}, // any
		{"s", "", 201, "", "/3"},   // no header is any
		{"s", "3", 201, "", "/4"},
		{"t", "-2", 201, "", "/0"}, // any creates
		{"t", "abc", 400, "", ""},  // not a number
		{"t", "-3", 400, "", ""},   // not a valid version
	}
	for i, s := range steps {
		r := tg.appendEvents(s.stream, s.expected, one())
		if r.status != s.status {
			t.Fatalf("step %d (%s, expected %q): status %d, want %d: %s", i, s.stream, s.expected, r.status, s.status, r.body)
		}
		if got := r.header.Get("ES-CurrentVersion"); got != s.current {
			t.Errorf("step %d: ES-CurrentVersion %q, want %q", i, got, s.current)
		}
		if s.current != "" && strings.TrimSpace(r.body) != "Wrong expected EventNumber" {
			t.Errorf("step %d: body %q, want Wrong expected EventNumber", i, r.body)
		}
		if s.location != "" && !strings.HasSuffix(r.header.Get("Location"), "/streams/"+s.stream+s.location) {
			t.Errorf("step %d: Location %q, want suffix %s", i, r.header.Get("Location"), s.location)
		}
	}
	f := decodeFeed(t, tg.get("/streams/s/0/forward/20?embed=rich", server.AtomMediaType))
	if got := fmt.Sprint(numbers(f)); got != "[4 3 2 1 0]" {
		t.Errorf("stream s holds %s, want 5 events", got)
	}
}

func TestBadAppends(t *testing.T) {
	tg := newTarget(t, server.NewMemoryStore())
	good := event(newUUID(), "E", `{}`)
	cases := []struct {
		name, contentType, body, reason string
	}{
		{"malformed JSON", server.EventsMediaType, `[{"eventId": `, "malformed JSON"},
		{"not an array", server.EventsMediaType, good, "JSON array"},
		{"empty array", server.EventsMediaType, `[]`, "non-empty"},
		{"null", server.EventsMediaType, `null`, "non-empty"},
		{"empty body", server.EventsMediaType, ``, "malformed JSON"},
		{"missing eventId", server.EventsMediaType, `[{"eventType":"E","data":{}}]`, "eventId is missing"},
		{"bad eventId", server.EventsMediaType, `[{"eventId":"not-a-uuid","eventType":"E","data":{}}]`, "not a UUID"},
		{"bad eventId in second event", server.EventsMediaType, `[` + good + `,{"eventId":"6f1e2d3c-4b5a-4978-8a6b-00000000000g","eventType":"E"}]`, "event 1: eventId"},
		{"empty eventType", server.EventsMediaType, `[{"eventId":"` + newUUID() + `","eventType":"","data":{}}]`, "eventType"},
		{"missing eventType", server.EventsMediaType, `[{"eventId":"` + newUUID() + `","data":{}}]`, "eventType"},
		{"bad data JSON", server.EventsMediaType, `[{"eventId":"` + newUUID() + `","eventType":"E","data":{x}}]`, "malformed JSON"},
		{"JSON content type", "application/json", `[` + good + `]`, "Content-Type must be " + server.EventsMediaType},
		{"no content type", "", `[` + good + `]`, "Content-Type"},
		{"invalid UTF-8", server.EventsMediaType, "[" + event(newUUID(), "E", "\"\xff\"") + "]", "UTF-8"},
	}
	for _, c := range cases {
		r := tg.do("POST", "/streams/bad", map[string]string{"Content-Type": c.contentType}, c.body)
		if r.status != 400 || !strings.Contains(r.body, c.reason) {
			t.Errorf("%s: status %d body %q, want 400 mentioning %q", c.name, r.status, r.body, c.reason)
		}
	}
	// The charset parameter is fine.
	r := tg.do("POST", "/streams/good", map[string]string{"Content-Type": server.EventsMediaType + "; charset=utf-8"}, "["+good+"]")
	if r.status != 201 {
		t.Errorf("with charset: status %d: %s", r.status, r.body)
	}
	// Nothing was appended to the stream the bad requests named, even the
	// batch whose first event was good.
	if r := tg.get("/streams/bad/0", "application/json"); r.status != 404 {
		t.Errorf("stream written by bad requests: status %d, want 404", r.status)
	}
}

func TestNotFoundMethodsAndBadNumbers(t *testing.T) {
	tg := newTarget(t, server.NewMemoryStore())
	if r := tg.appendEvents("s", "", "["+event(newUUID(), "E", `1`)+"]"); r.status != 201 {
		t.Fatalf("append: %d", r.status)
	}
	cases := []struct {
		method, path string
		status       int
	}{
		{"GET", "/streams/missing", 404},
		{"GET", "/streams/missing/0", 404},
		{"GET", "/streams/missing/0/forward/10", 404},
		{"GET", "/streams/s/1", 404},
		{"GET", "/streams/s/99", 404},
		{"GET", "/", 404},
		{"GET", "/other", 404},
		{"GET", "/streams/", 404},
		{"GET", "/streams/s/0/sideways/10", 404},
		{"GET", "/streams/s/0/forward/10/more", 404},
		{"GET", "/streams/s/x", 400},
		{"GET", "/streams/s/-1", 400},
		{"GET", "/streams/s/x/forward/10", 400},
		{"GET", "/streams/s/-1/forward/10", 400},
		{"GET", "/streams/s/0/forward/0", 400},
		{"GET", "/streams/s/0/forward/-5", 400},
		{"GET", "/streams/s/0/forward/4097", 400},
		{"GET", "/streams/s/0/forward/many", 400},
		{"GET", "/streams/s/0/forward/4096", 200},
		{"GET", "/streams/s/0", 200},
		{"HEAD", "/streams/s/0", 200},
		{"DELETE", "/streams/s", 405},
		{"PUT", "/streams/s", 405},
		{"POST", "/streams/s/0", 405},
		{"DELETE", "/streams/s/0/forward/10", 405},
	}
	for _, c := range cases {
		r := tg.do(c.method, c.path, nil, "")
		if r.status != c.status {
			t.Errorf("%s %s: status %d, want %d: %s", c.method, c.path, r.status, c.status, r.body)
		}
		if c.status == 405 && r.header.Get("Allow") == "" {
			t.Errorf("%s %s: 405 without Allow", c.method, c.path)
		}
	}
}

func TestFeedPaging(t *testing.T) {
	tg := newTarget(t, server.NewMemoryStore())
	var events []string
	for i := 0; i < 25; i++ {
		events = append(events, event(newUUID(), "E"+strconv.Itoa(i), strconv.Itoa(i)))
	}
	if r := tg.appendEvents("p", "-1", "["+strings.Join(events, ",")+"]"); r.status != 201 {
		t.Fatalf("append: %d %s", r.status, r.body)
	}
	cases := []struct {
		path string
		want string
		head bool
	}{
		{"/streams/p/5/forward/10", "[14 13 12 11 10 9 8 7 6 5]", false},
		{"/streams/p/20/forward/10", "[24 23 22 21 20]", true},
		{"/streams/p/24/forward/1", "[24]", true},
		{"/streams/p/25/forward/10", "[]", true},
		{"/streams/p/1000/forward/10", "[]", true},
		{"/streams/p", "[24 23 22 21 20 19 18 17 16 15 14 13 12 11 10 9 8 7 6 5]", true},
		{"/streams/p/head/backward/3", "[24 23 22]", true},
		{"/streams/p/3/backward/10", "[3 2 1 0]", false},
		{"/streams/p/10/backward/2", "[10 9]", false},
		{"/streams/p/99/backward/2", "[24 23]", true},
	}
	for _, c := range cases {
		f := decodeFeed(t, tg.get(c.path+"?embed=body", server.AtomMediaType))
		if got := fmt.Sprint(numbers(f)); got != c.want || f.HeadOfStream != c.head {
			t.Errorf("%s: entries %s headOfStream %v, want %s %v", c.path, got, f.HeadOfStream, c.want, c.head)
		}
		for _, e := range f.Entries {
			if e.Data == nil || *e.Data != strconv.FormatInt(e.EventNumber, 10) || e.EventType != "E"+*e.Data {
				t.Errorf("%s: event %d has data %v type %q", c.path, e.EventNumber, e.Data, e.EventType)
			}
		}
	}
	// Links name the neighbouring pages.
	f := decodeFeed(t, tg.get("/streams/p/5/forward/10", server.AtomMediaType))
	links := map[string]string{}
	for _, l := range f.Links {
		links[l.Relation] = strings.TrimPrefix(l.URI, tg.srv.URL)
	}
	want := map[string]string{
		"self": "/streams/p", "first": "/streams/p/head/backward/10", "last": "/streams/p/0/forward/10",
		"previous": "/streams/p/15/forward/10", "next": "/streams/p/4/backward/10", "metadata": "/streams/p/metadata",
	}
	if fmt.Sprint(links) != fmt.Sprint(want) {
		t.Errorf("links %v, want %v", links, want)
	}
	// Without embed=body there is no data; without embed, no event fields.
	for _, e := range decodeFeed(t, tg.get("/streams/p/0/forward/3?embed=rich", server.AtomMediaType)).Entries {
		if e.Data != nil || e.EventID == nil || e.EventType == "" {
			t.Errorf("embed=rich entry %d: data %v eventId %v eventType %q", e.EventNumber, e.Data, e.EventID, e.EventType)
		}
	}
	f = decodeFeed(t, tg.get("/streams/p/0/forward/3", server.AtomMediaType))
	for i, e := range f.Entries {
		if e.Data != nil || e.EventID != nil || e.Title != strconv.Itoa(2-i)+"@p" || e.Summary != "E"+strconv.Itoa(2-i) {
			t.Errorf("plain entry %d: %+v", i, e)
		}
	}
}

// TestConcurrentAppends has writers append batches to one stream at once:
// every batch must land whole, with event numbers 0..N-1 and no gaps.
func TestConcurrentAppends(t *testing.T) {
	tg := newTarget(t, server.NewMemoryStore())
	const writers, batches, perBatch = 8, 25, 3
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := 0; b < batches; b++ {
				var evs []string
				for i := 0; i < perBatch; i++ {
					id := fmt.Sprintf("00000000-0000-4000-8000-%04d%04d%04d", w, b, i)
					evs = append(evs, event(id, "E", fmt.Sprintf(`{"w":%d,"b":%d,"i":%d}`, w, b, i)))
				}
				r := tg.appendEvents("hot", "-2", "["+strings.Join(evs, ",")+"]")
				if r.status != 201 {
					t.Errorf("writer %d batch %d: status %d: %s", w, b, r.status, r.body)
					return
				}
			}
		}()
	}
	wg.Wait()
	const total = writers * batches * perBatch
	f := decodeFeed(t, tg.get("/streams/hot/0/forward/4096?embed=body", server.AtomMediaType))
	if len(f.Entries) != total {
		t.Fatalf("%d events, want %d", len(f.Entries), total)
	}
	seen := map[string]bool{}
	for i, e := range f.Entries {
		if want := int64(total - 1 - i); e.EventNumber != want {
			t.Fatalf("entry %d has number %d, want %d", i, e.EventNumber, want)
		}
		var d struct{ W, B, I int }
		if err := json.Unmarshal([]byte(*e.Data), &d); err != nil {
			t.Fatal(err)
		}
		seen[*e.EventID] = true
		// Batches are atomic: event i of a batch sits right after event
		// i-1 of the same batch (entries are newest first).
		if d.I > 0 {
			var prev struct{ W, B, I int }
			json.Unmarshal([]byte(*f.Entries[i+1].Data), &prev)
			if prev.W != d.W || prev.B != d.B || prev.I != d.I-1 {
				t.Errorf("event %d (%+v) does not follow %+v: batch split", e.EventNumber, d, prev)
			}
		}
	}
	if len(seen) != total {
		t.Errorf("%d distinct event ids, want %d", len(seen), total)
	}
}

// TestStatsCountRequests checks that the handler counts exactly the
// responses the client received, by status.
func TestStatsCountRequests(t *testing.T) {
	tg := newTarget(t, server.NewMemoryStore())
	if by, total := tg.h.Stats(); total != 0 || len(by) != 0 {
		t.Fatalf("fresh handler: %v %d", by, total)
	}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stream := "stats-" + strconv.Itoa(w)
			for i := 0; i < 20; i++ {
				tg.appendEvents(stream, strconv.Itoa(i-1), "["+event(newUUID(), "E", `{}`)+"]")
				tg.appendEvents(stream, "-1", "["+event(newUUID(), "E", `{}`)+"]") // 400
				tg.get("/streams/"+stream+"/"+strconv.Itoa(i), "application/json")
				tg.get("/streams/"+stream+"/"+strconv.Itoa(i+1), "application/json") // 404
				tg.do("PATCH", "/streams/"+stream, nil, "")                          // 405
				tg.do("HEAD", "/streams/"+stream+"/0/forward/5", nil, "")
			}
		}()
	}
	wg.Wait()
	by, total := tg.h.Stats()
	tg.mu.Lock()
	defer tg.mu.Unlock()
	if total != tg.sent || fmt.Sprint(by) != fmt.Sprint(tg.seen) {
		t.Errorf("handler counted %d %v, client saw %d %v", total, by, tg.sent, tg.seen)
	}
	want := map[int]int64{200: 160, 201: 80, 400: 80, 404: 80, 405: 80}
	if fmt.Sprint(by) != fmt.Sprint(want) || total != 480 {
		t.Errorf("stats %v total %d, want %v total 480", by, total, want)
	}
	if got := server.FormatStats(by, total); got != "served 480 requests (200=160 201=80 400=80 404=80 405=80)" {
		t.Errorf("FormatStats: %q", got)
	}
}

func TestFormatStatsEmpty(t *testing.T) {
	if got := server.FormatStats(map[int]int64{}, 0); got != "served 0 requests ()" {
		t.Errorf("got %q", got)
	}
}

func BenchmarkReadPage(b *testing.B) {
	store := server.NewMemoryStore()
	h := server.NewHandler(store)
	var evs []server.Event
	for i := 0; i < 10; i++ {
		evs = append(evs, server.Event{EventID: fmt.Sprintf("6f1e2d3c-4b5a-4978-8a6b-%012x", i), EventType: "E",
			Data: json.RawMessage(`{"vu":1,"iter":2,"n":3,"note":"event 3 of demo-1-2-abcdef"}`)})
	}
	if _, err := store.Append("bench", server.ExpectedAny, evs); err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/streams/bench/0/forward/10?embed=body", nil)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}
