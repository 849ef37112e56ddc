package js

import (
	cryptorand "crypto/rand"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/dop251/goja"
)

// utilsModule stands in for jslib's k6-utils
// (https://jslib.k6.io/k6-utils/1.x.x/index.js), which scripts import by
// URL: the same functions with the same results, without fetching
// anything. Its stage helpers and Promise-aware check are not here (see
// unsupportedExports).
func utilsModule(vu *VU) map[string]any {
	return map[string]any{
		"randomString": func(c goja.FunctionCall) goja.Value {
			charset := "abcdefghijklmnopqrstuvwxyz"
			if present(c.Argument(1)) {
				charset = c.Argument(1).String()
			}
			return vu.rt.ToValue(randomString(int(c.Argument(0).ToInteger()), charset))
		},
		"randomIntBetween": func(c goja.FunctionCall) goja.Value {
			lo, hi := c.Argument(0).ToFloat(), c.Argument(1).ToFloat()
			return vu.rt.ToValue(math.Floor(rand.Float64()*(hi-lo+1) + lo))
		},
		"randomItem": func(c goja.FunctionCall) goja.Value {
			arr, ok := c.Argument(0).(*goja.Object)
			if !ok {
				vu.throw("randomItem() needs an array")
			}
			n := arr.Get("length").ToFloat()
			return arr.Get(strconv.Itoa(int(math.Floor(rand.Float64() * n))))
		},
		"uuidv4": func(c goja.FunctionCall) goja.Value {
			return vu.rt.ToValue(uuidv4(c.Argument(0).ToBoolean()))
		},
		"findBetween": func(c goja.FunctionCall) goja.Value {
			found := findBetween(c.Argument(0).String(), c.Argument(1).String(), c.Argument(2).String(), c.Argument(3).ToBoolean())
			if found == nil {
				return goja.Null()
			}
			if !c.Argument(3).ToBoolean() {
				return vu.rt.ToValue(found[0])
			}
			return vu.rt.ToValue(found)
		},
		"normalDistributionStages": func(c goja.FunctionCall) goja.Value {
			n := 10
			if present(c.Argument(2)) {
				n = int(c.Argument(2).ToInteger())
			}
			return vu.rt.ToValue(normalDistributionStages(c.Argument(0).ToFloat(), c.Argument(1).ToFloat(), n))
		},
		"parseDuration": func(c goja.FunctionCall) goja.Value {
			ms, err := parseStageDuration(c.Argument(0).String())
			if err != nil {
				vu.throw("parseDuration: %v", err)
			}
			return vu.rt.ToValue(ms)
		},
	}
}

// randomString picks n characters of charset at random. As in k6-utils,
// a character is a UTF-16 code unit.
func randomString(n int, charset string) string {
	units := utf16.Encode([]rune(charset))
	if len(units) == 0 || n <= 0 {
		return strings.Repeat("undefined", max(n, 0)) // what k6-utils gives for an empty charset
	}
	out := make([]uint16, n)
	for i := range out {
		out[i] = units[rand.IntN(len(units))]
	}
	return string(utf16.Decode(out))
}

// uuidv4 is a random (version 4) UUID; secure takes the bits from
// crypto/rand rather than the faster generator.
func uuidv4(secure bool) string {
	var b [16]byte
	if secure {
		_, _ = cryptorand.Read(b[:])
	} else {
		for i := range b {
			b[i] = byte(rand.UintN(256))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// findBetween returns what lies between left and right: the first match,
// or with repeat all of them, each search starting after the previous
// match's right. nil means none.
func findBetween(content, left, right string, repeat bool) []string {
	var found []string
	for {
		start := strings.Index(content, left)
		if start < 0 {
			break
		}
		start += len(left)
		end := strings.Index(content[start:], right)
		if end < 0 {
			break
		}
		found = append(found, content[start:start+end])
		if !repeat {
			break
		}
		content = content[start+end+len(right):]
	}
	return found
}

// normalDistributionStages makes ramping stages whose targets follow a
// normal curve from -2σ to +2σ peaking at maxVUs, as k6-utils does: a
// first and a last stage of a sixth of the duration each, and n stages
// sharing the four sixths in between.
func normalDistributionStages(maxVUs, durationSeconds float64, n int) []map[string]any {
	if n < 1 {
		n = 1
	}
	density := func(x float64) float64 { return math.Exp(-x*x/2) / math.Sqrt(2*math.Pi) }
	curve := make([]float64, n+2) // the last stage's target stays 0
	peak := 0.0
	for i := 0; i <= n; i++ {
		curve[i] = density(-2 + 4*float64(i)/float64(n))
		peak = max(peak, curve[i])
	}
	edge := math.Ceil(durationSeconds / 6)
	middle := math.Ceil(4 * durationSeconds / (6 * float64(n)))
	stages := make([]map[string]any, n+2)
	for k := range stages {
		d := middle
		if k == 0 || k == n+1 {
			d = edge
		}
		stages[k] = map[string]any{
			"duration": strconv.FormatFloat(d, 'f', -1, 64) + "s",
			"target":   jsRound(curve[k] * maxVUs / peak),
		}
	}
	return stages
}

// jsRound is JavaScript's Math.round: halves go up.
func jsRound(x float64) float64 { return math.Floor(x + 0.5) }

// parseStageDuration reads a k6 duration ("1m30s", "1.5h", "300ms", a
// bare number of milliseconds) as milliseconds, as k6-utils'
// parseDuration does.
func parseStageDuration(s string) (float64, error) {
	if s == "" {
		return 0, fmt.Errorf("the duration is empty")
	}
	units := map[string]float64{"d": 86400000, "h": 3600000, "m": 60000, "s": 1000, "ms": 1}
	seen := map[string]bool{}
	total, num := 0.0, ""
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' || c == '.' {
			num += string(c)
			continue
		}
		unit := string(c)
		if c == 'm' && i+1 < len(s) && s[i+1] == 's' {
			unit, i = "ms", i+1
		}
		mult, ok := units[unit]
		if !ok {
			return 0, fmt.Errorf("%s is an unsupported time unit", unit)
		}
		if seen[unit] {
			return 0, fmt.Errorf("%s time unit is provided multiple times", unit)
		}
		seen[unit] = true
		v, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		if unit == "ms" {
			v = math.Trunc(v)
		}
		total += v * mult
		num = ""
	}
	if num != "" {
		v, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		total += v
	}
	return total, nil
}
