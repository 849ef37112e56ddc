package js

import (
	"slices"
	"testing"
)

func TestFindBetween(t *testing.T) {
	content := `<a id="1"><a id="22"><a id="333">`
	if got := findBetween(content, `id="`, `"`, false); !slices.Equal(got, []string{"1"}) {
		t.Errorf("first = %v", got)
	}
	if got := findBetween(content, `id="`, `"`, true); !slices.Equal(got, []string{"1", "22", "333"}) {
		t.Errorf("repeat = %v", got)
	}
	if got := findBetween(content, "<b>", "</b>", true); got != nil {
		t.Errorf("no match = %v, want nil", got)
	}
	if got := findBetween("left only", "left", "right", false); got != nil {
		t.Errorf("no right = %v, want nil", got)
	}
}

// TestNormalDistributionStages compares with what k6-utils computes for
// normalDistributionStages(100, 60, 4): targets 14, 61, 100, 61, 14, 0;
// durations 10s, four of 10s, 10s.
func TestNormalDistributionStages(t *testing.T) {
	stages := normalDistributionStages(100, 60, 4)
	var durations []string
	var targets []float64
	for _, s := range stages {
		durations = append(durations, s["duration"].(string))
		targets = append(targets, s["target"].(float64))
	}
	if want := []float64{14, 61, 100, 61, 14, 0}; !slices.Equal(targets, want) {
		t.Errorf("targets = %v, want %v", targets, want)
	}
	if want := []string{"10s", "10s", "10s", "10s", "10s", "10s"}; !slices.Equal(durations, want) {
		t.Errorf("durations = %v, want %v", durations, want)
	}
	if d := normalDistributionStages(10, 100, 10)[1]["duration"]; d != "7s" { // ceil(400/60)
		t.Errorf("a middle stage of 100s over 10 stages lasts %v, want 7s", d)
	}
	if n := len(normalDistributionStages(10, 30, 10)); n != 12 {
		t.Errorf("%d stages for 10, want 12", n)
	}
}

func TestParseStageDuration(t *testing.T) {
	for in, want := range map[string]float64{"1m30s": 90000, "1.5h": 5400000, "300ms": 300, "2d": 172800000, "250": 250, "1m1ms": 60001} {
		if got, err := parseStageDuration(in); err != nil || got != want {
			t.Errorf("%q = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "1x", "1s2s"} {
		if _, err := parseStageDuration(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestUtilsModuleFromJSLib(t *testing.T) {
	expectAllPass(t, `
import { check } from 'k6';
import { randomString, randomIntBetween, randomItem, uuidv4, findBetween, normalDistributionStages } from 'https://jslib.k6.io/k6-utils/1.4.0/index.js';
import * as old from 'https://jslib.k6.io/k6-utils/1.0.0/index.js';
export default function () {
  const ints = new Set();
  for (let i = 0; i < 200; i++) ints.add(randomIntBetween(1, 3));
  check(null, {
    'randomString default charset': () => /^[a-z]{12}$/.test(randomString(12)),
    'randomString charset': () => /^[01]{40}$/.test(randomString(40, '01')),
    'randomIntBetween is inclusive': () => ints.size === 3 && ints.has(1) && ints.has(3),
    'randomItem': () => ['x', 'y'].includes(randomItem(['x', 'y'])),
    'uuidv4': () => /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(uuidv4()) && uuidv4(true) !== uuidv4(true),
    'findBetween': () => findBetween('<b>1</b><b>2</b>', '<b>', '</b>') === '1',
    'findBetween repeat': () => findBetween('<b>1</b><b>2</b>', '<b>', '</b>', true).join() === '1,2',
    'findBetween none': () => findBetween('abc', '<', '>') === null,
    'normalDistributionStages': () => { const s = normalDistributionStages(100, 60, 4); return s.length === 6 && s[2].target === 100 && s[0].duration === '10s'; },
    'older version': () => old.randomString(3).length === 3,
  });
}`, 10)
}
