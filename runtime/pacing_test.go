package runtime

import (
	"math"
	"testing"
	"time"
)

func stages(pairs ...any) []Stage {
	var out []Stage
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, Stage{Duration: Duration(pairs[i].(time.Duration)), Target: int64(pairs[i+1].(int))})
	}
	return out
}

const (
	ms = time.Millisecond
	s  = time.Second
)

func TestVUsAt(t *testing.T) {
	// From 2 VUs: up to 10 over 8s, hold 4s, down to 0 over 5s, jump to 3.
	st := stages(8*s, 10, 4*s, 10, 5*s, 0, time.Duration(0), 3)
	for _, c := range []struct {
		at   time.Duration
		want int64
	}{
		{0, 2},
		{999 * ms, 2}, // 2 + 8·0.999/8: one VU more each second
		{1 * s, 3},
		{4 * s, 6},
		{7999 * ms, 9},
		{8 * s, 10}, // the first stage's end
		{10 * s, 10},
		{12 * s, 10},
		{12*s + 1, 10}, // down too, a VU leaves when the line reaches the next whole VU
		{12*s + 499*ms, 10},
		{12*s + 500*ms, 9},
		{13 * s, 8},
		{16*s + 999*ms, 1},
		{17 * s, 3}, // the zero-length stage jumps to its target at once
		{time.Hour, 3},
	} {
		if got := vusAt(2, st, c.at); got != c.want {
			t.Errorf("vusAt(%s) = %d, want %d", c.at, got, c.want)
		}
	}
	if got := vusAt(4, nil, time.Minute); got != 4 {
		t.Errorf("no stages: %d VUs, want the start's 4", got)
	}
}

func TestVUsChangeAfterVisitsEveryChange(t *testing.T) {
	// Walking from change to change must meet every value vusAt takes,
	// and vusAt must not change between two consecutive instants.
	st := stages(3*s, 7, 2*s, 7, 7*s, 1, 1*s, 1, time.Duration(0), 5, 2*s, 0)
	var changes []time.Duration
	for at, ok := time.Duration(0), true; ok; at, ok = vusChangeAfter(1, st, at) {
		changes = append(changes, at)
	}
	for i := 1; i < len(changes); i++ {
		before, after := changes[i-1], changes[i]
		if after <= before {
			t.Fatalf("changes not increasing: %v", changes)
		}
		if vusAt(1, st, after-1) != vusAt(1, st, before) {
			t.Errorf("vusAt changed between %s and %s", before, after)
		}
	}
	// The start, then each VU step and each stage end (a step at a stage's
	// end is one point); the zero-length stage adds none.
	if got, want := len(changes), 1+6+1+6+1+5; got != want {
		t.Errorf("%d change points, want %d: %v", got, want, changes)
	}
	if last := changes[len(changes)-1]; last != stagesDuration(st) {
		t.Errorf("last change at %s, want the end %s", last, stagesDuration(st))
	}
}

func TestConstantArrival(t *testing.T) {
	for _, c := range []struct {
		rate     int64
		unit     time.Duration
		duration time.Duration
		n        int64
		want     time.Duration
		ok       bool
	}{
		{10, s, time.Minute, 0, 0, true},
		{10, s, time.Minute, 5, 500 * ms, true},
		{10, s, time.Minute, 599, 59900 * ms, true},
		{10, s, time.Minute, 600, 0, false}, // exactly at the end: not started
		{3, s, time.Minute, 1, 333333333, true},
		{3, s, time.Minute, 3000 / 3, 0, false},
		{3, s, 10 * time.Minute, 1000, 1000 * s / 3, true}, // n·unit/rate, no sum of rounded intervals
		{1, time.Minute, time.Hour, 2, 2 * time.Minute, true},
		// n·unit overflows int64: 10⁹ per hour for 1000h.
		{1e9, time.Hour, 1000 * time.Hour, 1e12 - 1, 1000*time.Hour - 3600, true},
		{1e9, time.Hour, 1000 * time.Hour, 1e12, 0, false},
	} {
		got, ok := constantArrival(c.rate, c.unit, c.duration, c.n)
		if got != c.want || ok != c.ok {
			t.Errorf("%d/%s for %s, n=%d: %s %v, want %s %v", c.rate, c.unit, c.duration, c.n, got, ok, c.want, c.ok)
		}
	}
}

