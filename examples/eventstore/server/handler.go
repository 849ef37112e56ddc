package server

import (
	"encoding/json"
	"errors"
	"io"
	"maps"
	"math"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode/utf8"
)

// Media types of EventStoreDB's HTTP API.
const (
	EventsMediaType = "application/vnd.eventstore.events+json"
	AtomMediaType   = "application/vnd.eventstore.atom+json"
)

const (
	// MaxPageCount is the largest number of events one page may ask for.
	MaxPageCount = 4096
	// headPageCount is the size of the page served for GET /streams/{stream}.
	headPageCount = 20
	// MaxBodyBytes is the largest request body an append accepts.
	MaxBodyBytes = 16 << 20
)

// Handler serves EventStoreDB's HTTP API over a Store, and counts the
// responses it writes by status.
type Handler struct {
	store    Store
	total    atomic.Int64
	byStatus [600]atomic.Int64 // index 0 counts statuses outside 100-599
}

// NewHandler returns a handler serving store.
func NewHandler(store Store) *Handler {
	return &Handler{store: store}
}

// Store returns the handler's store.
func (h *Handler) Store() Store { return h.store }

// Stats returns the number of responses written so far by HTTP status, and
// their total. A response is counted when its status line is written, before
// any of it reaches the client.
func (h *Handler) Stats() (byStatus map[int]int64, total int64) {
	byStatus = make(map[int]int64)
	for code := range h.byStatus {
		if n := h.byStatus[code].Load(); n > 0 {
			byStatus[code] = n
		}
	}
	return byStatus, h.total.Load()
}

// FormatStats formats the result of Handler.Stats as
// "served N requests (200=A 201=B ...)", statuses in ascending order.
func FormatStats(byStatus map[int]int64, total int64) string {
	var b strings.Builder
	b.WriteString("served ")
	b.WriteString(strconv.FormatInt(total, 10))
	b.WriteString(" requests (")
	for i, code := range slices.Sorted(maps.Keys(byStatus)) {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(code))
		b.WriteByte('=')
		b.WriteString(strconv.FormatInt(byStatus[code], 10))
	}
	b.WriteByte(')')
	return b.String()
}

func (h *Handler) count(code int) {
	if code < 100 || code >= len(h.byStatus) {
		code = 0
	}
	h.byStatus[code].Add(1)
	h.total.Add(1)
}

// countingWriter counts its response when the status is written.
type countingWriter struct {
	http.ResponseWriter
	h       *Handler
	counted bool
}

func (w *countingWriter) WriteHeader(code int) {
	if !w.counted && (code >= 200 || code == http.StatusSwitchingProtocols) {
		w.counted = true
		w.h.count(code)
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *countingWriter) Write(b []byte) (int, error) {
	if !w.counted {
		w.counted = true
		w.h.count(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *countingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	w := &countingWriter{ResponseWriter: rw, h: h}
	h.route(w, r)
	if !w.counted { // nothing written: net/http sends 200
		w.counted = true
		h.count(http.StatusOK)
	}
}

func (h *Handler) route(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), "/streams/")
	if !ok {
		textError(w, http.StatusNotFound, "not found: the API serves /streams/{stream}")
		return
	}
	// Up to four path segments: {stream}[/{n} | /{from}/{dir}/{count}].
	var segs [4]string
	n := 0
	for {
		if n == len(segs) {
			textError(w, http.StatusNotFound, "not found")
			return
		}
		seg, tail, more := strings.Cut(rest, "/")
		segs[n] = seg
		n++
		if !more {
			break
		}
		rest = tail
	}
	stream, err := url.PathUnescape(segs[0])
	switch {
	case err != nil:
		textError(w, http.StatusBadRequest, "bad stream name escape: "+err.Error())
		return
	case stream == "":
		textError(w, http.StatusNotFound, "not found: no stream name")
		return
	case !utf8.ValidString(stream):
		textError(w, http.StatusBadRequest, "stream name is not valid UTF-8")
		return
	}
	isGet := r.Method == http.MethodGet || r.Method == http.MethodHead
	switch {
	case n == 1: // /streams/{stream}
		switch {
		case r.Method == http.MethodPost:
			h.append(w, r, stream)
		case isGet:
			h.page(w, r, stream, "head", "backward", strconv.Itoa(headPageCount))
		default:
			methodNotAllowed(w, "GET, HEAD, POST")
		}
	case n == 2 && segs[1] != "": // /streams/{stream}/{n}
		if !isGet {
			methodNotAllowed(w, "GET, HEAD")
			return
		}
		h.event(w, r, stream, segs[1])
	case n == 4 && (segs[2] == "forward" || segs[2] == "backward"):
		if !isGet {
			methodNotAllowed(w, "GET, HEAD")
			return
		}
		h.page(w, r, stream, segs[1], segs[2], segs[3])
	default:
		textError(w, http.StatusNotFound, "not found")
	}
}

func textError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	io.WriteString(w, msg+"\n")
}

func methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	textError(w, http.StatusMethodNotAllowed, "method not allowed; allowed: "+allow)
}

func storeError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, ErrStreamNotFound), errors.Is(err, ErrEventNotFound):
		textError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, ErrClosed):
		textError(w, http.StatusServiceUnavailable, err.Error())
	case errors.Is(err, ErrInvalidEvent), errors.Is(err, ErrInvalidExpectedVersion):
		textError(w, http.StatusBadRequest, err.Error())
	default:
		textError(w, http.StatusInternalServerError, err.Error())
	}
}

// baseURL returns scheme://host of the request.
func baseURL(r *http.Request) string {
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

func streamURL(r *http.Request, stream string) string {
	return baseURL(r) + "/streams/" + url.PathEscape(stream)
}

func (h *Handler) append(w http.ResponseWriter, r *http.Request, stream string) {
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != EventsMediaType {
		textError(w, http.StatusBadRequest, "Content-Type must be "+EventsMediaType+", got "+strconv.Quote(ct))
		return
	}
	expected := ExpectedAny
	if v := r.Header.Get("ES-ExpectedVersion"); v != "" {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < ExpectedAny {
			textError(w, http.StatusBadRequest, "ES-ExpectedVersion must be -2 (any), -1 (no stream) or an event number >= 0, got "+strconv.Quote(v))
			return
		}
		expected = n
	}

	buf := getBuf()
	defer putBuf(buf)
	body, err := readAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes), *buf)
	*buf = body
	if err != nil {
		if errors.As(err, new(*http.MaxBytesError)) {
			textError(w, http.StatusRequestEntityTooLarge, "request body larger than "+strconv.Itoa(MaxBodyBytes)+" bytes")
			return
		}
		textError(w, http.StatusBadRequest, "reading request body: "+err.Error())
		return
	}
	if !utf8.Valid(body) {
		textError(w, http.StatusBadRequest, "request body is not valid UTF-8")
		return
	}
	// json.Unmarshal copies what it keeps (the RawMessages), so the body
	// buffer can go back to the pool.
	var events []Event
	if err := json.Unmarshal(body, &events); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			textError(w, http.StatusBadRequest, "request body must be a JSON array of events {eventId, eventType, data, metadata}: "+err.Error())
			return
		}
		textError(w, http.StatusBadRequest, "malformed JSON in request body: "+err.Error())
		return
	}
	if len(events) == 0 {
		textError(w, http.StatusBadRequest, "request body must be a non-empty JSON array of events")
		return
	}
	if err := validateEvents(events); err != nil {
		textError(w, http.StatusBadRequest, err.Error())
		return
	}
	first, err := h.store.Append(stream, expected, events)
	if err != nil {
		var wev *WrongExpectedVersion
		if errors.As(err, &wev) {
			w.Header().Set("ES-CurrentVersion", strconv.FormatInt(wev.Current, 10))
			textError(w, http.StatusBadRequest, "Wrong expected EventNumber")
			return
		}
		storeError(w, err)
		return
	}
	w.Header().Set("Location", streamURL(r, stream)+"/"+strconv.FormatInt(first, 10))
	w.WriteHeader(http.StatusCreated)
}

