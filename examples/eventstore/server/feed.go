package server

import (
	"strconv"
	"sync"
	"time"
)

// The read path writes its JSON by hand into pooled buffers: it is the hot
// path of a load-test target, and the documents are simple.

const hexDigits = "0123456789abcdef"

// appendString appends s to b as a JSON string. s must be valid UTF-8,
// which the handler and the stores guarantee (request bodies and stream
// names are checked). U+2028 and U+2029 are escaped, as encoding/json does.
func appendString[S ~string | ~[]byte](b []byte, s S) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c != 0xe2 {
			continue
		}
		if c == 0xe2 { // possibly U+2028 or U+2029: E2 80 A8 / E2 80 A9
			if i+2 >= len(s) || s[i+1] != 0x80 || (s[i+2] != 0xa8 && s[i+2] != 0xa9) {
				continue
			}
			b = append(b, s[start:i]...)
			b = append(b, `\u202`...)
			b = append(b, hexDigits[s[i+2]&0xf])
			i += 2
			start = i + 1
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func appendInt(b []byte, n int64) []byte { return strconv.AppendInt(b, n, 10) }

func appendBool(b []byte, v bool) []byte { return strconv.AppendBool(b, v) }

// appendTime appends t as a JSON string in EventStoreDB's format,
// e.g. "2024-05-01T12:00:00.123456Z".
func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, "2006-01-02T15:04:05.000000Z")
	return append(b, '"')
}

// appendLink appends {"uri":"<uri>","relation":"<rel>"}; uri is already
// escaped for a JSON string.
func appendLink(b []byte, uri []byte, suffix string, rel string) []byte {
	b = append(b, `{"uri":"`...)
	b = append(b, uri...)
	b = append(b, suffix...)
	b = append(b, `","relation":"`...)
	b = append(b, rel...)
	return append(b, `"}`...)
}

// appendPageLink appends a link to the page {from}/{dir}/{count}.
func appendPageLink(b []byte, streamURL []byte, from string, dir string, count int, rel string) []byte {
	b = append(b, `{"uri":"`...)
	b = append(b, streamURL...)
	b = append(b, '/')
	b = append(b, from...)
	b = append(b, '/')
	b = append(b, dir...)
	b = append(b, '/')
	b = strconv.AppendInt(b, int64(count), 10)
	b = append(b, `","relation":"`...)
	b = append(b, rel...)
	return append(b, `"}`...)
}

type embedMode int

const (
	embedNone embedMode = iota
	embedRich
	embedBody
)

func parseEmbed(s string) embedMode {
	switch s {
	case "body", "Body", "prettybody", "PrettyBody", "tryharder", "TryHarder":
		return embedBody
	case "rich", "Rich", "content", "Content":
		return embedRich
	}
	return embedNone
}

// appendEventURL appends the JSON-escaped URL of event n.
func appendEventURL(b []byte, streamURL []byte, n int64) []byte {
	b = append(b, streamURL...)
	b = append(b, '/')
	return strconv.AppendInt(b, n, 10)
}

// appendEntry appends the feed entry of e. streamURL is the stream's URL
// and streamJSON its name, both already escaped for a JSON string.
func appendEntry(b []byte, e *RecordedEvent, streamURL, streamJSON []byte, embed embedMode) []byte {
	b = append(b, '{')
	if embed >= embedRich {
		b = append(b, `"eventId":`...)
		b = appendString(b, e.EventID)
		b = append(b, `,"eventType":`...)
		b = appendString(b, e.EventType)
		b = append(b, `,"eventNumber":`...)
		b = appendInt(b, e.Number)
		if embed == embedBody {
			b = append(b, `,"data":`...)
			b = appendString(b, e.Data)
			b = append(b, `,"metaData":`...)
			b = appendString(b, e.Metadata)
			b = append(b, `,"linkMetaData":""`...)
		}
		b = append(b, `,"streamId":"`...)
		b = append(b, streamJSON...)
		b = append(b, `","isJson":true,"isMetaData":`...)
		b = appendBool(b, len(e.Metadata) > 0)
		b = append(b, `,"isLinkMetaData":false,"positionEventNumber":`...)
		b = appendInt(b, e.Number)
		b = append(b, `,"positionStreamId":"`...)
		b = append(b, streamJSON...)
		b = append(b, `",`...)
	}
	b = appendEntryHead(b, e, streamURL, streamJSON)
	b = append(b, `,"links":[{"uri":"`...)
	b = appendEventURL(b, streamURL, e.Number)
	b = append(b, `","relation":"edit"},{"uri":"`...)
	b = appendEventURL(b, streamURL, e.Number)
	b = append(b, `","relation":"alternate"}]}`...)
	return b
}

// appendAtomEvent appends a single event as an atom entry whose content
// holds the event, data and metadata as JSON values.
func appendAtomEvent(b []byte, e *RecordedEvent, streamURL, streamJSON []byte) []byte {
	b = append(b, '{')
	b = appendEntryHead(b, e, streamURL, streamJSON)
	b = append(b, `,"content":{"eventStreamId":"`...)
	b = append(b, streamJSON...)
	b = append(b, `","eventNumber":`...)
	b = appendInt(b, e.Number)
	b = append(b, `,"eventType":`...)
	b = appendString(b, e.EventType)
	b = append(b, `,"eventId":`...)
	b = appendString(b, e.EventID)
	b = append(b, `,"data":`...)
	b = appendRawOrEmpty(b, e.Data)
	b = append(b, `,"metadata":`...)
	b = appendRawOrEmpty(b, e.Metadata)
	b = append(b, `},"links":[{"uri":"`...)
	b = appendEventURL(b, streamURL, e.Number)
	b = append(b, `","relation":"edit"},{"uri":"`...)
	b = appendEventURL(b, streamURL, e.Number)
	b = append(b, `","relation":"alternate"}]}`...)
	return b
}

// appendRawOrEmpty appends raw JSON, or "" when there is none.
func appendRawOrEmpty(b []byte, raw []byte) []byte {
	if len(raw) == 0 {
		return append(b, `""`...)
	}
	return append(b, raw...)
}

// bufPool holds response and request buffers.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

const maxPooledBuf = 1 << 20

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(p *[]byte) {
	if cap(*p) > maxPooledBuf {
		return
	}
	*p = (*p)[:0]
	bufPool.Put(p)
}

// appendEntryHead appends the fields every atom entry starts with: title,
// id, updated, author and summary.
func appendEntryHead(b []byte, e *RecordedEvent, streamURL, streamJSON []byte) []byte {
	b = append(b, `"title":"`...)
	b = appendInt(b, e.Number)
	b = append(b, '@')
	b = append(b, streamJSON...)
	b = append(b, `","id":"`...)
	b = appendEventURL(b, streamURL, e.Number)
	b = append(b, `","updated":`...)
	b = appendTime(b, e.Created)
	b = append(b, `,"author":{"name":"EventStore"},"summary":`...)
	b = appendString(b, e.EventType)
	return b
}
