package main

import "testing"

func TestGCPercentFor(t *testing.T) {
	for _, c := range []struct {
		live uint64
		want int
	}{
		{0, 800},         // no collection yet: Go's smallest goal, 32 MB
		{1 << 20, 800},   // a goal of 32 MB, not 4 MB × 32
		{4 << 20, 800},   // a few VUs: 32 MB of room
		{5 << 20, 700},   // rounded up to a step of 100
		{32 << 20, 100},  // from here on, Go's default
		{100 << 20, 100}, // thousands of VUs
		{1 << 40, 100},   // never below the default
	} {
		if got := gcPercentFor(c.live); got != c.want {
			t.Errorf("gcPercentFor(%d MB) = %d, want %d", c.live>>20, got, c.want)
		}
	}
}
