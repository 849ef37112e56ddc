package server

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// FsyncPolicy says when a DiskStore fsyncs its files. The zero value is
// FsyncInterval. *FsyncPolicy implements flag.Value.
type FsyncPolicy int

const (
	// FsyncInterval fsyncs files with unsynced appends every
	// SyncInterval in the background, and on Close.
	FsyncInterval FsyncPolicy = iota
	// FsyncAlways fsyncs after every append, before the append returns.
	FsyncAlways
	// FsyncNever leaves flushing to the operating system.
	FsyncNever
)

// SyncInterval is how often a DiskStore with FsyncInterval fsyncs.
const SyncInterval = 100 * time.Millisecond

// ParseFsyncPolicy parses "always", "interval" or "never".
func ParseFsyncPolicy(s string) (FsyncPolicy, error) {
	switch s {
	case "always":
		return FsyncAlways, nil
	case "interval":
		return FsyncInterval, nil
	case "never":
		return FsyncNever, nil
	}
	return 0, fmt.Errorf("unknown fsync policy %q (allowed: always, interval, never)", s)
}

// String returns "always", "interval" or "never".
func (p FsyncPolicy) String() string {
	switch p {
	case FsyncAlways:
		return "always"
	case FsyncInterval:
		return "interval"
	case FsyncNever:
		return "never"
	}
	return fmt.Sprintf("FsyncPolicy(%d)", int(p))
}

// Set implements flag.Value.
func (p *FsyncPolicy) Set(s string) error {
	v, err := ParseFsyncPolicy(s)
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// OpenStore returns a memory store when dir is empty and otherwise the disk
// store in dir (see OpenDiskStore).
func OpenStore(dir string, policy FsyncPolicy) (Store, error) {
	if dir == "" {
		return NewMemoryStore(), nil
	}
	return OpenDiskStore(dir, policy)
}

// DiskStore is a Store that keeps each stream in an append-only file in a
// directory, and serves reads from memory.
//
// A stream's file is named after the stream, hex-encoded (or after its
// SHA-256 for long names), so any stream name is safe. Its first line is a
// header {"stream": name}; every other line is one event:
//
//	{"n":0,"id":"<uuid>","type":"<type>","ts":<unix nanoseconds>,"data":"<JSON as a string>","meta":"<JSON as a string>"}
//
// A line without its final newline, left by a crash in the middle of a
// write, is cut off when the store is opened again.
type DiskStore struct {
	set    streamSet
	dir    string
	policy FsyncPolicy

	dirtyMu  sync.Mutex
	dirty    map[*os.File]struct{} // files with unsynced appends (FsyncInterval)
	dirDirty bool                  // the directory has unsynced new files
	syncErr  error                 // the first background fsync error

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
}

var _ Store = (*DiskStore)(nil)

// fileState is a disk stream's open file.
type fileState struct {
	f    *os.File
	size int64 // the offset after the last complete record
}

const fileSuffix = ".jsonl"

// streamFileName returns the file name of a stream: "s-" and the hex of the
// name for names up to 100 bytes, "h-" and the hex of its SHA-256 beyond
// (file names are limited to 255 bytes on most file systems).
func streamFileName(name string) string {
	if len(name) <= 100 {
		return "s-" + hex.EncodeToString([]byte(name)) + fileSuffix
	}
	sum := sha256.Sum256([]byte(name))
	return "h-" + hex.EncodeToString(sum[:]) + fileSuffix
}

// OpenDiskStore opens the store in dir, creating the directory if needed and
// loading the streams already there.
func OpenDiskStore(dir string, policy FsyncPolicy) (*DiskStore, error) {
	if _, err := ParseFsyncPolicy(policy.String()); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	d := &DiskStore{
		set:    newStreamSet(),
		dir:    dir,
		policy: policy,
		dirty:  make(map[*os.File]struct{}),
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), fileSuffix) || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if err := d.load(filepath.Join(dir, e.Name())); err != nil {
			d.closeFiles()
			return nil, err
		}
	}
	if policy == FsyncInterval {
		d.stop, d.done = make(chan struct{}), make(chan struct{})
		go d.syncLoop()
	}
	return d, nil
}

// Dir returns the store's directory.
func (d *DiskStore) Dir() string { return d.dir }

// Policy returns the store's fsync policy.
func (d *DiskStore) Policy() FsyncPolicy { return d.policy }

type fileHeader struct {
	Stream string `json:"stream"`
}

type fileRecord struct {
	N    int64  `json:"n"`
	ID   string `json:"id"`
	Type string `json:"type"`
	TS   int64  `json:"ts"`
	Data string `json:"data"`
	Meta string `json:"meta"`
}

