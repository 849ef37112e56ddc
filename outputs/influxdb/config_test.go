package influxdb

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	defaultFields := []fieldSpec{{"vu", kindInt}, {"iter", kindInt}, {"url", kindString}}
	tests := []struct {
		name, arg string
		env       map[string]string
		check     func(t *testing.T, c config)
	}{
		{"1.8 database", "http://127.0.0.1:8086/k6", nil, func(t *testing.T, c config) {
			want := config{server: "http://127.0.0.1:8086", display: "http://127.0.0.1:8086/k6", bucket: "k6",
				push: time.Second, concurrency: 4, asFields: defaultFields, queuePoints: 1_000_000, stopTimeout: 30 * time.Second}
			if !reflect.DeepEqual(c, want) {
				t.Errorf("got %+v\nwant %+v", c, want)
			}
		}},
		{"1.8 database and retention policy", "http://127.0.0.1:8086/k6/autogen", nil, func(t *testing.T, c config) {
			if c.bucket != "k6/autogen" || c.org != "" || c.token != "" {
				t.Errorf("got %+v", c)
			}
		}},
		{"1.8 credentials in the URL become the token", "http://alice:s3cret@127.0.0.1:8086/k6", nil, func(t *testing.T, c config) {
			if c.token != "alice:s3cret" || c.server != "http://127.0.0.1:8086" {
				t.Errorf("got token %q server %q", c.token, c.server)
			}
		}},
		{"1.8 credentials from the environment", "http://127.0.0.1:8086/k6", map[string]string{"K6_INFLUXDB_USERNAME": "bob", "K6_INFLUXDB_PASSWORD": "pw"}, func(t *testing.T, c config) {
			if c.token != "bob:pw" {
				t.Errorf("got token %q", c.token)
			}
		}},
		{"2.x bucket, organization and token", "https://influx.example:8086/metrics", map[string]string{
			"THRONG_INFLUXDB_ORGANIZATION": "acme", "THRONG_INFLUXDB_TOKEN": "tok==",
		}, func(t *testing.T, c config) {
			if c.bucket != "metrics" || c.org != "acme" || c.token != "tok==" || c.server != "https://influx.example:8086" {
				t.Errorf("got %+v", c)
			}
		}},
		{"bucket from the environment", "http://127.0.0.1:8086", map[string]string{"K6_INFLUXDB_BUCKET": "b"}, func(t *testing.T, c config) {
			if c.bucket != "b" || c.display != "http://127.0.0.1:8086/b" {
				t.Errorf("got %+v", c)
			}
		}},
		{"no argument: INFLUXDB_ADDR", "", map[string]string{"K6_INFLUXDB_ADDR": "http://10.0.0.1:8086/x"}, func(t *testing.T, c config) {
			if c.server != "http://10.0.0.1:8086" || c.bucket != "x" {
				t.Errorf("got %+v", c)
			}
		}},
		{"THRONG_ wins over K6_", "http://h:1/db", map[string]string{"THRONG_INFLUXDB_PUSH_INTERVAL": "2s", "K6_INFLUXDB_PUSH_INTERVAL": "3s"}, func(t *testing.T, c config) {
			if c.push != 2*time.Second {
				t.Errorf("push %v", c.push)
			}
		}},
		{"the URL wins over the environment", "http://h:1/db?push_interval=250ms&organization=o&token=t", map[string]string{"THRONG_INFLUXDB_PUSH_INTERVAL": "2s", "THRONG_INFLUXDB_ORGANIZATION": "x"}, func(t *testing.T, c config) {
			if c.push != 250*time.Millisecond || c.org != "o" || c.token != "t" || c.display != "http://h:1/db" {
				t.Errorf("got %+v", c)
			}
		}},
		{"every setting", "http://h:1/db", map[string]string{
			"THRONG_INFLUXDB_CONCURRENT_WRITES": "8",
			"THRONG_INFLUXDB_TAGS_AS_FIELDS":    "vu:int, url ,latency:float,ok:bool,iter:string",
			"THRONG_INFLUXDB_INSECURE":          "true",
			"THRONG_INFLUXDB_AGGREGATE":         "10s",
			"THRONG_INFLUXDB_QUEUE_POINTS":      "50_000",
			"THRONG_INFLUXDB_STOP_TIMEOUT":      "2s",
		}, func(t *testing.T, c config) {
			want := []fieldSpec{{"vu", kindInt}, {"url", kindString}, {"latency", kindFloat}, {"ok", kindBool}, {"iter", kindString}}
			if c.concurrency != 8 || !reflect.DeepEqual(c.asFields, want) || !c.insecure || c.aggregate != 10*time.Second || c.queuePoints != 50000 || c.stopTimeout != 2*time.Second {
				t.Errorf("got %+v", c)
			}
		}},
		{"no tags as fields", "http://h:1/db", map[string]string{"K6_INFLUXDB_TAGS_AS_FIELDS": ""}, func(t *testing.T, c config) {
			if len(c.asFields) != 0 {
				t.Errorf("got %+v", c.asFields)
			}
		}},
		{"empty aggregate is raw mode", "http://h:1/db", map[string]string{"K6_INFLUXDB_AGGREGATE": ""}, func(t *testing.T, c config) {
			if c.aggregate != 0 {
				t.Errorf("got %v", c.aggregate)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseConfig(params(tt.arg, tt.env, nil))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		arg  string
		env  map[string]string
		want []string // substrings of the error
	}{
		{"ftp://h/db", nil, []string{"http(s)://HOST:PORT/BUCKET"}},
		{"h:8086/db", nil, []string{"http(s)://HOST:PORT/BUCKET"}},
		{"http://user:topsecret@h:8086", nil, []string{"no bucket", "INFLUXDB_BUCKET"}},
		{"http://h/db?pushinterval=1s", nil, []string{`"pushinterval"`, "push_interval"}},
		{"http://h/db", map[string]string{"THRONG_INFLUXDB_PUSH_INTERVAL": "fast"}, []string{`THRONG_INFLUXDB_PUSH_INTERVAL="fast"`, "duration"}},
		{"http://h/db", map[string]string{"K6_INFLUXDB_PUSH_INTERVAL": "1ms"}, []string{"K6_INFLUXDB_PUSH_INTERVAL", "at least 10ms"}},
		{"http://h/db?push_interval=x", nil, []string{"push_interval parameter", `"x"`}},
		{"http://h/db", map[string]string{"K6_INFLUXDB_CONCURRENT_WRITES": "0"}, []string{"K6_INFLUXDB_CONCURRENT_WRITES", "1 to 256"}},
		{"http://h/db", map[string]string{"K6_INFLUXDB_CONCURRENT_WRITES": "four"}, []string{"whole number"}},
		{"http://h/db", map[string]string{"K6_INFLUXDB_TAGS_AS_FIELDS": "vu:integer"}, []string{"K6_INFLUXDB_TAGS_AS_FIELDS", "int, float, bool or string"}},
		{"http://h/db", map[string]string{"K6_INFLUXDB_TAGS_AS_FIELDS": "value"}, []string{`"value" is a field the output writes itself`}},
		{"http://h/db", map[string]string{"K6_INFLUXDB_TAGS_AS_FIELDS": "url,url"}, []string{"listed twice"}},
		{"http://h/db", map[string]string{"K6_INFLUXDB_INSECURE": "maybe"}, []string{"K6_INFLUXDB_INSECURE", "true or false"}},
		{"http://h/db", map[string]string{"K6_INFLUXDB_AGGREGATE": "1"}, []string{"K6_INFLUXDB_AGGREGATE", "such as 1s"}},
		{"http://h/db", map[string]string{"K6_INFLUXDB_AGGREGATE": "1500us"}, []string{"whole milliseconds"}},
		{"http://h/db", map[string]string{"K6_INFLUXDB_QUEUE_POINTS": "-5"}, []string{"K6_INFLUXDB_QUEUE_POINTS", "at least 1"}},
		{"http://h/db", map[string]string{"K6_INFLUXDB_STOP_TIMEOUT": "soon"}, []string{"K6_INFLUXDB_STOP_TIMEOUT", "30s"}},
	}
	for _, tt := range tests {
		_, err := New(params(tt.arg, tt.env, nil))
		if err == nil {
			t.Errorf("%s %v: no error", tt.arg, tt.env)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s %v: error %q does not say %q", tt.arg, tt.env, err, w)
			}
		}
		if strings.Contains(err.Error(), "topsecret") {
			t.Errorf("the error shows the password: %v", err)
		}
	}
}

func TestDescriptionHidesCredentials(t *testing.T) {
	for _, arg := range []string{
		"http://admin:hunter2@127.0.0.1:8086/db",
		"http://127.0.0.1:8086/db?token=hunter2",
		"http://127.0.0.1:8086/db?username=admin&password=hunter2",
	} {
		o, err := New(params(arg, map[string]string{"THRONG_INFLUXDB_TOKEN": "hunter2"}, nil))
		if err != nil {
			t.Fatal(err)
		}
		if got := o.Description(); got != "influxdb (http://127.0.0.1:8086/db)" {
			t.Errorf("%s: Description() = %q", arg, got)
		}
	}
	if got := redact("http://admin:hunter2@h:1/db?token=x"); strings.Contains(got, "hunter2") || strings.Contains(got, "token") {
		t.Errorf("redact: %q", got)
	}
}
