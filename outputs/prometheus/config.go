package prometheus

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/throng-dev/throng/outputs"
)

// DefaultURL is where the output writes when neither -o prometheus-rw=URL
// nor PROMETHEUS_RW_SERVER_URL says otherwise: a local Prometheus.
const DefaultURL = "http://localhost:9090/api/v1/write"

const (
	defaultPushInterval = 5 * time.Second
	defaultTrendStats   = "p(99)"
	defaultDropTags     = "vu,iter,url"
)

// config is the output's settings, read once by New.
type config struct {
	url          *url.URL // without credentials
	username     string
	password     string
	bearer       string
	insecureTLS  bool
	pushInterval time.Duration
	trendStats   []trendStat
	dropTags     map[string]bool
}

// trendStat is one PROMETHEUS_RW_TREND_STATS entry: the series suffix
// ("p99", "avg") and how to compute it from an interval's histogram.
type trendStat struct {
	suffix string
	kind   string  // avg, min, med, max, count, sum or p
	q      float64 // the quantile in [0,1], for p
}

func parseConfig(p outputs.Params) (config, error) {
	var c config
	raw := p.Arg
	if raw == "" {
		raw, _ = p.Env("PROMETHEUS_RW_SERVER_URL")
	}
	if raw == "" {
		raw = DefaultURL
	}
	u, err := url.Parse(raw)
	if err != nil {
		return c, fmt.Errorf("server URL: %v", redactErr(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return c, fmt.Errorf("server URL %s: the scheme must be http or https", safeURL(u))
	}
	if u.Host == "" {
		return c, fmt.Errorf("server URL %s: no host", safeURL(u))
	}
	if u.User != nil {
		c.username = u.User.Username()
		c.password, _ = u.User.Password()
		u.User = nil
	}
	c.url = u

	if v, ok := p.Env("PROMETHEUS_RW_USERNAME"); ok {
		c.username = v
	}
	if v, ok := p.Env("PROMETHEUS_RW_PASSWORD"); ok {
		c.password = v
	}
	if v, ok := p.Env("PROMETHEUS_RW_BEARER_TOKEN"); ok {
		c.bearer = v
	}
	if c.bearer != "" && (c.username != "" || c.password != "") {
		return c, errors.New("set either PROMETHEUS_RW_USERNAME/PROMETHEUS_RW_PASSWORD or PROMETHEUS_RW_BEARER_TOKEN, not both")
	}

	if v, ok := p.Env("PROMETHEUS_RW_INSECURE_SKIP_TLS_VERIFY"); ok && v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return c, fmt.Errorf("PROMETHEUS_RW_INSECURE_SKIP_TLS_VERIFY %q: want true or false", v)
		}
		c.insecureTLS = b
	}

	c.pushInterval = defaultPushInterval
	if v, ok := p.Env("PROMETHEUS_RW_PUSH_INTERVAL"); ok && v != "" {
		d, err := parseInterval(v)
		if err != nil {
			return c, err
		}
		c.pushInterval = d
	}

	stats := defaultTrendStats
	if v, ok := p.Env("PROMETHEUS_RW_TREND_STATS"); ok && strings.TrimSpace(v) != "" {
		stats = v
	}
	if c.trendStats, err = parseTrendStats(stats); err != nil {
		return c, err
	}

	drop := defaultDropTags
	if v, ok := p.Env("PROMETHEUS_RW_DROP_TAGS"); ok {
		drop = v
	}
	c.dropTags = map[string]bool{}
	for _, t := range strings.Split(drop, ",") {
		if t = strings.TrimSpace(t); t != "" {
			c.dropTags[t] = true
		}
	}
	return c, nil
}

// parseInterval reads a Go duration ("5s", "500ms") or, as k6 does, a
// bare number of milliseconds.
func parseInterval(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		ms, nerr := strconv.ParseFloat(v, 64)
		if nerr != nil {
			return 0, fmt.Errorf("PROMETHEUS_RW_PUSH_INTERVAL %q: want a duration such as 5s or 500ms", v)
		}
		d = time.Duration(ms * float64(time.Millisecond))
	}
	if d < time.Millisecond {
		return 0, fmt.Errorf("PROMETHEUS_RW_PUSH_INTERVAL %q: it must be at least 1ms", v)
	}
	return d, nil
}

// parseTrendStats reads a comma-separated list of avg, min, med, max,
// count, sum and p(N), 0 <= N <= 100. Series suffixes follow k6: p(99) is
// p99, p(99.9) is p999.
func parseTrendStats(v string) ([]trendStat, error) {
	var stats []trendStat
	seen := map[string]bool{}
	for _, s := range strings.Split(v, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		var st trendStat
		switch s {
		case "avg", "min", "med", "max", "count", "sum":
			st = trendStat{suffix: s, kind: s}
		default:
			if !strings.HasPrefix(s, "p(") || !strings.HasSuffix(s, ")") {
				return nil, fmt.Errorf("PROMETHEUS_RW_TREND_STATS: unknown stat %q: allowed are avg, min, med, max, count, sum and p(N)", s)
			}
			num := s[2 : len(s)-1]
			n, err := strconv.ParseFloat(num, 64)
			if err != nil || n < 0 || n > 100 || strings.ContainsAny(num, "eE+-") {
				return nil, fmt.Errorf("PROMETHEUS_RW_TREND_STATS: %q: the percentile must be a number from 0 to 100", s)
			}
			st = trendStat{suffix: "p" + strings.ReplaceAll(num, ".", ""), kind: "p", q: n / 100}
		}
		if !seen[st.suffix] {
			seen[st.suffix] = true
			stats = append(stats, st)
		}
	}
	if len(stats) == 0 {
		return nil, errors.New("PROMETHEUS_RW_TREND_STATS: no stat given")
	}
	return stats, nil
}

// safeURL renders u without credentials or query (which may hold a token).
func safeURL(u *url.URL) string {
	c := *u
	c.User = nil
	c.RawQuery, c.ForceQuery, c.Fragment, c.RawFragment = "", false, "", ""
	return c.String()
}

// redactErr keeps a URL parse error from echoing the raw URL, which may
// hold a password.
func redactErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
