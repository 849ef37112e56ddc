package metrics

import (
	"slices"
	"sort"
	"strings"
)

// Tag is one key/value pair attached to a sample.
type Tag struct{ Key, Value string }

// TagSet is an immutable set of tags, sorted by key. Derive new sets with
// With; a *TagSet may be shared freely between goroutines. The nil set is
// empty.
type TagSet struct {
	tags []Tag
}

// NewTagSet builds a set from a map.
func NewTagSet(m map[string]string) *TagSet {
	ts := &TagSet{tags: make([]Tag, 0, len(m))}
	for k, v := range m {
		ts.tags = append(ts.tags, Tag{k, v})
	}
	slices.SortFunc(ts.tags, byKey)
	return ts
}

// With returns a set holding ts's tags and key=value, replacing any earlier
// value of key. ts is not changed.
func (ts *TagSet) With(key, value string) *TagSet {
	var old []Tag
	if ts != nil {
		old = ts.tags
	}
	i := sort.Search(len(old), func(i int) bool { return old[i].Key >= key })
	if i < len(old) && old[i].Key == key {
		if old[i].Value == value {
			return ts
		}
		out := &TagSet{tags: append([]Tag(nil), old...)}
		out.tags[i].Value = value
		return out
	}
	tags := make([]Tag, len(old)+1)
	copy(tags, old[:i])
	tags[i] = Tag{key, value}
	copy(tags[i+1:], old[i:])
	return &TagSet{tags: tags}
}

// WithAll returns ts with every pair of m added (m's values win).
func (ts *TagSet) WithAll(m map[string]string) *TagSet {
	for k, v := range m {
		ts = ts.With(k, v)
	}
	return ts
}

// Without returns ts less key.
func (ts *TagSet) Without(key string) *TagSet {
	if _, ok := ts.Get(key); !ok {
		return ts
	}
	out := &TagSet{tags: make([]Tag, 0, len(ts.tags)-1)}
	for _, t := range ts.tags {
		if t.Key != key {
			out.tags = append(out.tags, t)
		}
	}
	return out
}

// Get returns the value of key.
func (ts *TagSet) Get(key string) (string, bool) {
	if ts == nil {
		return "", false
	}
	for _, t := range ts.tags { // sets are small: a scan beats a binary search
		if t.Key == key {
			return t.Value, true
		}
	}
	return "", false
}

// Len is the number of tags.
func (ts *TagSet) Len() int {
	if ts == nil {
		return 0
	}
	return len(ts.tags)
}

// Tags returns the pairs sorted by key. The caller must not modify them.
func (ts *TagSet) Tags() []Tag {
	if ts == nil {
		return nil
	}
	return ts.tags
}

// Map returns a copy of the tags as a map.
func (ts *TagSet) Map() map[string]string {
	m := make(map[string]string, ts.Len())
	for _, t := range ts.Tags() {
		m[t.Key] = t.Value
	}
	return m
}

// Contains reports whether every pair of sub is in ts.
func (ts *TagSet) Contains(sub *TagSet) bool {
	for _, t := range sub.Tags() {
		if v, ok := ts.Get(t.Key); !ok || v != t.Value {
			return false
		}
	}
	return true
}

// String renders the set as k1=v1,k2=v2, which is also a canonical key.
func (ts *TagSet) String() string {
	var b strings.Builder
	for i, t := range ts.Tags() {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(t.Key)
		b.WriteByte('=')
		b.WriteString(t.Value)
	}
	return b.String()
}

// Extend returns a set holding ts's tags and the extra ones (extra wins on a
// clash), built with one allocation for the slice: this is how the request
// path tags a sample without a copy per tag.
func (ts *TagSet) Extend(extra ...Tag) *TagSet {
	tags := make([]Tag, 0, ts.Len()+len(extra))
	tags = append(tags, ts.Tags()...)
	base := len(tags)
next:
	for _, e := range extra {
		for i := range tags {
			if tags[i].Key == e.Key {
				tags[i].Value = e.Value
				continue next
			}
		}
		tags = append(tags, e)
	}
	if len(tags) > base {
		slices.SortFunc(tags, byKey)
	}
	return &TagSet{tags: tags}
}

func byKey(a, b Tag) int { return strings.Compare(a.Key, b.Key) }
