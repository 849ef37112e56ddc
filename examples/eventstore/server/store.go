package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// Expected versions with a special meaning, as in EventStoreDB. Any other
// expected version is an event number (>= 0) that must be the stream's
// current version.
const (
	ExpectedAny      int64 = -2 // append whatever the stream's version
	ExpectedNoStream int64 = -1 // the stream must not exist yet
)

// Event is an event as a client submits it.
//
// Data and Metadata hold the raw JSON exactly as it was written (nil when
// absent). A Store retains them: callers must not modify them after Append.
type Event struct {
	EventID   string          `json:"eventId"`
	EventType string          `json:"eventType"`
	Data      json.RawMessage `json:"data"`
	Metadata  json.RawMessage `json:"metadata,omitempty"`
}

// RecordedEvent is an event as stored in a stream. Recorded events are never
// modified, and may be shared between readers.
type RecordedEvent struct {
	Event
	StreamID string    // the stream the event belongs to
	Number   int64     // the event number in its stream, from 0
	Created  time.Time // when the event was appended
}

// Store holds event streams. Implementations are safe for concurrent use.
type Store interface {
	// Append appends events to stream atomically, creating the stream if
	// needed, and returns the number of the first new event. expected is
	// ExpectedAny, ExpectedNoStream or the event number the stream's last
	// event must have; on a mismatch the error is a *WrongExpectedVersion.
	Append(stream string, expected int64, events []Event) (first int64, err error)

	// Read returns up to count events of stream from event number from
	// onwards, oldest first, and the stream's last event number at the
	// time of the read. Reading past the end returns no events and no
	// error. A missing stream is ErrStreamNotFound.
	Read(stream string, from int64, count int) (events []RecordedEvent, lastVersion int64, err error)

	// Get returns event number n of stream: ErrStreamNotFound when the
	// stream does not exist, ErrEventNotFound when the event does not.
	Get(stream string, n int64) (RecordedEvent, error)

	// Close releases the store's resources; later appends fail with
	// ErrClosed. For a disk store it makes written events durable unless
	// the fsync policy is FsyncNever.
	Close() error
}

// Errors returned by stores.
var (
	ErrStreamNotFound         = errors.New("stream not found")
	ErrEventNotFound          = errors.New("event not found")
	ErrClosed                 = errors.New("store is closed")
	ErrInvalidEvent           = errors.New("invalid event")
	ErrInvalidExpectedVersion = errors.New("invalid expected version: want -2 (any), -1 (no stream) or an event number >= 0")
)

// WrongExpectedVersion is the error of an append whose expected version did
// not match the stream's current version.
type WrongExpectedVersion struct {
	Expected int64 // the version the append expected
	Current  int64 // the stream's last event number, -1 if it does not exist
}

func (e *WrongExpectedVersion) Error() string {
	return "wrong expected version: expected " + strconv.FormatInt(e.Expected, 10) +
		", current " + strconv.FormatInt(e.Current, 10)
}

// validateEvents checks a batch before it is appended. Its errors wrap
// ErrInvalidEvent and say which event is wrong and why.
func validateEvents(events []Event) error {
	if len(events) == 0 {
		return fmt.Errorf("%w: no events to append", ErrInvalidEvent)
	}
	for i := range events {
		e := &events[i]
		switch {
		case e.EventID == "":
			return fmt.Errorf("%w %d: eventId is missing", ErrInvalidEvent, i)
		case !isUUID(e.EventID):
			return fmt.Errorf("%w %d: eventId %q is not a UUID (want 8-4-4-4-12 hex digits)", ErrInvalidEvent, i, e.EventID)
		case e.EventType == "":
			return fmt.Errorf("%w %d: eventType is missing or empty", ErrInvalidEvent, i)
		case !utf8.ValidString(e.EventType):
			return fmt.Errorf("%w %d: eventType is not valid UTF-8", ErrInvalidEvent, i)
		case !utf8.Valid(e.Data) || !utf8.Valid(e.Metadata):
			return fmt.Errorf("%w %d: data or metadata is not valid UTF-8", ErrInvalidEvent, i)
		}
	}
	return nil
}

// isUUID reports whether s is a UUID in its canonical textual form,
// xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, in either case.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// stream is one event stream. Its events are immutable once appended, so a
// reader may keep a sub-slice of events after releasing the lock.
type stream struct {
	mu     sync.RWMutex
	name   string
	events []RecordedEvent
	closed bool

	// Disk stores only: the stream's file and its size (the offset after
	// the last complete record).
	file *fileState
}

