package js

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"strings"
)

// httpOptions are the run-wide HTTP options, with k6's names. They reach
// the VUs as part of the consolidated options (Bundle.SetOptions), which
// runtime.Options lets through.
type httpOptions struct {
	MaxRedirects          *int64            `json:"maxRedirects"`
	UserAgent             *string           `json:"userAgent"`
	Batch                 *int64            `json:"batch"`
	BatchPerHost          *int64            `json:"batchPerHost"`
	DiscardResponseBodies bool              `json:"discardResponseBodies"`
	InsecureSkipTLSVerify bool              `json:"insecureSkipTLSVerify"`
	TLSVersion            json.RawMessage   `json:"tlsVersion"`
	Hosts                 map[string]string `json:"hosts"`
	NoConnectionReuse     bool              `json:"noConnectionReuse"`
	NoVUConnectionReuse   bool              `json:"noVUConnectionReuse"`
	NoCookiesReset        bool              `json:"noCookiesReset"`
	HTTP2                 string            `json:"http2"`
}

// clientConfig is what a VU's HTTP client takes from the options, with
// k6's defaults filled in.
type clientConfig struct {
	maxRedirects   int
	userAgent      *string // sent when the request sets none ("" sends none); nil: UserAgent
	batch          int     // requests of one http.batch in flight at once
	batchPerHost   int     // the same, per host; 0: no limit
	responseType   string  // the default: text, or none with discardResponseBodies
	tls            *tls.Config
	hosts          map[string]string // host[:port] → ip[:port]
	noConnReuse    bool
	noVUConnReuse  bool
	noCookiesReset bool
	h2c            bool // cleartext HTTP/2 with prior knowledge (throng's own)
}

// defaultClientConfig is k6's behaviour when no option is set. It is
// shared: VUs of a run without HTTP options do not each hold a copy.
var defaultClientConfig = &clientConfig{
	maxRedirects: defaultRedirects, batch: 20, batchPerHost: 6, responseType: "text",
}

// parseClientConfig reads the HTTP options from the consolidated options
// (JSON; nil or "null" when there are none). A bad value is an error
// naming the option.
func parseClientConfig(raw []byte) (*clientConfig, error) {
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return defaultClientConfig, nil
	}
	var o httpOptions
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, fmt.Errorf("HTTP options: %w", err)
	}
	c := *defaultClientConfig
	if o.MaxRedirects != nil {
		c.maxRedirects = int(*o.MaxRedirects)
	}
	if o.UserAgent != nil {
		c.userAgent = o.UserAgent
	}
	if o.Batch != nil && *o.Batch > 0 {
		c.batch = int(*o.Batch)
	}
	if o.BatchPerHost != nil {
		c.batchPerHost = int(*o.BatchPerHost)
	}
	if o.DiscardResponseBodies {
		c.responseType = "none"
	}
	c.hosts, c.noConnReuse, c.noVUConnReuse, c.noCookiesReset = o.Hosts, o.NoConnectionReuse, o.NoVUConnectionReuse, o.NoCookiesReset
	switch o.HTTP2 {
	case "", "h2": // h2: negotiated over TLS, as without the option
	case "h2c":
		c.h2c = true
	default:
		return nil, fmt.Errorf("option \"http2\": %q is not one of h2, h2c", o.HTTP2)
	}
	min, max, err := parseTLSVersion(o.TLSVersion)
	if err != nil {
		return nil, fmt.Errorf("option \"tlsVersion\": %w", err)
	}
	if o.InsecureSkipTLSVerify || min != 0 || max != 0 {
		c.tls = &tls.Config{InsecureSkipVerify: o.InsecureSkipTLSVerify, MinVersion: min, MaxVersion: max} //nolint:gosec // the user asked for it
	}
	return &c, nil
}

// tlsVersions are k6's names of the TLS versions (http.TLS_1_2 is "tls1.2").
var tlsVersions = map[string]uint16{
	"tls1.0": tls.VersionTLS10, "tls1.1": tls.VersionTLS11, "tls1.2": tls.VersionTLS12, "tls1.3": tls.VersionTLS13,
}

// parseTLSVersion reads "tls1.2" (that version only) or {"min": …, "max": …}.
func parseTLSVersion(raw json.RawMessage) (min, max uint16, err error) {
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return 0, 0, nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		v, err := tlsVersion(one)
		return v, v, err
	}
	var r struct{ Min, Max string }
	if err := json.Unmarshal(raw, &r); err != nil {
		return 0, 0, fmt.Errorf("want \"tls1.2\" or {min, max}, got %s", raw)
	}
	if min, err = tlsVersion(r.Min); err == nil {
		max, err = tlsVersion(r.Max)
	}
	return min, max, err
}

func tlsVersion(s string) (uint16, error) {
	if s == "" {
		return 0, nil
	}
	v, ok := tlsVersions[strings.ToLower(s)]
	if !ok {
		return 0, fmt.Errorf("unknown TLS version %q: use tls1.0, tls1.1, tls1.2 or tls1.3", s)
	}
	return v, nil
}

// mapHost applies the hosts option to the address a connection is about to
// be dialled to: "host:port" is looked up first, then "host", then
// wildcards ("*.example.com"); a mapping without a port keeps the port.
func (c *clientConfig) mapHost(addr string) string {
	if len(c.hosts) == 0 {
		return addr
	}
	if to, ok := c.hosts[addr]; ok {
		return withPort(to, addr)
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if to, ok := c.hosts[host]; ok {
		return withPort(to, addr)
	}
	for pattern, to := range c.hosts {
		if suffix, ok := strings.CutPrefix(pattern, "*"); ok && strings.HasSuffix(host, suffix) {
			return withPort(to, addr)
		}
	}
	return addr
}

func withPort(to, addr string) string {
	if _, _, err := net.SplitHostPort(to); err == nil {
		return to
	}
	_, port, _ := net.SplitHostPort(addr)
	return net.JoinHostPort(to, port)
}