// load reads one stream file into memory and keeps it open for appending.
func (d *DiskStore) load(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	fail := func(format string, args ...any) error {
		f.Close()
		return fmt.Errorf("eventstore: %s: %s", path, fmt.Sprintf(format, args...))
	}
	r := bufio.NewReaderSize(f, 64<<10)
	line, err := r.ReadBytes('\n')
	if err == io.EOF {
		// Empty, or a header torn by a crash: the stream's first append
		// never completed, so the stream does not exist.
		f.Close()
		return os.Remove(path)
	} else if err != nil {
		f.Close()
		return err
	}
	var h fileHeader
	if err := json.Unmarshal(line, &h); err != nil || h.Stream == "" {
		return fail("bad header line %q", line)
	}
	if d.set.streams[h.Stream] != nil {
		return fail("stream %q is also in another file", h.Stream)
	}
	st := &stream{name: h.Stream}
	size := int64(len(line))
	for lineNo := 2; ; lineNo++ {
		line, err = r.ReadBytes('\n')
		if err == io.EOF {
			if len(line) > 0 { // torn last write: cut it off
				if err := f.Truncate(size); err != nil {
					f.Close()
					return err
				}
			}
			break
		} else if err != nil {
			f.Close()
			return err
		}
		var rec fileRecord
		if err := json.Unmarshal(line, &rec); err != nil {
			return fail("line %d: %v", lineNo, err)
		}
		if rec.N != int64(len(st.events)) {
			return fail("line %d: event number %d, want %d", lineNo, rec.N, len(st.events))
		}
		e := RecordedEvent{
			Event:    Event{EventID: rec.ID, EventType: rec.Type},
			StreamID: h.Stream,
			Number:   rec.N,
			Created:  time.Unix(0, rec.TS).UTC(),
		}
		if rec.Data != "" {
			e.Data = json.RawMessage(rec.Data)
		}
		if rec.Meta != "" {
			e.Metadata = json.RawMessage(rec.Meta)
		}
		st.events = append(st.events, e)
		size += int64(len(line))
	}
	if len(st.events) == 0 { // header only: the first append was torn
		f.Close()
		return os.Remove(path)
	}
	st.file = &fileState{f: f, size: size}
	d.set.streams[h.Stream] = st
	return nil
}

// appendRecord appends the file line of e to b.
func appendRecord(b []byte, e *RecordedEvent) []byte {
	b = append(b, `{"n":`...)
	b = appendInt(b, e.Number)
	b = append(b, `,"id":`...)
	b = appendString(b, e.EventID)
	b = append(b, `,"type":`...)
	b = appendString(b, e.EventType)
	b = append(b, `,"ts":`...)
	b = appendInt(b, e.Created.UnixNano())
	if e.Data != nil {
		b = append(b, `,"data":`...)
		b = appendString(b, e.Data)
	}
	if e.Metadata != nil {
		b = append(b, `,"meta":`...)
		b = appendString(b, e.Metadata)
	}
	return append(b, "}\n"...)
}

// persist writes recs to st's file, creating it for a new stream, in a
// single write, and fsyncs according to the policy. On failure it undoes
// the partial write.
func (d *DiskStore) persist(st *stream, recs []RecordedEvent) error {
	var buf bytes.Buffer
	fs := st.file
	created := fs == nil
	if created {
		path := filepath.Join(d.dir, streamFileName(st.name))
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		fs = &fileState{f: f}
		hdr, _ := json.Marshal(fileHeader{Stream: st.name})
		buf.Write(hdr)
		buf.WriteByte('\n')
	}
	b := buf.Bytes()
	for i := range recs {
		b = appendRecord(b, &recs[i])
	}
	n, err := fs.f.Write(b)
	if err == nil && d.policy == FsyncAlways {
		err = fs.f.Sync()
		if err == nil && created {
			err = syncDir(d.dir)
		}
	}
	if err != nil {
		if created {
			fs.f.Close()
			os.Remove(fs.f.Name())
		} else if n > 0 {
			fs.f.Truncate(fs.size)
		}
		return err
	}
	fs.size += int64(n)
	st.file = fs
	if d.policy == FsyncInterval {
		d.dirtyMu.Lock()
		d.dirty[fs.f] = struct{}{}
		d.dirDirty = d.dirDirty || created
		d.dirtyMu.Unlock()
	}
	return nil
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (d *DiskStore) syncLoop() {
	defer close(d.done)
	t := time.NewTicker(SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			d.syncDirty()
		case <-d.stop:
			return
		}
	}
}

// syncDirty fsyncs the files (and the directory) with unsynced appends.
// Files are only closed after the sync loop has stopped.
func (d *DiskStore) syncDirty() {
	d.dirtyMu.Lock()
	files, dirDirty := d.dirty, d.dirDirty
	if len(files) == 0 && !dirDirty {
		d.dirtyMu.Unlock()
		return
	}
	d.dirty, d.dirDirty = make(map[*os.File]struct{}, len(files)), false
	d.dirtyMu.Unlock()
	var firstErr error
	for f := range files {
		if err := f.Sync(); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if dirDirty {
		if err := syncDir(d.dir); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if firstErr != nil {
		d.dirtyMu.Lock()
		if d.syncErr == nil {
			d.syncErr = firstErr
		}
		d.dirtyMu.Unlock()
	}
}

// Append implements Store.
func (d *DiskStore) Append(stream string, expected int64, events []Event) (int64, error) {
	return d.set.append(stream, expected, events, d.persist)
}

// Read implements Store.
func (d *DiskStore) Read(stream string, from int64, count int) ([]RecordedEvent, int64, error) {
	return d.set.read(stream, from, count)
}

// Get implements Store.
func (d *DiskStore) Get(stream string, n int64) (RecordedEvent, error) {
	return d.set.get(stream, n)
}

// Close implements Store: it stops the background fsync, fsyncs every file
// (unless the policy is FsyncNever) and closes them. Reads keep working
// after Close. It returns the first fsync or close error, including those
// of the background fsyncs.
func (d *DiskStore) Close() error {
	d.closeOnce.Do(func() {
		if d.stop != nil {
			close(d.stop)
			<-d.done
		}
		d.closeErr = d.closeFiles()
		d.dirtyMu.Lock()
		if d.syncErr != nil {
			d.closeErr = errors.Join(d.syncErr, d.closeErr)
		}
		d.dirtyMu.Unlock()
	})
	return d.closeErr
}

func (d *DiskStore) closeFiles() error {
	var errs []error
	for _, st := range d.set.close() {
		st.mu.Lock()
		st.closed = true
		if st.file != nil {
			if d.policy != FsyncNever {
				if err := st.file.f.Sync(); err != nil {
					errs = append(errs, err)
				}
			}
			if err := st.file.f.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		st.mu.Unlock()
	}
	if d.policy != FsyncNever {
		if err := syncDir(d.dir); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