// streamSet is the part common to the memory and disk stores: the stream
// map and the append, read and get logic.
type streamSet struct {
	mu      sync.RWMutex
	streams map[string]*stream
	closed  bool
}

func newStreamSet() streamSet {
	return streamSet{streams: make(map[string]*stream)}
}

func (ss *streamSet) lookup(name string) *stream {
	ss.mu.RLock()
	st := ss.streams[name]
	ss.mu.RUnlock()
	return st
}

func (ss *streamSet) getOrCreate(name string) (*stream, error) {
	ss.mu.RLock()
	st, closed := ss.streams[name], ss.closed
	ss.mu.RUnlock()
	if closed {
		return nil, ErrClosed
	}
	if st != nil {
		return st, nil
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.closed {
		return nil, ErrClosed
	}
	if st = ss.streams[name]; st == nil {
		st = &stream{name: name}
		ss.streams[name] = st
	}
	return st, nil
}

// persistFunc writes recs, about to be appended to st, to durable storage.
// It is called with st.mu held; when it fails nothing is appended.
type persistFunc func(st *stream, recs []RecordedEvent) error

func (ss *streamSet) append(name string, expected int64, events []Event, persist persistFunc) (int64, error) {
	if expected < ExpectedAny {
		return -1, ErrInvalidExpectedVersion
	}
	if err := validateEvents(events); err != nil {
		return -1, err
	}
	st, err := ss.getOrCreate(name)
	if err != nil {
		return -1, err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed {
		return -1, ErrClosed
	}
	current := int64(len(st.events)) - 1
	if expected != ExpectedAny && expected != current {
		return -1, &WrongExpectedVersion{Expected: expected, Current: current}
	}
	now := time.Now().UTC()
	first := current + 1
	recs := make([]RecordedEvent, len(events))
	for i, e := range events {
		recs[i] = RecordedEvent{Event: e, StreamID: name, Number: first + int64(i), Created: now}
	}
	if persist != nil {
		if err := persist(st, recs); err != nil {
			return -1, err
		}
	}
	st.events = append(st.events, recs...)
	return first, nil
}

func (ss *streamSet) read(name string, from int64, count int) ([]RecordedEvent, int64, error) {
	st := ss.lookup(name)
	if st == nil {
		return nil, -1, ErrStreamNotFound
	}
	st.mu.RLock()
	events := st.events
	st.mu.RUnlock()
	n := int64(len(events))
	if n == 0 { // created by an append that failed
		return nil, -1, ErrStreamNotFound
	}
	if from < 0 {
		from = 0
	}
	if from >= n || count <= 0 {
		return nil, n - 1, nil
	}
	end := n
	if int64(count) < n-from {
		end = from + int64(count)
	}
	return events[from:end:end], n - 1, nil
}

func (ss *streamSet) get(name string, n int64) (RecordedEvent, error) {
	st := ss.lookup(name)
	if st == nil {
		return RecordedEvent{}, ErrStreamNotFound
	}
	st.mu.RLock()
	defer st.mu.RUnlock()
	switch {
	case len(st.events) == 0:
		return RecordedEvent{}, ErrStreamNotFound
	case n < 0 || n >= int64(len(st.events)):
		return RecordedEvent{}, ErrEventNotFound
	}
	return st.events[n], nil
}

// close marks the set closed and returns its streams.
func (ss *streamSet) close() []*stream {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.closed = true
	all := make([]*stream, 0, len(ss.streams))
	for _, st := range ss.streams {
		all = append(all, st)
	}
	return all
}

// MemoryStore is a Store that keeps its streams in memory.
type MemoryStore struct {
	set streamSet
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty in-memory store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{set: newStreamSet()}
}

// Append implements Store.
func (m *MemoryStore) Append(stream string, expected int64, events []Event) (int64, error) {
	return m.set.append(stream, expected, events, nil)
}

// Read implements Store.
func (m *MemoryStore) Read(stream string, from int64, count int) ([]RecordedEvent, int64, error) {
	return m.set.read(stream, from, count)
}

// Get implements Store.
func (m *MemoryStore) Get(stream string, n int64) (RecordedEvent, error) {
	return m.set.get(stream, n)
}

// Close implements Store. Reads keep working after Close.
func (m *MemoryStore) Close() error {
	for _, st := range m.set.close() {
		st.mu.Lock()
		st.closed = true
		st.mu.Unlock()
	}
	return nil
}
