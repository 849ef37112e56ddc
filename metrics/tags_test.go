package metrics

import "testing"

func TestTagSetWithExtendContains(t *testing.T) {
	base := NewTagSet(map[string]string{"scenario": "default", "b": "2"})
	withA := base.With("a", "1")
	if base.Len() != 2 || withA.Len() != 3 {
		t.Fatalf("With changed its receiver or lost a tag: %s / %s", base, withA)
	}
	if got := withA.String(); got != "a=1,b=2,scenario=default" {
		t.Errorf("String = %q, want sorted pairs", got)
	}
	if replaced := withA.With("b", "3"); replaced.String() != "a=1,b=3,scenario=default" || withA.String() != "a=1,b=2,scenario=default" {
		t.Errorf("replace: %s (original %s)", replaced, withA)
	}
	ext := base.Extend(Tag{"z", "9"}, Tag{"b", "x"}, Tag{"a", "0"})
	if got := ext.String(); got != "a=0,b=x,scenario=default,z=9" {
		t.Errorf("Extend = %q", got)
	}
	if !ext.Contains(NewTagSet(map[string]string{"b": "x", "z": "9"})) || ext.Contains(NewTagSet(map[string]string{"b": "2"})) {
		t.Error("Contains is wrong")
	}
	var empty *TagSet
	if empty.Len() != 0 || empty.With("k", "v").String() != "k=v" || !ext.Contains(empty) {
		t.Error("the nil set must behave as empty")
	}
	if got := ext.Without("b").String(); got != "a=0,scenario=default,z=9" {
		t.Errorf("Without = %q", got)
	}
}

func TestRegistryRejectsClashesAndBadNames(t *testing.T) {
	r := NewRegistry()
	m, err := r.New("my_trend", Trend, Time)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := r.New("my_trend", Trend, Time); err != nil || again != m {
		t.Errorf("asking again should return the same metric: %v", err)
	}
	if _, err := r.New("my_trend", Counter, Default); err == nil {
		t.Error("a different type under the same name must be refused")
	}
	for _, bad := range []string{"", "1abc", "with-dash", "space here"} {
		if _, err := r.New(bad, Counter, Default); err == nil {
			t.Errorf("name %q accepted", bad)
		}
	}
}
