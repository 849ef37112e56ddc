package runtime

import (
	"math"
	"math/bits"
	"time"
)

// Pacing: when each iteration starts and how many VUs loop, as pure
// functions of the configuration and the time elapsed since the scenario's
// start. They need no clock, so they are tested with plain tables, and the
// executors only sleep until the times they return.
//
// Products such as target × elapsed overflow int64 for long tests with
// many VUs (1e6 VUs × a day in ns > 2⁶³), so the arithmetic below is exact
// in 128 bits.

// mulDiv returns a×b/c rounded down. a and b must not be negative, c must
// be positive, and the result must fit in an int64.
func mulDiv(a, b, c int64) int64 {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	q, _ := bits.Div64(hi, lo, uint64(c))
	return int64(q)
}

// mulDivUp is mulDiv rounded up.
func mulDivUp(a, b, c int64) int64 {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	q, r := bits.Div64(hi, lo, uint64(c))
	if r != 0 {
		q++
	}
	return int64(q)
}

// u128 is an unsigned 128-bit integer, enough for sums of rate × ns.
type u128 struct{ hi, lo uint64 }

func mul128(a, b uint64) u128 {
	hi, lo := bits.Mul64(a, b)
	return u128{hi, lo}
}

func (x u128) add(y u128) u128 {
	lo, carry := bits.Add64(x.lo, y.lo, 0)
	hi, _ := bits.Add64(x.hi, y.hi, carry)
	return u128{hi, lo}
}

// sub returns x−y; y must not exceed x.
func (x u128) sub(y u128) u128 {
	lo, borrow := bits.Sub64(x.lo, y.lo, 0)
	hi, _ := bits.Sub64(x.hi, y.hi, borrow)
	return u128{hi, lo}
}

func (x u128) less(y u128) bool { return x.hi < y.hi || x.hi == y.hi && x.lo < y.lo }

func (x u128) float() float64 { return float64(x.hi)*0x1p64 + float64(x.lo) }

// div returns x/d rounded down; the quotient must fit in 64 bits.
func (x u128) div(d uint64) uint64 {
	q, _ := bits.Div64(x.hi, x.lo, d)
	return q
}

// stagesDuration is the total length of stages.
func stagesDuration(stages []Stage) time.Duration {
	var total time.Duration
	for _, st := range stages {
		total += time.Duration(st.Duration)
	}
	return total
}

// vusAt is how many VUs a ramping-vus scenario wants looping at elapsed.
// Within a stage the count moves linearly from the previous target to the
// stage's, changing only when the line crosses the next whole VU (so a
// ramp from 0 to 10 over 10s adds a VU each second, the first at 1s). A
// zero-length stage jumps to its target. After the last stage, the last
// target holds.
func vusAt(start int64, stages []Stage, elapsed time.Duration) int64 {
	var begin time.Duration
	from := start
	for _, st := range stages {
		d := time.Duration(st.Duration)
		if elapsed < begin+d {
			return from + rampStep(st.Target-from, elapsed-begin, d)
		}
		begin, from = begin+d, st.Target
	}
	return from
}

// rampStep is how far a ramp of delta whole units over d has come at x,
// 0 ≤ x < d: the linear value truncated towards zero.
func rampStep(delta int64, x, d time.Duration) int64 {
	if delta < 0 {
		return -mulDiv(-delta, int64(x), int64(d))
	}
	return mulDiv(delta, int64(x), int64(d))
}

// vusChangeAfter is the first time after elapsed at which vusAt may
// change (a stage's end is always one), and false once the stages are
// over.
func vusChangeAfter(start int64, stages []Stage, elapsed time.Duration) (time.Duration, bool) {
	var begin time.Duration
	from := start
	for _, st := range stages {
		d := time.Duration(st.Duration)
		if elapsed < begin+d {
			return begin + stepAfter(st.Target-from, elapsed-begin, d), true
		}
		begin, from = begin+d, st.Target
	}
	return 0, false
}

// stepAfter is the first offset after x at which rampStep(delta, ·, d)
// changes, or d if it does not before the ramp ends.
func stepAfter(delta int64, x, d time.Duration) time.Duration {
	n := max(delta, -delta)
	if n == 0 {
		return d
	}
	// The count reaches k when n·x ≥ k·d, the first instant being ⌈k·d/n⌉.
	k := mulDiv(n, int64(x), int64(d)) + 1
	return min(time.Duration(mulDivUp(k, int64(d), n)), d)
}

// constantArrival is when the n-th iteration (0-based) of a
// constant-arrival-rate scenario starts: n×unit/rate after the start,
// computed from n so that no error accumulates; false once that is at or
// past the end.
func constantArrival(rate int64, unit, duration time.Duration, n int64) (time.Duration, bool) {
	// ⌊n·unit/rate⌋ < duration exactly when n·unit < duration·rate.
	if !mul128(uint64(n), uint64(unit)).less(mul128(uint64(duration), uint64(rate))) {
		return 0, false
	}
	return time.Duration(mulDiv(n, int64(unit), rate)), true
}

// rampingArrival is when the n-th iteration (0-based) of a
// ramping-arrival-rate scenario starts: the instant t at which the
// integral of the rate from the start to t reaches n. The rate, in
// iterations per unit, moves linearly in each stage from the previous
// target (startRate first) to the stage's. False once the stages end
// before the n-th iteration.
//
// The stage holding the n-th iteration is found exactly, in 128-bit
// integers scaled by 2·unit; only the position inside the stage, the root
// of a quadratic, is computed in floating point.
func rampingArrival(startRate int64, unit time.Duration, stages []Stage, n int64) (time.Duration, bool) {
	goal := mul128(uint64(n), 2*uint64(unit)) // 2·unit·n
	var done u128                             // 2·unit × iterations of the stages before
	var begin time.Duration
	from := startRate
	for _, st := range stages {
		d := time.Duration(st.Duration)
		next := done.add(mul128(uint64(from)+uint64(st.Target), uint64(d)))
		if goal.less(next) {
			return begin + offsetInRamp(goal.sub(done), from, st.Target, d), true
		}
		done, begin, from = next, begin+d, st.Target
	}
	return 0, false
}

// offsetInRamp solves for τ in [0, d) the area of a rate ramp from a to b
// over d: 2aτ + (b−a)τ²/d = m, m being 2·unit × the iterations into the
// stage (so m < (a+b)·d).
func offsetInRamp(m u128, a, b int64, d time.Duration) time.Duration {
	if a == b {
		return time.Duration(m.div(2 * uint64(a))) // exact: τ = m/2a
	}
	if m == (u128{}) {
		return 0
	}
	// The root written as m/(a+√(a²+(b−a)m/d)) does not cancel when b < a
	// and needs no case for a = 0.
	mf, af := m.float(), float64(a)
	tau := mf / (af + math.Sqrt(af*af+float64(b-a)*mf/float64(d)))
	return min(time.Duration(math.Round(tau)), d-1)
}