func TestRampingArrivalExact(t *testing.T) {
	for _, c := range []struct {
		name   string
		start  int64
		unit   time.Duration
		stages []Stage
		n      int64
		want   time.Duration
		ok     bool
	}{
		{"constant rate is n/rate", 10, s, stages(10*s, 10), 5, 500 * ms, true},
		{"ramp 0→10/s: √(2n)s, n=0", 0, s, stages(10*s, 10), 0, 0, true},
		{"ramp 0→10/s: √(2n)s, n=2", 0, s, stages(10*s, 10), 2, 2 * s, true},
		{"ramp 0→10/s: √(2n)s, n=8", 0, s, stages(10*s, 10), 8, 4 * s, true},
		{"ramp 0→10/s: √(2n)s, n=32", 0, s, stages(10*s, 10), 32, 8 * s, true},
		{"ramp 0→10/s holds 50 iterations", 0, s, stages(10*s, 10), 50, 0, false},
		// Down 10→0/s over 10s: 50 iterations; the n-th at t with
		// 10t − t²/2 = n, so n=42 at 10 − √(100−84) = 6s.
		{"ramp down 10→0/s", 10, s, stages(10*s, 0), 42, 6 * s, true},
		{"ramp down, last", 10, s, stages(10*s, 0), 50, 0, false},
		// 0/s for 5s, then 60/min for 10s: the first start is at 5s.
		{"zero-rate stage", 0, time.Minute, stages(5*s, 0, time.Duration(0), 60, 10*s, 60), 0, 5 * s, true},
		{"after zero-rate stage", 0, time.Minute, stages(5*s, 0, time.Duration(0), 60, 10*s, 60), 3, 8 * s, true},
		{"at a stage's boundary", 0, s, stages(2*s, 4, 10*s, 4), 4, 2 * s, true},
		{"second stage", 0, s, stages(2*s, 4, 10*s, 4), 5, 2*s + 250*ms, true},
	} {
		got, ok := rampingArrival(c.start, c.unit, c.stages, c.n)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: n=%d at %s %v, want %s %v", c.name, c.n, got, ok, c.want, c.ok)
		}
	}
}

func TestRampingArrivalMatchesTheIntegral(t *testing.T) {
	// 0→10/s over 10s starts the n-th iteration at √(2n) s, to the ns.
	st := stages(10*s, 10)
	for n := int64(0); n < 50; n++ {
		got, ok := rampingArrival(0, s, st, n)
		want := math.Sqrt(2*float64(n)) * 1e9
		if !ok || math.Abs(float64(got)-want) > 1 {
			t.Errorf("n=%d at %s %v, want %.0fns", n, got, ok, want)
		}
	}
	// Starts never go backwards, across stages of every kind.
	st = stages(3*s, 20, 4*s, 20, 2*s, 5, time.Duration(0), 0, 2*s, 0, 5*s, 30)
	prev := time.Duration(-1)
	n := int64(0)
	for ; ; n++ {
		at, ok := rampingArrival(7, s, st, n)
		if !ok {
			break
		}
		if at < prev {
			t.Fatalf("n=%d starts at %s, before n-1 at %s", n, at, prev)
		}
		prev = at
	}
	// The area: (7+20)/2·3 + 20·4 + (20+5)/2·2 + 0 + 0 + 30/2·5 = 40.5+80+25+75.
	if n != 221 {
		t.Errorf("%d iterations, want ⌈220.5⌉ = 221", n)
	}
}
