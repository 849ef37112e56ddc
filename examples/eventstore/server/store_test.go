package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

func ev(i int, data string) Event {
	e := Event{EventID: fmt.Sprintf("0b1c2d3e-4f50-4617-8a9b-%012d", i), EventType: fmt.Sprintf("T%d", i)}
	if data != "" {
		e.Data = json.RawMessage(data)
	}
	return e
}

func TestMemoryStoreBasics(t *testing.T) {
	s := NewMemoryStore()
	if _, _, err := s.Read("x", 0, 10); !errors.Is(err, ErrStreamNotFound) {
		t.Errorf("Read missing: %v", err)
	}
	if _, err := s.Get("x", 0); !errors.Is(err, ErrStreamNotFound) {
		t.Errorf("Get missing: %v", err)
	}
	var wev *WrongExpectedVersion
	if _, err := s.Append("x", 3, []Event{ev(0, `1`)}); !errors.As(err, &wev) || wev.Current != -1 || wev.Expected != 3 {
		t.Errorf("Append expected 3 to missing stream: %v", err)
	}
	// The failed append must not make the stream visible.
	if _, _, err := s.Read("x", 0, 10); !errors.Is(err, ErrStreamNotFound) {
		t.Errorf("Read after failed append: %v", err)
	}
	if first, err := s.Append("x", ExpectedNoStream, []Event{ev(0, `0`), ev(1, `1`), ev(2, "")}); first != 0 || err != nil {
		t.Fatalf("Append: %d %v", first, err)
	}
	if first, err := s.Append("x", 2, []Event{ev(3, `3`)}); first != 3 || err != nil {
		t.Fatalf("Append expected 2: %d %v", first, err)
	}
	if _, err := s.Append("x", ExpectedNoStream, []Event{ev(4, `4`)}); !errors.As(err, &wev) || wev.Current != 3 {
		t.Errorf("Append expected -1 to existing stream: %v", err)
	}
	if _, err := s.Append("x", -3, []Event{ev(4, `4`)}); !errors.Is(err, ErrInvalidExpectedVersion) {
		t.Errorf("Append expected -3: %v", err)
	}
	if _, err := s.Append("x", ExpectedAny, nil); !errors.Is(err, ErrInvalidEvent) {
		t.Errorf("Append no events: %v", err)
	}
	if _, err := s.Append("x", ExpectedAny, []Event{{EventID: "nope", EventType: "T"}}); !errors.Is(err, ErrInvalidEvent) {
		t.Errorf("Append bad id: %v", err)
	}

	for _, c := range []struct {
		from  int64
		count int
		want  string
	}{
		{0, 10, "[0 1 2 3]"}, {1, 2, "[1 2]"}, {3, 100, "[3]"}, {4, 10, "[]"}, {-5, 1, "[0]"}, {0, 0, "[]"},
	} {
		evs, last, err := s.Read("x", c.from, c.count)
		var ns []int64
		for _, e := range evs {
			ns = append(ns, e.Number)
			if e.StreamID != "x" || e.Created.IsZero() {
				t.Errorf("event %d: stream %q created %v", e.Number, e.StreamID, e.Created)
			}
		}
		if fmt.Sprint(ns) != c.want || last != 3 || err != nil {
			t.Errorf("Read(%d, %d) = %v %d %v, want %s 3", c.from, c.count, ns, last, err, c.want)
		}
	}
	if e, err := s.Get("x", 2); err != nil || e.Data != nil || e.EventType != "T2" {
		t.Errorf("Get 2 (no data): %+v %v", e, err)
	}
	if _, err := s.Get("x", 4); !errors.Is(err, ErrEventNotFound) {
		t.Errorf("Get 4: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append("x", ExpectedAny, []Event{ev(5, `5`)}); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close: %v", err)
	}
	if _, err := s.Append("new", ExpectedAny, []Event{ev(5, `5`)}); !errors.Is(err, ErrClosed) {
		t.Errorf("Append new stream after Close: %v", err)
	}
}

