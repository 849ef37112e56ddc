package runtime

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseSegment(t *testing.T) {
	for _, c := range []struct {
		segment, sequence string
		want, wantSeq     string
		share             float64
	}{
		{"1/4:2/4", "", "1/4:1/2", "0,1/4,1/2,3/4,1", 0.25},
		{"0.25:0.5", "", "1/4:1/2", "0,1/4,1/2,3/4,1", 0.25},
		{"25%:50%", "", "1/4:1/2", "0,1/4,1/2,3/4,1", 0.25},
		{"1/3", "", "0:1/3", "0,1/3,2/3,1", 1.0 / 3},
		{"1/3:1", "", "1/3:1", "0,1/3,2/3,1", 2.0 / 3},
		{"0:1/2", "0,1/2,1", "0:1/2", "0,1/2,1", 0.5},
		{"1/10:4/10", "0,1/10,4/10,1", "1/10:2/5", "0,1/10,2/5,1", 0.3},
	} {
		s, err := ParseSegment(c.segment, c.sequence)
		if err != nil {
			t.Errorf("%q %q: %v", c.segment, c.sequence, err)
			continue
		}
		if s.String() != c.want || s.Sequence() != c.wantSeq || s.Share() != c.share {
			t.Errorf("%q %q: got %s in %s (share %v), want %s in %s (%v)", c.segment, c.sequence,
				s, s.Sequence(), s.Share(), c.want, c.wantSeq, c.share)
		}
	}
	if s, err := ParseSegment("", "0,1/2,1"); s != nil || err != nil {
		t.Errorf("no segment: got %v, %v; want the whole test", s, err)
	}
	for _, c := range []struct{ segment, sequence, want string }{
		{"a:1", "", `"a" is not a fraction`},
		{"1/2:1/4", "", "need 0 ≤ FROM < TO ≤ 1"},
		{"0:3/2", "", "need 0 ≤ FROM < TO ≤ 1"},
		{"1/3:2/3", "0,1/2,1", "both ends must be boundaries of the sequence 0,1/2,1"},
		{"0:1/2", "1/4,1/2,1", "it must start at 0 and end at 1"},
		{"0:1/2", "0,1/2,1/4,1", "the boundaries must ascend"},
		{"", "0,x,1", `"x" is not a fraction`},
		{"0:1/1048577", "", "common denominator exceeds"},
	} {
		_, err := ParseSegment(c.segment, c.sequence)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q %q: got error %v, want one saying %q", c.segment, c.sequence, err, c.want)
		}
	}
}

// randomSequence returns the segments of a random sequence of up to 6
// parts whose boundaries have denominators up to 12.
func randomSequence(r *rand.Rand) []*Segment {
	d := int64(r.IntN(12) + 1)
	cuts := map[int64]bool{}
	for range r.IntN(6) {
		cuts[r.Int64N(d)+1] = true // may repeat; a cut at d is the end
	}
	bounds := []int64{0, d}
	for c := range cuts {
		if c < d {
			bounds = append(bounds, c)
		}
	}
	slices.Sort(bounds)
	var seq []string
	for _, b := range bounds {
		seq = append(seq, big.NewRat(b, d).RatString())
	}
	sequence := strings.Join(seq, ",")
	var segs []*Segment
	for i := range len(seq) - 1 {
		s, err := ParseSegment(seq[i]+":"+seq[i+1], sequence)
		if err != nil {
			panic(fmt.Sprintf("%s in %s: %v", seq[i]+":"+seq[i+1], sequence, err))
		}
		segs = append(segs, s)
	}
	return segs
}

// TestSegmentsPartitionIndices: for random sequences and counts, the
// segments' parts of n add up to n, and their indices are exactly 0…n-1,
// each owned once, each part close to its share.
func TestSegmentsPartitionIndices(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for range 300 {
		segs := randomSequence(r)
		n := r.Int64N(500)
		seen := make([]int, n)
		var sum int64
		for _, s := range segs {
			part := s.Scale(n)
			sum += part
			if exact := float64(n) * s.Share(); float64(part) < exact-1 || float64(part) > exact+1 {
				t.Errorf("%s of %s: %d of %d, want within 1 of %.2f", s, s.Sequence(), part, n, exact)
			}
			for k := range part {
				g := s.Global(k)
				if g < 0 || g >= n {
					t.Fatalf("%s of %s: index %d of %d maps to %d, outside 0…%d", s, s.Sequence(), k, part, g, n-1)
				}
				seen[g]++
			}
		}
		if sum != n {
			t.Errorf("%s: parts add up to %d, want %d", segs[0].Sequence(), sum, n)
		}
		for i, c := range seen {
			if c != 1 {
				t.Fatalf("%s: index %d owned %d times", segs[0].Sequence(), i, c)
			}
		}
	}
}

// segmentWork is what an executor does in one instance: its VUs, and the
// iterations (or the starts of its schedule) it runs.
type segmentWork struct {
	pre, max   int64
	iterations int64
	starts     []time.Duration
}

