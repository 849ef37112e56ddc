package influxdb

import (
	"encoding/binary"
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
// sets are immutable) and per content: the request path makes a new set
// for every request, but with the same tags as many requests before it, so
// a request costs one escaping pass into a reused buffer and one lookup,
// and no allocation. It is used by one goroutine at a time.
type splitter struct {
	asFields   []fieldSpec
	withFields bool // false in aggregate mode: tags-as-fields are dropped
	cache      map[*metrics.TagSet]*split
	last       *metrics.TagSet // the samples of one request share one set
	lastSplit  *split
	prev       *metrics.TagSet // the last set computed
	prevSplit  *split
	byContent  map[string]*split // by contentKey
	buf, fbuf  []byte            // tags and fields being escaped
	key        []byte
	ids        map[string]uint32
	nextID     uint32
}

func newSplitter(asFields []fieldSpec, withFields bool) *splitter {
	return &splitter{asFields: asFields, withFields: withFields, cache: make(map[*metrics.TagSet]*split, 256),
		byContent: make(map[string]*split, 256), ids: make(map[string]uint32, 256)}
}

func (s *splitter) get(ts *metrics.TagSet) *split {
	if ts == s.last && s.lastSplit != nil {
		return s.lastSplit
	}
	sp, ok := s.cache[ts]
	if !ok {
		// A VU hands over its samples together, and its requests to one
		// endpoint carry equal sets: comparing with the last set computed
		// is cheaper than escaping.
		// Such sets are used once: they are not cached by pointer.
		if s.prev != nil && sameTags(ts.Tags(), s.prev.Tags()) {
			sp = s.prevSplit
		} else {
			sp = s.compute(ts)
			s.prev, s.prevSplit = ts, sp
			if len(s.cache) >= splitCacheSize {
				clear(s.cache)
			}
			s.cache[ts] = sp
		}
	}
	s.last, s.lastSplit = ts, sp
	return sp
}

// sameTags says whether two sorted tag lists are equal.
func sameTags(a, b []metrics.Tag) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
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
	fields := s.fbuf[:0]
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
	s.buf, s.fbuf = b, fields
	// The key is the tags' length, the tags and the fields: a split
	// whose tags and fields divide the same bytes differently is another.
	key := binary.LittleEndian.AppendUint32(s.key[:0], uint32(len(b)))
	key = append(append(key, b...), fields...)
	s.key = key
	if sp, ok := s.byContent[string(key)]; ok {
		return sp
	}
	id, ok := s.ids[string(b)]
	if !ok {
		if len(s.ids) >= seriesIDs {
			clear(s.ids)
		}
		s.nextID++
		id = s.nextID
		s.ids[string(b)] = id
	}
	k := string(key) // one allocation holds the key, the tags and the fields
	sp := &split{tags: k[4 : 4+len(b)], fields: k[4+len(b):], series: id}
	if len(s.byContent) >= splitCacheSize {
		clear(s.byContent)
	}
	s.byContent[k] = sp
	return sp
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
	if !needsEscape(s, &keySpecial) && !strings.HasSuffix(s, `\`) {
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
	if !needsEscape(s, &stringSpecial) {
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

// keySpecial and stringSpecial mark the bytes that need escaping in keys
// (measurements, tag keys and values, field keys) and in string fields.
var keySpecial, stringSpecial = specials("\t\n\f\r ,="), specials("\t\n\f\r\\\"")

func specials(chars string) (t [256]bool) {
	for i := 0; i < len(chars); i++ {
		t[chars[i]] = true
	}
	return t
}

// needsEscape says whether s holds a byte of the table (strings.ContainsAny
// builds its set on every call: this path runs for every tag of a request).
func needsEscape(s string, special *[256]bool) bool {
	for i := 0; i < len(s); i++ {
		if special[s[i]] {
			return true
		}
	}
	return false
}

// appendFloat writes a float field value as the client's encoder does:
// the shortest decimal that reads back exactly, never an exponent.
//
// Most values are whole (counters, rates, bytes) or times in milliseconds
// with at most 6 decimals (a nanosecond duration divided by 1e6). Below
// 2^31 in magnitude, where a float's spacing is under 1e-6, such a value
// is written from its integer count of millionths: that decimal reads back
// exactly and is the shortest that does (any other with as few digits is
// at least 1e-6 away, outside the float's rounding interval), and it is
// several times cheaper than strconv's general shortest algorithm, which
// the rest goes through. TestAppendFloatMatchesStrconv checks the two
// agree.
func appendFloat(b []byte, f float64) []byte {
	const scale = 1e6
	if i := int64(f); float64(i) == f && i > -(1<<53) && i < 1<<53 && (i != 0 || !math.Signbit(f)) {
		return strconv.AppendInt(b, i, 10) // counters, rates, bytes: the shortest form is the integer
	}
	if f > -(1<<31) && f < 1<<31 && (f != 0 || !math.Signbit(f)) {
		if r := math.Round(f * scale); r/scale == f {
			n := int64(r)
			if n < 0 {
				b = append(b, '-')
				n = -n
			}
			b = strconv.AppendInt(b, n/scale, 10)
			if frac := n % scale; frac != 0 {
				digits := 6
				for frac%10 == 0 {
					frac /= 10
					digits--
				}
				var d [6]byte
				for i := digits - 1; i >= 0; i-- {
					d[i] = byte('0' + frac%10)
					frac /= 10
				}
				b = append(b, '.')
				b = append(b, d[:digits]...)
			}
			return b
		}
	}
	return strconv.AppendFloat(b, f, 'f', -1, 64)
}

// finite says whether a value can be written: line protocol has no NaN
// or infinities.
func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// appendRawPoint writes one sample as a line:
//
//	measurement,tag=v,… value=1.5,url="…",vu=3i,iter=7i 1700000000000000000
//
// tt, when not nil, remembers the last timestamp's digits.
func appendRawPoint(b []byte, measurement string, sp *split, value float64, ts int64, tt *timeText) []byte {
	b = append(b, measurement...)
	b = append(b, sp.tags...)
	b = append(b, " value="...)
	b = appendFloat(b, value)
	b = append(b, sp.fields...)
	b = append(b, ' ')
	if tt != nil {
		b = tt.append(b, ts)
	} else {
		b = strconv.AppendInt(b, ts, 10)
	}
	return append(b, '\n')
}

// timeText keeps the decimal digits of the last timestamp written: the 9
// samples of a request share their time, and 19 digits cost more to
// format than to copy.
type timeText struct {
	t    int64
	text []byte
}

func (tt *timeText) append(b []byte, t int64) []byte {
	if t != tt.t || len(tt.text) == 0 {
		tt.text = strconv.AppendInt(tt.text[:0], t, 10)
		tt.t = t
	}
	return append(b, tt.text...)
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