// TestOptimisticConcurrency races writers that each append with the version
// they last read: each version must be won by exactly one of them.
func TestOptimisticConcurrency(t *testing.T) {
	for _, open := range []func(t *testing.T) Store{
		func(*testing.T) Store { return NewMemoryStore() },
		func(t *testing.T) Store {
			s, err := OpenDiskStore(t.TempDir(), FsyncNever)
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	} {
		s := open(t)
		const writers, target = 8, 200
		var (
			wg        sync.WaitGroup
			mu        sync.Mutex
			successes int
			conflicts int
		)
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 10*target; i++ { // bounded
					_, last, err := s.Read("occ", 1<<62, 0)
					if errors.Is(err, ErrStreamNotFound) {
						last = -1
					} else if err != nil {
						t.Error(err)
						return
					}
					if last >= target-1 {
						return
					}
					_, err = s.Append("occ", last, []Event{ev(w*100000+i, fmt.Sprintf(`{"w":%d}`, w))})
					mu.Lock()
					var wev *WrongExpectedVersion
					switch {
					case err == nil:
						successes++
					case errors.As(err, &wev):
						conflicts++
					default:
						t.Error(err)
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		evs, last, err := s.Read("occ", 0, 4096)
		if err != nil || last != target-1 || len(evs) != target || successes != target {
			t.Errorf("%T: %d events, last %d, %d successes, %v; want %d", s, len(evs), last, successes, err, target)
		}
		t.Logf("%T: %d successes, %d conflicts", s, successes, conflicts)
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	}
}

func TestDiskStoreReopen(t *testing.T) {
	names := []string{
		"simple", "a/b", "../escape", ".", "..", "with space", "ünïcödé-流", "CON", "x\x00y",
		strings.Repeat("long-", 60), // beyond the hex name limit
	}
	for _, policy := range []FsyncPolicy{FsyncAlways, FsyncInterval, FsyncNever} {
		t.Run(policy.String(), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			s, err := OpenDiskStore(dir, policy)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string][]RecordedEvent{}
			for i, name := range names {
				evs := []Event{
					ev(i*10, `{"pretty": [1, 2],`+"\n"+`  "s": "line\nbreak \"q\" \u2028 é"}`),
					ev(i*10+1, ""), // no data
					{EventID: ev(i*10+2, "").EventID, EventType: "with meta", Data: json.RawMessage(`42`), Metadata: json.RawMessage(`{"m": 1}`)},
				}
				if _, err := s.Append(name, ExpectedNoStream, evs[:1]); err != nil {
					t.Fatal(err)
				}
				if _, err := s.Append(name, 0, evs[1:]); err != nil {
					t.Fatal(err)
				}
				got, _, err := s.Read(name, 0, 10)
				if err != nil {
					t.Fatal(err)
				}
				want[name] = got
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Append("simple", ExpectedAny, []Event{ev(99, `1`)}); !errors.Is(err, ErrClosed) {
				t.Errorf("Append after Close: %v", err)
			}

			// One file per stream, with safe names.
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			safe := regexp.MustCompile(`^[sh]-[0-9a-f]+\.jsonl$`)
			for _, e := range entries {
				if !safe.MatchString(e.Name()) || len(e.Name()) > 255 {
					t.Errorf("unexpected file %q", e.Name())
				}
			}
			if len(entries) != len(names) {
				t.Errorf("%d files, want %d", len(entries), len(names))
			}

			s2, err := OpenDiskStore(dir, policy)
			if err != nil {
				t.Fatal(err)
			}
			defer s2.Close()
			for _, name := range names {
				got, last, err := s2.Read(name, 0, 10)
				if err != nil || last != 2 {
					t.Fatalf("%q: last %d, %v", name, last, err)
				}
				for i := range got {
					g, w := got[i], want[name][i]
					if g.EventID != w.EventID || g.EventType != w.EventType || string(g.Data) != string(w.Data) ||
						(g.Data == nil) != (w.Data == nil) || string(g.Metadata) != string(w.Metadata) ||
						g.Number != w.Number || g.StreamID != name || !g.Created.Equal(w.Created) {
						t.Errorf("%q event %d: got %+v, want %+v", name, i, g, w)
					}
				}
			}
			// Appends continue the numbering, in the same file.
			if first, err := s2.Append("a/b", 2, []Event{ev(500, `"more"`)}); first != 3 || err != nil {
				t.Fatalf("append after reopen: %d %v", first, err)
			}
			if err := s2.Close(); err != nil {
				t.Fatal(err)
			}
			s3, err := OpenDiskStore(dir, policy)
			if err != nil {
				t.Fatal(err)
			}
			defer s3.Close()
			if e, err := s3.Get("a/b", 3); err != nil || string(e.Data) != `"more"` {
				t.Errorf("event appended after reopen: %+v %v", e, err)
			}
		})
	}
}

func TestDiskStoreTornWrite(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenDiskStore(dir, FsyncAlways)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append("torn", ExpectedAny, []Event{ev(0, `0`), ev(1, `1`)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, streamFileName("torn"))
	before, _ := os.ReadFile(path)
	// A crash in the middle of a write leaves a partial line...
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"n":2,"id":"0b1c2d3e-4f50-46`)
	f.Close()
	// ...and a file whose first write was torn.
	os.WriteFile(filepath.Join(dir, streamFileName("never")), []byte(`{"stream":"nev`), 0o644)

	s, err = OpenDiskStore(dir, FsyncAlways)
	if err != nil {
		t.Fatal(err)
	}
	if _, last, err := s.Read("torn", 0, 10); last != 1 || err != nil {
		t.Errorf("after torn write: last %d, %v", last, err)
	}
	if _, _, err := s.Read("never", 0, 10); !errors.Is(err, ErrStreamNotFound) {
		t.Errorf("stream with torn first write: %v", err)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Errorf("torn line not cut off:\n%s", after)
	}
	if first, err := s.Append("torn", 1, []Event{ev(2, `2`)}); first != 2 || err != nil {
		t.Fatalf("append after recovery: %d %v", first, err)
	}
	if _, err := s.Append("never", ExpectedNoStream, []Event{ev(3, `3`)}); err != nil {
		t.Fatalf("create the stream whose first write was torn: %v", err)
	}
	s.Close()
	s, err = OpenDiskStore(dir, FsyncAlways)
	if err != nil {
		t.Fatal(err)
	}
	if _, last, _ := s.Read("torn", 0, 10); last != 2 {
		t.Errorf("after recovery and append: last %d, want 2", last)
	}
	s.Close()

	// A bad line in the middle is corruption, not a torn write.
	data, _ := os.ReadFile(path)
	lines := strings.SplitAfter(string(data), "\n")
	lines[1] = "garbage\n"
	os.WriteFile(path, []byte(strings.Join(lines, "")), 0o644)
	if _, err := OpenDiskStore(dir, FsyncAlways); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("open with a corrupt line: %v", err)
	}
}

func TestDiskStoreIntervalSync(t *testing.T) {
	d, err := OpenDiskStore(t.TempDir(), FsyncInterval)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Append("s", ExpectedAny, []Event{ev(0, `0`)}); err != nil {
		t.Fatal(err)
	}
	dirty := func() int {
		d.dirtyMu.Lock()
		defer d.dirtyMu.Unlock()
		n := len(d.dirty)
		if d.dirDirty {
			n++
		}
		return n
	}
	if dirty() == 0 {
		t.Fatal("append did not mark the file dirty")
	}
	deadline := time.Now().Add(5 * time.Second)
	for dirty() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := dirty(); n > 0 {
		t.Errorf("%d files still dirty after the sync interval", n)
	}
}

func TestParseFsyncPolicy(t *testing.T) {
	for _, p := range []FsyncPolicy{FsyncAlways, FsyncInterval, FsyncNever} {
		if got, err := ParseFsyncPolicy(p.String()); got != p || err != nil {
			t.Errorf("%v: %v %v", p, got, err)
		}
	}
	var p FsyncPolicy
	if p != FsyncInterval {
		t.Error("zero policy is not interval")
	}
	if err := p.Set("sometimes"); err == nil || !strings.Contains(err.Error(), "always, interval, never") {
		t.Errorf("Set(sometimes): %v", err)
	}
}

func TestIsUUID(t *testing.T) {
	for s, want := range map[string]bool{
		"fbf4a1a1-b4a3-4dfe-a01f-ec52c34e16e4": true,
		"FBF4A1A1-B4A3-4DFE-A01F-EC52C34E16E4": true,
		"fbf4a1a1b4a34dfea01fec52c34e16e4":     false,
		"fbf4a1a1-b4a3-4dfe-a01f-ec52c34e16e":  false,
		"gbf4a1a1-b4a3-4dfe-a01f-ec52c34e16e4": false,
		"fbf4a1a1-b4a3-4dfe-a01f_ec52c34e16e4": false,
		"":                                     false,
	} {
		if isUUID(s) != want {
			t.Errorf("isUUID(%q) = %v", s, !want)
		}
	}
}

// TestAppendString checks the hand-written JSON string encoder against
// encoding/json's decoder on tricky and random valid UTF-8 strings.
func TestAppendString(t *testing.T) {
	cases := []string{"", "plain", `"quoted" \back\slash`, "\n\r\t\x00\x01\x1f\x7f", "é 😀 流",
		"\u2028\u2029 \u2027 \u202a", "\xe2", "a\xe2\x80", "ends with \xe2\x80\xa8"}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		var b strings.Builder
		for j := r.IntN(20); j > 0; j-- {
			switch r.IntN(4) {
			case 0:
				b.WriteByte(byte(r.IntN(0x80)))
			case 1:
				b.WriteRune(rune(0x2000 + r.IntN(0x40)))
			default:
				b.WriteRune(rune(r.IntN(0x10ffff)))
			}
		}
		cases = append(cases, strings.ToValidUTF8(b.String(), "?"))
	}
	for _, s := range cases {
		enc := appendString(nil, s)
		var got string
		if err := json.Unmarshal(enc, &got); err != nil {
			t.Fatalf("%q encodes to invalid JSON %s: %v", s, enc, err)
		}
		if utf8.ValidString(s) && got != s {
			t.Fatalf("%q round-trips to %q via %s", s, got, enc)
		}
		if strings.ContainsAny(string(enc), "\u2028\u2029") {
			t.Errorf("%q: U+2028/U+2029 not escaped: %s", s, enc)
		}
		if string(appendString(nil, []byte(s))) != string(enc) {
			t.Errorf("%q: string and []byte encodings differ", s)
		}
	}
}
