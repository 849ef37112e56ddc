package runtime

import (
	"fmt"
	"math/big"
	"slices"
	"strings"
)

// Execution segments split one test's work among several instances, with
// k6's semantics: a segment is a fraction [from, to) of the whole, and a
// sequence is the list of boundaries that all instances share, e.g.
// "0,1/4,2/4,3/4,1". The N segments of a sequence together run exactly
// the work of one unsegmented run.
//
// Exactness comes from striping. The sequence's parts are laid out over
// lcd slots (lcd being the least common denominator of its boundaries), a
// part of size s owning s·lcd slots spread evenly over them. Any count n
// (VUs, iterations, the n-th start of an arrival-rate schedule) is then
// split by index: index i belongs to the part that owns slot i mod lcd.
// Every index belongs to exactly one part, so the parts of any count add
// up to it, and each part's share stays within one of n·size at every n.

// maxSegmentSlots bounds lcd, and so the memory a segment's striping
// takes; sequences of sixths, hundredths or 1/1000s are far below it.
const maxSegmentSlots = 1 << 20

// maxStripeWork bounds parts × lcd, the steps stripe takes (a fraction of
// a second): the even sequence of 0:1/1048576 has a million parts over a
// million slots, which would deal for hours. Ten thousand parts over ten
// thousand slots (0:0.3333) are within it.
const maxStripeWork = 1 << 27

// Segment is this instance's share of the test. A nil *Segment is the
// whole test: its methods then leave every figure unchanged.
type Segment struct {
	from, to *big.Rat
	sequence []*big.Rat
	slots    []int64 // the slots this segment owns, ascending
	lcd      int64
}

// ParseSegment reads an execution segment ("1/4:2/4", "0.25:0.5",
// "25%:50%", or "1/4" for 0:1/4) and the sequence it belongs to ("" for
// none). Without a sequence, the sequence is the even split whose grid
// holds both ends (1/4:2/4 is the second of 0,1/4,2/4,3/4,1), so instances
// given segments of one grid agree on the striping without being told.
// An empty segment is the whole test: nil.
func ParseSegment(segment, sequence string) (*Segment, error) {
	segment, sequence = strings.TrimSpace(segment), strings.TrimSpace(sequence)
	if segment == "" {
		if sequence != "" {
			if _, err := parseSequence(sequence); err != nil {
				return nil, err
			}
		}
		return nil, nil
	}
	from, to, err := parseSegmentBounds(segment)
	if err != nil {
		return nil, err
	}
	var seq []*big.Rat
	if sequence == "" {
		seq, err = evenSequence(from, to)
	} else {
		seq, err = parseSequence(sequence)
	}
	if err != nil {
		return nil, err
	}
	return newSegment(from, to, seq)
}

func parseSegmentBounds(s string) (from, to *big.Rat, err error) {
	a, b, found := strings.Cut(s, ":")
	if !found {
		a, b = "0", a
	}
	if from, err = parseFraction(a); err == nil {
		to, err = parseFraction(b)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("execution segment %q: %w (write FROM:TO, e.g. 1/4:2/4)", s, err)
	}
	if from.Cmp(to) >= 0 || from.Sign() < 0 || to.Cmp(big.NewRat(1, 1)) > 0 {
		return nil, nil, fmt.Errorf("execution segment %q: need 0 ≤ FROM < TO ≤ 1", s)
	}
	return from, to, nil
}

// parseFraction reads "1/4", "0.25" or "25%".
func parseFraction(s string) (*big.Rat, error) {
	s = strings.TrimSpace(s)
	r := new(big.Rat)
	if pct, ok := strings.CutSuffix(s, "%"); ok {
		if _, ok := r.SetString(pct); !ok {
			return nil, fmt.Errorf("%q is not a percentage", s)
		}
		return r.Quo(r, big.NewRat(100, 1)), nil
	}
	if _, ok := r.SetString(s); !ok {
		return nil, fmt.Errorf("%q is not a fraction (like 1/4, 0.25 or 25%%)", s)
	}
	return r, nil
}

// parseSequence reads "0,1/4,2/4,3/4,1": ascending boundaries from 0 to 1.
func parseSequence(s string) ([]*big.Rat, error) {
	var seq []*big.Rat
	for f := range strings.SplitSeq(s, ",") {
		r, err := parseFraction(f)
		if err != nil {
			return nil, fmt.Errorf("execution segment sequence %q: %w", s, err)
		}
		if n := len(seq); n > 0 && r.Cmp(seq[n-1]) <= 0 {
			return nil, fmt.Errorf("execution segment sequence %q: the boundaries must ascend", s)
		}
		seq = append(seq, r)
	}
	if len(seq) < 2 || seq[0].Sign() != 0 || seq[len(seq)-1].Cmp(big.NewRat(1, 1)) != 0 {
		return nil, fmt.Errorf("execution segment sequence %q: it must start at 0 and end at 1, e.g. 0,1/4,2/4,3/4,1", s)
	}
	return seq, nil
}

// evenSequence is 0, 1/d, …, 1 for the least d on whose grid from and to
// lie. d is checked before the d+1 boundaries are made: a segment such as
// 0:1/1000000000000 must be refused, not exhaust the memory.
func evenSequence(from, to *big.Rat) ([]*big.Rat, error) {
	d, ok := commonDenominator([]*big.Rat{from, to})
	if !ok {
		return nil, fmt.Errorf("execution segment %s:%s: its common denominator exceeds %d", from.RatString(), to.RatString(), maxSegmentSlots)
	}
	seq := make([]*big.Rat, d+1)
	for i := range seq {
		seq[i] = big.NewRat(int64(i), d)
	}
	return seq, nil
}