// readAll reads r to the end, appending to b.
func readAll(r io.Reader, b []byte) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// parseEventNumber parses an event number in a URL; "head" is -1.
func parseEventNumber(s string) (int64, bool) {
	if s == "head" {
		return -1, true
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n >= 0
}

// page serves a feed page: {from}/{dir}/{count}.
func (h *Handler) page(w http.ResponseWriter, r *http.Request, stream, fromStr, dir, countStr string) {
	from, ok := parseEventNumber(fromStr)
	if !ok {
		textError(w, http.StatusBadRequest, "bad event number "+strconv.Quote(fromStr)+": want a number >= 0 or head")
		return
	}
	count, err := strconv.Atoi(countStr)
	if err != nil || count < 1 || count > MaxPageCount {
		textError(w, http.StatusBadRequest, "bad count "+strconv.Quote(countStr)+": want a number from 1 to "+strconv.Itoa(MaxPageCount))
		return
	}
	embed := parseEmbed(r.URL.Query().Get("embed"))

	var (
		events []RecordedEvent
		last   int64
		head   bool // the page holds the stream's newest event
	)
	if dir == "forward" {
		if from < 0 { // head/forward: from the newest event
			if _, last, err = h.store.Read(stream, math.MaxInt64, 0); err == nil {
				from = last
			}
		}
		if err == nil {
			events, last, err = h.store.Read(stream, from, count)
		}
		if len(events) > 0 {
			head = events[len(events)-1].Number == last
		} else {
			head = from > last
		}
	} else {
		// Backward: the page ends at from (or at the newest event) and
		// holds up to count events before it.
		if _, last, err = h.store.Read(stream, math.MaxInt64, 0); err == nil {
			end := from
			if end < 0 || end > last {
				end = last
			}
			start := max(end-int64(count)+1, 0)
			events, last, err = h.store.Read(stream, start, int(end-start+1))
			from = start
		}
		head = len(events) > 0 && events[len(events)-1].Number == last
	}
	if err != nil {
		storeError(w, err)
		return
	}

	buf := getBuf()
	defer putBuf(buf)
	b := (*buf)[:0]
	sURL := appendString(nil, streamURL(r, stream))
	sURL = sURL[1 : len(sURL)-1] // without the quotes
	sJSON := appendString(nil, stream)
	sJSON = sJSON[1 : len(sJSON)-1]

	b = append(b, `{"title":"Event stream '`...)
	b = append(b, sJSON...)
	b = append(b, `'","id":"`...)
	b = append(b, sURL...)
	b = append(b, `","updated":`...)
	if len(events) > 0 {
		b = appendTime(b, events[len(events)-1].Created)
	} else {
		b = append(b, `"0001-01-01T00:00:00.000000Z"`...)
	}
	b = append(b, `,"streamId":"`...)
	b = append(b, sJSON...)
	b = append(b, `","author":{"name":"EventStore"},"headOfStream":`...)
	b = appendBool(b, head)
	b = append(b, `,"selfUrl":"`...)
	b = append(b, sURL...)
	b = append(b, `","eTag":"`...)
	b = appendInt(b, last)
	b = append(b, `;-1"`...)

	// Links, as EventStoreDB names them: "previous" pages hold newer
	// events, "next" pages older ones.
	b = append(b, `,"links":[`...)
	b = appendLink(b, sURL, "", "self")
	b = append(b, ',')
	b = appendPageLink(b, sURL, "head", "backward", count, "first")
	if from > 0 {
		b = append(b, ',')
		b = appendPageLink(b, sURL, "0", "forward", count, "last")
		b = append(b, ',')
		b = appendPageLink(b, sURL, strconv.FormatInt(from-1, 10), "backward", count, "next")
	}
	next := from + int64(count)
	if len(events) > 0 {
		next = events[len(events)-1].Number + 1
	}
	b = append(b, ',')
	b = appendPageLink(b, sURL, strconv.FormatInt(next, 10), "forward", count, "previous")
	b = append(b, ',')
	b = appendLink(b, sURL, "/metadata", "metadata")

	// Entries, newest first, as EventStoreDB lists them.
	b = append(b, `],"entries":[`...)
	for i := len(events) - 1; i >= 0; i-- {
		if i < len(events)-1 {
			b = append(b, ',')
		}
		b = appendEntry(b, &events[i], sURL, sJSON, embed)
	}
	b = append(b, "]}"...)
	*buf = b

	hdr := w.Header()
	hdr.Set("Content-Type", AtomMediaType+"; charset=utf-8")
	hdr.Set("Content-Length", strconv.Itoa(len(b)))
	hdr.Set("Cache-Control", "max-age=0, no-cache, must-revalidate")
	hdr.Set("Vary", "Accept")
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

// event serves a single event: its data as written for application/json,
// an atom entry for application/vnd.eventstore.atom+json.
func (h *Handler) event(w http.ResponseWriter, r *http.Request, stream, nStr string) {
	n, ok := parseEventNumber(nStr)
	if !ok {
		textError(w, http.StatusBadRequest, "bad event number "+strconv.Quote(nStr)+": want a number >= 0 or head")
		return
	}
	if n < 0 { // head
		_, last, err := h.store.Read(stream, math.MaxInt64, 0)
		if err != nil {
			storeError(w, err)
			return
		}
		n = last
	}
	e, err := h.store.Get(stream, n)
	if err != nil {
		storeError(w, err)
		return
	}
	hdr := w.Header()
	hdr.Set("Vary", "Accept")
	if strings.Contains(r.Header.Get("Accept"), AtomMediaType) {
		buf := getBuf()
		defer putBuf(buf)
		sURL := appendString(nil, streamURL(r, stream))
		sJSON := appendString(nil, stream)
		b := appendAtomEvent((*buf)[:0], &e, sURL[1:len(sURL)-1], sJSON[1:len(sJSON)-1])
		*buf = b
		hdr.Set("Content-Type", AtomMediaType+"; charset=utf-8")
		hdr.Set("Content-Length", strconv.Itoa(len(b)))
		w.WriteHeader(http.StatusOK)
		w.Write(b)
		return
	}
	hdr.Set("Content-Type", "application/json; charset=utf-8")
	hdr.Set("Content-Length", strconv.Itoa(len(e.Data)))
	w.WriteHeader(http.StatusOK)
	w.Write(e.Data)
}
