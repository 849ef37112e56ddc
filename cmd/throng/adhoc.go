package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/throng-dev/throng/runtime"
)

// Ad-hoc tests: `throng run --url URL` builds the script a user would
// write for the quick checks people run with ab or hey, and runs it like
// any other, so the summary, thresholds and exit codes are the same.

type adhocFlags struct {
	url        string
	method     string
	headers    []string
	body       string
	rate       string
	thresholds []string
}

// adhocRequest is the request every iteration makes.
type adhocRequest struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    *string           `json:"body"`
}

// writeAdhocScript writes the script for f into dir and returns its path.
func writeAdhocScript(dir string, f *runFlags) (string, error) {
	req, err := adhocRequestOf(&f.adhoc)
	if err != nil {
		return "", err
	}
	options, err := adhocOptions(f)
	if err != nil {
		return "", err
	}
	reqJSON, _ := json.Marshal(req)
	src := fmt.Sprintf(`import http from 'k6/http';
import { check } from 'k6';
const req = %s;
export const options = %s;
export default function () {
  const res = http.request(req.method, req.url, req.body, { headers: req.headers });
  check(res, { 'status is 2xx': (r) => r.status >= 200 && r.status < 300 });
}
`, reqJSON, options)
	path := filepath.Join(dir, "adhoc.js")
	return path, os.WriteFile(path, []byte(src), 0o600)
}

func adhocRequestOf(a *adhocFlags) (adhocRequest, error) {
	req := adhocRequest{Method: strings.ToUpper(a.method), URL: a.url, Headers: map[string]string{}}
	if !strings.HasPrefix(a.url, "http://") && !strings.HasPrefix(a.url, "https://") {
		return req, invalidConfig("--url %q: want an http:// or https:// URL", a.url)
	}
	for _, h := range a.headers {
		k, v, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return req, invalidConfig("-H %q: want 'Name: value'", h)
		}
		req.Headers[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	if a.body != "" {
		body := a.body
		if name, ok := strings.CutPrefix(a.body, "@"); ok {
			data, err := os.ReadFile(name)
			if err != nil {
				return req, invalidConfig("--body %s: %v", a.body, err)
			}
			body = string(data)
		}
		req.Body = &body
	}
	return req, nil
}

// adhocOptions is the options object: thresholds from --threshold, and a
// constant-arrival-rate scenario for --rate (VUs and duration otherwise
// come from the usual flags).
func adhocOptions(f *runFlags) (string, error) {
	opts := map[string]any{}
	thresholds := map[string][]string{}
	for _, t := range f.adhoc.thresholds {
		metric, expr, ok := strings.Cut(t, ":")
		if i := strings.LastIndex(t, "}:"); i >= 0 { // a sub-metric's tags may hold colons
			metric, expr, ok = t[:i+1], t[i+2:], true
		}
		if !ok || strings.TrimSpace(expr) == "" {
			return "", invalidConfig("--threshold %q: want 'metric: expression', e.g. 'http_req_duration: p(95)<200'", t)
		}
		metric = strings.TrimSpace(metric)
		thresholds[metric] = append(thresholds[metric], strings.TrimSpace(expr))
	}
	if len(thresholds) > 0 {
		opts["thresholds"] = thresholds
	}
	if f.adhoc.rate != "" {
		sc, err := rateScenario(f)
		if err != nil {
			return "", err
		}
		opts["scenarios"] = map[string]any{"default": sc}
	}
	b, err := json.Marshal(opts)
	return string(b), err
}

func rateScenario(f *runFlags) (map[string]any, error) {
	rate, unit, err := parseRate(f.adhoc.rate)
	if err != nil {
		return nil, invalidConfig("--rate %q: %v", f.adhoc.rate, err)
	}
	if f.iterations > 0 {
		return nil, invalidConfig("--rate runs for a duration (-d), not a number of iterations (-i)")
	}
	duration := f.duration
	if duration == "" {
		duration = "30s"
	}
	if _, err := runtime.ParseDuration(duration); err != nil {
		return nil, invalidConfig("--duration: %v", err)
	}
	return map[string]any{
		"executor": "constant-arrival-rate", "rate": rate, "timeUnit": unit.String(), "duration": duration,
		"preAllocatedVUs": f.vus, "maxVUs": max(f.vus, 100*f.vus),
	}, nil
}

// parseRate reads "200", "200/s", "6000/m" or "5/100ms".
func parseRate(s string) (int64, time.Duration, error) {
	num, per, found := strings.Cut(s, "/")
	n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	if err != nil || n <= 0 {
		return 0, 0, fmt.Errorf("want a positive whole number of requests, optionally per a unit: 200/s, 6000/m")
	}
	if !found {
		return n, time.Second, nil
	}
	switch per = strings.TrimSpace(per); per {
	case "s":
		return n, time.Second, nil
	case "m":
		return n, time.Minute, nil
	case "h":
		return n, time.Hour, nil
	}
	d, err := time.ParseDuration(per)
	if err != nil || d <= 0 {
		return 0, 0, fmt.Errorf("unknown unit %q: use s, m, h or a duration such as 100ms", per)
	}
	return n, d, nil
}
