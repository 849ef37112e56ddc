package influxdb

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/throng-dev/throng/outputs"
)

// Defaults of the settings (see doc.go).
const (
	defaultAddr             = "http://localhost:8086"
	defaultPushInterval     = time.Second
	defaultConcurrentWrites = 4
	defaultTagsAsFields     = "vu,iter,url"
	defaultQueuePoints      = 1_000_000
	defaultStopTimeout      = 30 * time.Second
)

// fieldKind is the InfluxDB field type a tag-as-field is written as.
type fieldKind uint8

const (
	kindString fieldKind = iota
	kindInt              // integer if the value parses, else string
	kindFloat            // float if the value parses, else string
	kindBool             // boolean if the value parses, else string
)

// fieldSpec is one entry of TAGS_AS_FIELDS.
type fieldSpec struct {
	key  string
	kind fieldKind
}

// config is the output's settings, from the -o argument and the environment.
type config struct {
	server      string // scheme://host[:port][/prefix], no credentials: where requests go
	display     string // what Description shows: server and bucket, no secrets
	bucket      string // "db", "db/rp" (InfluxDB 1.8) or a 2.x bucket
	org         string
	token       string // "user:password" for 1.8, an API token for 2.x, or ""
	push        time.Duration
	concurrency int
	asFields    []fieldSpec
	insecure    bool
	aggregate   time.Duration // 0: raw mode
	queuePoints int
	stopTimeout time.Duration
}

// setting is one value and where it came from, for error messages.
type setting struct {
	value, from string
}

// lookup reads name from the URL's query (the command line wins, as in k6),
// then THRONG_INFLUXDB_<NAME>, then K6_INFLUXDB_<NAME>.
type lookup struct {
	p     outputs.Params
	query url.Values
}

func (l lookup) get(name string) (setting, bool) {
	q := strings.ToLower(name)
	if v, ok := l.query[q]; ok && len(v) > 0 {
		return setting{v[len(v)-1], "the URL's " + q + " parameter"}, true
	}
	if l.p.Lookup == nil {
		return setting{}, false
	}
	for _, prefix := range []string{"THRONG_INFLUXDB_", "K6_INFLUXDB_"} {
		if v, ok := l.p.Lookup(prefix + name); ok {
			return setting{v, prefix + name}, true
		}
	}
	return setting{}, false
}

func badValue(s setting, want string) error {
	return fmt.Errorf("%s=%q: want %s", s.from, s.value, want)
}

// queryParams are the settings the URL's query may hold.
var queryParams = map[string]bool{
	"organization": true, "bucket": true, "token": true, "push_interval": true,
	"concurrent_writes": true, "tags_as_fields": true, "insecure": true,
	"aggregate": true, "queue_points": true, "stop_timeout": true,
	"username": true, "password": true,
}

