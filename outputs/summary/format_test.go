package summary

import "testing"

func TestFormatDuration(t *testing.T) {
	cases := []struct {
		ms   float64
		unit string
		want string
	}{
		{0, "", "0s"},
		{0.000812, "", "812ns"},
		{0.0000005, "", "0ns"},
		{0.001, "", "1µs"},
		{0.0021, "", "2.1µs"},
		{0.29, "", "290µs"},
		{0.123456, "", "123.45µs"}, // truncated, not rounded
		{1, "", "1ms"},
		{1.2, "", "1.2ms"},
		{30, "", "30ms"},
		{47.0449, "", "47.04ms"},
		{999.999, "", "999.99ms"},
		{1000, "", "1s"},
		{1500, "", "1.5s"},
		{4570, "", "4.57s"},
		{59999, "", "59.99s"},
		{60000, "", "1m0s"},
		{60500, "", "1m0s"}, // k6 drops the fraction of seconds past a minute
		{90000, "", "1m30s"},
		{90000.5, "", "1m30s"},
		{3723000, "", "1h2m3s"},
		{90061000, "", "25h1m1s"},
		{1500, "s", "1.50s"},
		{47.046, "ms", "47.05ms"},
		{0.0021, "us", "2.10µs"},
		{0, "ms", "0.00ms"},
	}
	for _, c := range cases {
		if got := formatDuration(c.ms, c.unit); got != c.want {
			t.Errorf("formatDuration(%v, %q) = %q, want %q", c.ms, c.unit, got, c.want)
		}
	}
}

func TestFormatBytes(t *testing.T) {
	cases := []struct {
		b    float64
		want string
	}{
		{0, "0 B"},
		{4, "4 B"},
		{9.5, "9.5 B"},
		{10, "10 B"},
		{718, "718 B"},
		{4900, "4.9 kB"},
		{9960, "10 kB"}, // 9.96 rounds to 10.0, which k6 prints without a decimal
		{36400, "36 kB"},
		{519000, "519 kB"},
		{1000000, "1.0 MB"},
		{1300000, "1.3 MB"},
		{11234000, "11 MB"},
		{1.5e12, "1.5 TB"},
	}
	for _, c := range cases {
		if got := formatBytes(c.b); got != c.want {
			t.Errorf("formatBytes(%v) = %q, want %q", c.b, got, c.want)
		}
	}
}

func TestFormatPercent(t *testing.T) {
	cases := []struct {
		trues, total int64
		want         string
	}{
		{0, 0, "0.00%"},
		{0, 63163, "0.00%"},
		{99999, 100000, "99.99%"}, // 99.999% truncates, never rounds up to 100
		{66110, 66116, "99.99%"},
		{1, 3, "33.33%"},
		{2, 3, "66.66%"},
		{29, 100, "29.00%"}, // k6's float product shows 28.99%
		{1, 1, "100.00%"},
		{1, 10000, "0.01%"},
		{1, 10001, "0.00%"},
		{1 << 60, 1 << 61, "50.00%"}, // no overflow on huge counts
	}
	for _, c := range cases {
		if got := formatPercent(c.trues, c.total); got != c.want {
			t.Errorf("formatPercent(%d, %d) = %q, want %q", c.trues, c.total, got, c.want)
		}
	}
}

func TestFormatNumber(t *testing.T) {
	cases := []struct {
		v    float64
		want string
	}{
		{0, "0"},
		{10, "10"},
		{152.3, "152.3"},
		{1.0 / 3, "0.333333"},
		{2.0000004, "2"},
		{-0.0000001, "0"},
		{-2.5, "-2.5"},
		{63163, "63163"},
	}
	for _, c := range cases {
		if got := formatNumber(c.v); got != c.want {
			t.Errorf("formatNumber(%v) = %q, want %q", c.v, got, c.want)
		}
	}
}

func TestFloorRatioForChecks(t *testing.T) {
	cases := []struct {
		p, f int64
		want uint64
	}{{480, 20, 96}, {33052, 6, 99}, {3, 1, 75}, {1, 2, 33}, {0, 5, 0}}
	for _, c := range cases {
		if got := floorRatio(c.p, c.p+c.f, 100); got != c.want {
			t.Errorf("floorRatio(%d, %d) = %d, want %d", c.p, c.p+c.f, got, c.want)
		}
	}
}
