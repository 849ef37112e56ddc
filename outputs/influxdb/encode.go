package influxdb

import (
	"math"
	"strconv"
	"strings"

	"github.com/throng-dev/throng/metrics"
)

// split is a tag set divided into what stays a tag and what becomes a
// field, both already escaped for line protocol: tags is ",k=v,k2=v2"
// (sorted, as the set is) and fields is ",url=\"…\",vu=3i" (or "").
type split struct {
	tags   string
	fields string
	series uint32 // the same for every split with the same tags
}

// seriesIDs bounds the table that numbers tag strings: past it the table
// restarts, and an old number may alias a new one, which only costs an
// unneeded 1ns shift (see Output.uniqueTime).
const seriesIDs = 1 << 16

// splitCacheSize bounds the cache of splits: a run has few distinct tag
// sets per VU, but the request path makes a new *TagSet per request, so
// the cache is emptied when it fills rather than grown.
const splitCacheSize = 4096

// splitter divides tag sets, caching the result per *TagSet pointer (tag
// sets are immutable). It is used by one goroutine at a time.
type splitter struct {
	asFields   []fieldSpec
	withFields bool // false in aggregate mode: tags-as-fields are dropped
	cache      map[*metrics.TagSet]*split
	last       *metrics.TagSet // the samples of one request share one set
	lastSplit  *split
	buf        []byte
	ids        map[string]uint32
	nextID     uint32
}

func newSplitter(asFields []fieldSpec, withFields bool) *splitter {
	return &splitter{asFields: asFields, withFields: withFields, cache: make(map[*metrics.TagSet]*split, 256), ids: make(map[string]uint32, 256)}
}

func (s *splitter) get(ts *metrics.TagSet) *split {
	if ts == s.last && s.lastSplit != nil {
		return s.lastSplit
	}
	sp, ok := s.cache[ts]
	if !ok {
		sp = s.compute(ts)
		if len(s.cache) >= splitCacheSize {
			clear(s.cache)
		}
		s.cache[ts] = sp
	}
	s.last, s.lastSplit = ts, sp
	return sp
}

func (s *splitter) fieldSpec(key string) (fieldSpec, bool) {
	for _, f := range s.asFields {
		if f.key == key {
			return f, true
		}
	}
	return fieldSpec{}, false
}

func (s *splitter) compute(ts *metrics.TagSet) *split {
	b := s.buf[:0]
	var fields []byte
	for _, t := range ts.Tags() {
		if f, ok := s.fieldSpec(t.Key); ok {
			if s.withFields {
				fields = append(fields, ',')
				fields = appendKey(fields, t.Key, true)
				fields = append(fields, '=')
				fields = appendFieldValue(fields, t.Value, f.kind)
			}
			continue
		}
		// Line protocol has no empty tag values, and "time" is not a
		// valid key: InfluxDB would reject the whole batch.
		if t.Value == "" || t.Key == "" || t.Key == "time" {
			continue
		}
		b = append(b, ',')
		b = appendKey(b, t.Key, true)
		b = append(b, '=')
		b = appendKey(b, t.Value, true)
	}
	s.buf = b
	id, ok := s.ids[string(b)]
	if !ok {
		if len(s.ids) >= seriesIDs {
			clear(s.ids)
		}
		s.nextID++
		id = s.nextID
		s.ids[string(b)] = id
	}
	return &split{tags: string(b), fields: string(fields), series: id}
}

// appendFieldValue writes a tag's value as a field of the given kind,
// falling back to a string when it does not parse.
func appendFieldValue(b []byte, v string, kind fieldKind) []byte {
	switch kind {
	case kindInt:
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return append(strconv.AppendInt(b, n, 10), 'i')
		}
	case kindFloat:
		if f, err := strconv.ParseFloat(v, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return appendFloat(b, f)
		}
	case kindBool:
		if x, err := strconv.ParseBool(v); err == nil {
			return strconv.AppendBool(b, x)
		}
	}
	return appendString(b, v)
}

// appendKey escapes a measurement, tag key, tag value or field key the
// way the client's encoder (influxdata/line-protocol, behind WritePoint)
// does; measurements keep '='. A trailing backslash, which would escape the
// separator after it, is doubled.
func appendKey(b []byte, s string, escapeEqual bool) []byte {
	if !strings.ContainsAny(s, "\t\n\f\r ,=") && !strings.HasSuffix(s, `\`) {
		return append(b, s...)
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\t', '\n', '\f', '\r':
			b = appendControl(b, c)
		case ' ', ',':
			b = append(b, '\\', c)
		case '=':
			if escapeEqual {
				b = append(b, '\\')
			}
			b = append(b, c)
		default:
			b = append(b, c)
		}
	}
	if strings.HasSuffix(s, `\`) {
		b = append(b, '\\')
	}
	return b
}

// appendString writes a string field value, quoted and escaped.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	if !strings.ContainsAny(s, "\t\n\f\r\\\"") {
		b = append(b, s...)
	} else {
		for i := 0; i < len(s); i++ {
			switch c := s[i]; c {
			case '\t', '\n', '\f', '\r':
				b = appendControl(b, c)
			case '"', '\\':
				b = append(b, '\\', c)
			default:
				b = append(b, c)
			}
		}
	}
	return append(b, '"')
}

// appendFloat writes a float field value as the client's encoder does:
// the shortest decimal that reads back exactly, never an exponent.
func appendFloat(b []byte, f float64) []byte {
	return strconv.AppendFloat(b, f, 'f', -1, 64)
}

// finite says whether a value can be written: line protocol has no NaN
// or infinities.
func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// appendRawPoint writes one sample as a line:
//
//	measurement,tag=v,… value=1.5,url="…",vu=3i,iter=7i 1700000000000000000
func appendRawPoint(b []byte, measurement string, sp *split, value float64, ts int64) []byte {
	b = append(b, measurement...)
	b = append(b, sp.tags...)
	b = append(b, " value="...)
	b = appendFloat(b, value)
	b = append(b, sp.fields...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, ts, 10)
	return append(b, '\n')
}

// measurements caches each metric's escaped name by its registry index.
type measurements []measurement

type measurement struct {
	metric *metrics.Metric
	name   string
}

func (m *measurements) get(metric *metrics.Metric) string {
	i := metric.Index()
	if i < len(*m) && (*m)[i].metric == metric {
		return (*m)[i].name
	}
	if i >= len(*m) {
		*m = append(*m, make([]measurement, i+1-len(*m))...)
	}
	name := string(appendKey(nil, metric.Name, false))
	(*m)[i] = measurement{metric, name}
	return name
}

// appendControl writes a tab, newline, form feed or carriage return as its
// backslash escape, the same in keys and in string fields.
func appendControl(b []byte, c byte) []byte {
	switch c {
	case '\t':
		c = 't'
	case '\n':
		c = 'n'
	case '\f':
		c = 'f'
	case '\r':
		c = 'r'
	}
	return append(b, '\\', c)
}