// commonDenominator is the least common denominator of rs, when it is at
// most maxSegmentSlots.
func commonDenominator(rs []*big.Rat) (int64, bool) {
	d := int64(1)
	for _, r := range rs {
		if !r.Denom().IsInt64() || r.Denom().Int64() > maxSegmentSlots {
			return 0, false
		}
		d = lcm(d, r.Denom().Int64()) // both at most 2^20: no overflow
		if d > maxSegmentSlots {
			return 0, false
		}
	}
	return d, true
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func lcm(a, b int64) int64 { return a / gcd(a, b) * b }

// newSegment stripes seq's parts and keeps the slots of [from, to), which
// must be a run of whole parts of seq.
func newSegment(from, to *big.Rat, seq []*big.Rat) (*Segment, error) {
	first, last := indexOf(seq, from), indexOf(seq, to)
	if first < 0 || last < 0 {
		return nil, fmt.Errorf("execution segment %s:%s: both ends must be boundaries of the sequence %s",
			from.RatString(), to.RatString(), formatSequence(seq))
	}
	d, ok := commonDenominator(seq)
	if !ok {
		return nil, fmt.Errorf("execution segment sequence %s: its common denominator exceeds %d", formatSequence(seq), maxSegmentSlots)
	}
	if parts := int64(len(seq) - 1); parts*d > maxStripeWork {
		return nil, fmt.Errorf("execution segment sequence %s: %d parts over %d slots is too fine to deal (at most %d parts × slots)",
			formatSequence(seq), parts, d, int64(maxStripeWork))
	}
	owner := stripe(seq, d)
	s := &Segment{from: from, to: to, sequence: seq, lcd: d}
	for slot, part := range owner {
		if part >= first && part < last {
			s.slots = append(s.slots, int64(slot))
		}
	}
	return s, nil
}

func indexOf(seq []*big.Rat, r *big.Rat) int {
	for i, b := range seq {
		if b.Cmp(r) == 0 {
			return i
		}
	}
	return -1
}

// stripe deals lcd slots to the parts of seq, each part i getting
// size_i·lcd of them spread evenly: slot j goes to the part furthest
// behind its due share (j+1)·size_i, the lowest index on ties. The sum of
// the shortfalls is one before each deal, so the chosen part is always
// owed a slot, and no part gets more than its size.
func stripe(seq []*big.Rat, lcd int64) []int {
	sizes := make([]int64, len(seq)-1)
	for i := range sizes {
		w := new(big.Rat).Sub(seq[i+1], seq[i])
		w.Mul(w, big.NewRat(lcd, 1))
		sizes[i] = w.Num().Int64() // a whole number: lcd is a multiple of every denominator
	}
	dealt := make([]int64, len(sizes))
	owner := make([]int, lcd)
	for j := range lcd {
		best, bestOwed := 0, int64(-1<<63)
		for i, s := range sizes {
			// Scaled by lcd: (j+1)·size − lcd·dealt.
			if owed := (j+1)*s - lcd*dealt[i]; owed > bestOwed {
				best, bestOwed = i, owed
			}
		}
		owner[j] = best
		dealt[best]++
	}
	return owner
}

// Scale is this segment's part of a count n: how many of the indices
// 0…n-1 it owns.
func (s *Segment) Scale(n int64) int64 {
	if s == nil || n <= 0 {
		return max(n, 0)
	}
	q, r := n/s.lcd, n%s.lcd
	below, _ := slices.BinarySearch(s.slots, r) // the owned slots under r
	return q*int64(len(s.slots)) + int64(below)
}

// Global is the whole test's index of this segment's k-th index (both
// 0-based): the k-th index the segment owns. Distinct segments of one
// sequence never return the same index, which keeps iterationInTest and
// idInTest unique across instances.
func (s *Segment) Global(k int64) int64 {
	if s == nil {
		return k
	}
	per := int64(len(s.slots))
	return k/per*s.lcd + s.slots[k%per]
}

// Share is the segment's fraction of the whole, 1 for the whole test.
func (s *Segment) Share() float64 {
	if s == nil {
		return 1
	}
	f, _ := new(big.Rat).Sub(s.to, s.from).Float64()
	return f
}

// String is the segment as FROM:TO, "0:1" for the whole test.
func (s *Segment) String() string {
	if s == nil {
		return "0:1"
	}
	return s.from.RatString() + ":" + s.to.RatString()
}

// Sequence is the sequence the segment belongs to, "0,1" for the whole.
func (s *Segment) Sequence() string {
	if s == nil {
		return "0,1"
	}
	return formatSequence(s.sequence)
}

// Bounds are the segment's ends, for checking that segments cover a whole.
func (s *Segment) Bounds() (from, to *big.Rat) {
	if s == nil {
		return new(big.Rat), big.NewRat(1, 1)
	}
	return new(big.Rat).Set(s.from), new(big.Rat).Set(s.to)
}

func formatSequence(seq []*big.Rat) string {
	parts := make([]string, len(seq))
	for i, r := range seq {
		parts[i] = r.RatString()
	}
	return strings.Join(parts, ",")
}