func parseConfig(p outputs.Params) (config, error) {
	c := config{
		push:        defaultPushInterval,
		concurrency: defaultConcurrentWrites,
		queuePoints: defaultQueuePoints,
		stopTimeout: defaultStopTimeout,
	}
	raw := strings.TrimSpace(p.Arg)
	if raw == "" {
		if v, ok := p.Env("INFLUXDB_ADDR"); ok && v != "" {
			raw = v
		} else {
			raw = defaultAddr
		}
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return c, fmt.Errorf("invalid address %q: want http(s)://HOST:PORT/BUCKET, BUCKET being DB or DB/RP for InfluxDB 1.8 or a bucket name for 2.x", redact(raw))
	}
	query := u.Query()
	for k := range query {
		if !queryParams[k] {
			return c, fmt.Errorf("unknown parameter %q in the URL: the parameters are organization, bucket, token, username, password, push_interval, concurrent_writes, tags_as_fields, insecure, aggregate, queue_points, stop_timeout", k)
		}
	}
	l := lookup{p: p, query: query}

	path := strings.Trim(u.Path, "/")
	c.server = u.Scheme + "://" + u.Host
	c.bucket = path
	if s, ok := l.get("BUCKET"); ok && s.value != "" && (path == "" || strings.HasPrefix(s.from, "the URL")) {
		c.bucket = strings.Trim(s.value, "/")
	}
	if c.bucket == "" {
		return c, fmt.Errorf("no bucket: give it as the URL's path (http://HOST:8086/DB, http://HOST:8086/DB/RP or http://HOST:8086/BUCKET) or set INFLUXDB_BUCKET")
	}
	c.display = c.server + "/" + c.bucket

	if s, ok := l.get("ORGANIZATION"); ok {
		c.org = s.value
	}
	// Credentials: the token, else user:password from the URL or the
	// environment (what InfluxDB 1.8's compatibility API takes as a token).
	user, pass := "", ""
	if s, ok := l.get("USERNAME"); ok {
		user = s.value
	}
	if s, ok := l.get("PASSWORD"); ok {
		pass = s.value
	}
	if u.User != nil {
		user = u.User.Username()
		pass, _ = u.User.Password()
	}
	if user != "" || pass != "" {
		c.token = user + ":" + pass
	}
	if s, ok := l.get("TOKEN"); ok && s.value != "" {
		c.token = s.value
	}

	if s, ok := l.get("PUSH_INTERVAL"); ok {
		d, err := time.ParseDuration(s.value)
		if err != nil || d < 10*time.Millisecond {
			return c, badValue(s, "a duration of at least 10ms, such as 1s or 500ms")
		}
		c.push = d
	}
	if s, ok := l.get("CONCURRENT_WRITES"); ok {
		n, err := strconv.Atoi(s.value)
		if err != nil || n < 1 || n > 256 {
			return c, badValue(s, "a whole number from 1 to 256")
		}
		c.concurrency = n
	}
	tagsAsFields := defaultTagsAsFields
	if s, ok := l.get("TAGS_AS_FIELDS"); ok {
		tagsAsFields = s.value
		if c.asFields, err = parseTagsAsFields(s.value); err != nil {
			return c, badValue(s, "a comma-separated list of tag names, each optionally typed as name:int, name:float, name:bool or name:string (e.g. vu:int,iter:int,url); "+err.Error())
		}
	}
	if c.asFields == nil && tagsAsFields != "" {
		c.asFields, _ = parseTagsAsFields(tagsAsFields)
	}
	if s, ok := l.get("INSECURE"); ok {
		b, err := strconv.ParseBool(s.value)
		if err != nil {
			return c, badValue(s, "true or false")
		}
		c.insecure = b
	}
	if s, ok := l.get("AGGREGATE"); ok && s.value != "" {
		d, err := time.ParseDuration(s.value)
		if err != nil || d < time.Millisecond || d%time.Millisecond != 0 {
			return c, badValue(s, "an interval of whole milliseconds, such as 1s or 10s (empty: one point per sample)")
		}
		c.aggregate = d
	}
	if s, ok := l.get("QUEUE_POINTS"); ok {
		n, err := strconv.Atoi(strings.ReplaceAll(s.value, "_", ""))
		if err != nil || n < 1 {
			return c, badValue(s, "a whole number of points, at least 1 (e.g. 1000000)")
		}
		c.queuePoints = n
	}
	if s, ok := l.get("STOP_TIMEOUT"); ok {
		d, err := time.ParseDuration(s.value)
		if err != nil || d < 0 {
			return c, badValue(s, "a duration such as 30s (0: do not wait)")
		}
		c.stopTimeout = d
	}
	return c, nil
}

// reservedFields are the field names the output writes itself.
var reservedFields = map[string]bool{
	"value": true, "count": true, "sum": true, "min": true, "max": true,
	"p50": true, "p90": true, "p95": true, "p99": true, "time": true,
}

func parseTagsAsFields(s string) ([]fieldSpec, error) {
	specs := []fieldSpec{}
	seen := map[string]bool{}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		key, typ, typed := strings.Cut(item, ":")
		key = strings.TrimSpace(key)
		if key == "" {
			return nil, fmt.Errorf("%q has no tag name", item)
		}
		if reservedFields[key] {
			return nil, fmt.Errorf("%q is a field the output writes itself", key)
		}
		if seen[key] {
			return nil, fmt.Errorf("%q is listed twice", key)
		}
		seen[key] = true
		spec := fieldSpec{key: key}
		switch {
		case typed:
			switch strings.TrimSpace(typ) {
			case "int":
				spec.kind = kindInt
			case "float":
				spec.kind = kindFloat
			case "bool":
				spec.kind = kindBool
			case "string":
				spec.kind = kindString
			default:
				return nil, fmt.Errorf("%q: the type must be int, float, bool or string", item)
			}
		case key == "vu" || key == "iter":
			spec.kind = kindInt
		}
		specs = append(specs, spec)
	}
	return specs, nil
}

// redact drops the userinfo and the query of a URL for messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		if i := strings.LastIndex(raw, "@"); i >= 0 {
			return "…" + raw[i:]
		}
		return raw
	}
	u.User = nil
	u.RawQuery = ""
	return u.String()
}