func workOf(t *testing.T, c ScenarioConfig, seg *Segment) segmentWork {
	t.Helper()
	ex, err := NewExecutor(c, seg)
	if err != nil {
		t.Fatal(err)
	}
	w := segmentWork{pre: ex.PreAllocatedVUs(), max: ex.MaxVUs()}
	switch e := ex.(type) {
	case *sharedIterations:
		w.iterations = e.iterations
	case *perVUIterations:
		w.iterations = e.vus * e.cfg.Iterations
	case *constantArrivalRate:
		w.starts = allStarts(segmentStarts(e.seg, e.cfg.startAt))
	case *rampingArrivalRate:
		w.starts = allStarts(segmentStarts(e.seg, e.cfg.startAt))
	}
	return w
}

func allStarts(at func(int64) (time.Duration, bool)) []time.Duration {
	var starts []time.Duration
	for n := int64(0); ; n++ {
		d, ok := at(n)
		if !ok {
			return starts
		}
		starts = append(starts, d)
	}
}

// TestSegmentedExecutorsAddUp: for random sequences and configurations of
// every executor, the segments' VUs, iterations and start times add up to
// the whole's exactly.
func TestSegmentedExecutorsAddUp(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	n := func(lo, hi int64) int64 { return lo + r.Int64N(hi-lo+1) }
	for i := range 200 {
		vus, iters := n(1, 40), n(1, 10)
		pre := n(1, 20)
		configs := []ScenarioConfig{
			func() ScenarioConfig {
				c := NewSharedIterationsConfig("s")
				c.VUs, c.Iterations = vus, vus+n(0, 200)
				return c
			}(),
			func() ScenarioConfig {
				c := NewPerVUIterationsConfig("p")
				c.VUs, c.Iterations = vus, iters
				return c
			}(),
			func() ScenarioConfig {
				c := NewConstantVUsConfig("c")
				c.VUs, c.Duration = vus, Duration(time.Second)
				return c
			}(),
			func() ScenarioConfig {
				c := NewConstantArrivalRateConfig("a")
				maxVUs := pre + n(0, 10)
				c.Rate, c.TimeUnit, c.Duration = n(1, 300), Duration(time.Second), Duration(n(1, 3))*Duration(time.Second)
				c.PreAllocatedVUs, c.MaxVUs = &pre, &maxVUs
				return c
			}(),
			func() ScenarioConfig {
				c := NewRampingArrivalRateConfig("r")
				c.StartRate, c.PreAllocatedVUs = n(0, 50), &pre
				c.Stages = []Stage{{Duration(time.Second), n(1, 200)}, {Duration(2 * time.Second), n(0, 100)}}
				return c
			}(),
		}
		segs := randomSequence(r)
		for _, c := range configs {
			whole := workOf(t, c, nil)
			var sum segmentWork
			for _, s := range segs {
				w := workOf(t, c, s)
				sum.pre, sum.max, sum.iterations = sum.pre+w.pre, sum.max+w.max, sum.iterations+w.iterations
				sum.starts = append(sum.starts, w.starts...)
			}
			slices.Sort(sum.starts)
			if sum.pre != whole.pre || sum.max != whole.max || sum.iterations != whole.iterations || !slices.Equal(sum.starts, whole.starts) {
				t.Fatalf("case %d, %s over %s: segments add up to %d/%d VUs, %d iterations, %d starts; the whole has %d/%d, %d, %d",
					i, c.Base().Executor, segs[0].Sequence(), sum.pre, sum.max, sum.iterations, len(sum.starts),
					whole.pre, whole.max, whole.iterations, len(whole.starts))
			}
		}
	}
}

// TestSegmentedRampingVUsAddUp: at every step of a ramp, the segments'
// VU counts add up to the whole's.
func TestSegmentedRampingVUsAddUp(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 17))
	for range 100 {
		c := NewRampingVUsConfig("r")
		c.StartVUs = r.Int64N(10)
		c.Stages = []Stage{{Duration(10 * time.Second), r.Int64N(60) + 1}, {Duration(5 * time.Second), r.Int64N(30)}}
		segs := randomSequence(r)
		var maxSum int64
		for _, s := range segs {
			maxSum += workOf(t, c, s).max
		}
		if maxSum != c.maxVUs() {
			t.Fatalf("%s: segments' max VUs add up to %d, want %d", segs[0].Sequence(), maxSum, c.maxVUs())
		}
		for at := time.Duration(0); at < 16*time.Second; at += 250 * time.Millisecond {
			var sum int64
			for _, s := range segs {
				sum += s.Scale(c.vusAt(at))
			}
			if sum != c.vusAt(at) {
				t.Fatalf("%s at %s: segments run %d VUs, the whole %d", segs[0].Sequence(), at, sum, c.vusAt(at))
			}
		}
	}
}

func TestIterationInTestIsUniqueAcrossSegments(t *testing.T) {
	seen := map[int64]string{}
	for _, spec := range []string{"0:1/4", "1/4:2/4", "2/4:3/4", "3/4:1"} {
		seg, err := ParseSegment(spec, "")
		if err != nil {
			t.Fatal(err)
		}
		ex, err := NewExecutor(NewSharedIterationsConfig("s"), seg)
		if err != nil {
			t.Fatal(err)
		}
		for range 50 {
			it := ex.Scenario().NextIteration()
			if other, dup := seen[it.InTest]; dup {
				t.Fatalf("iterationInTest %d given to both %s and %s", it.InTest, other, spec)
			}
			seen[it.InTest] = spec
		}
	}
}
