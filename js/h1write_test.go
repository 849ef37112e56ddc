package js

import (
	"bufio"
	"bytes"
	"net/http"
	"strings"
	"testing"
)

// writeRequest writes exactly the bytes http.Request.Write writes, for
// every request it takes, and takes the ones VUs usually make.
func TestWriteRequestMatchesNetHTTP(t *testing.T) {
	type tc struct {
		name, method, url string
		body              string
		header            http.Header
		host              string
		close             bool
		fast              bool // writeRequest takes it
	}
	ua := func(h http.Header) http.Header {
		if _, ok := h["User-Agent"]; !ok {
			h["User-Agent"] = []string{"throng/1.0"}
		}
		return h
	}
	cases := []tc{
		{"plain GET", "GET", "http://127.0.0.1:8080/", "", ua(http.Header{}), "", false, true},
		{"GET without a path", "GET", "http://127.0.0.1:8080", "", ua(http.Header{}), "", false, true},
		{"query and escapes", "GET", "http://example.test/a%20b/c?x=1&y=%C3%A9#frag", "", ua(http.Header{}), "", false, true},
		{"forced empty query", "GET", "http://example.test/p?", "", ua(http.Header{}), "", false, true},
		{"POST with body", "POST", "http://127.0.0.1/streams/s-1", `{"type":"x"}`, ua(http.Header{"Content-Type": {"application/json"}}), "", false, true},
		{"POST without body", "POST", "http://127.0.0.1/x", "", ua(http.Header{}), "", false, true},
		{"PUT without body", "PUT", "http://127.0.0.1/x", "", ua(http.Header{}), "", false, true},
		{"DELETE without body", "DELETE", "http://127.0.0.1/x", "", ua(http.Header{}), "", false, true},
		{"HEAD", "HEAD", "http://127.0.0.1/x", "", ua(http.Header{}), "", false, true},
		{"GET with a body", "GET", "http://127.0.0.1/x", "abc", ua(http.Header{}), "", false, true},
		{"OPTIONS", "OPTIONS", "http://127.0.0.1/x", "", ua(http.Header{}), "", false, true},
		{"many headers, several values", "GET", "http://127.0.0.1/", "", ua(http.Header{"X-B": {"2", "3"}, "X-A": {"1"}, "Accept": {"*/*"}, "Cookie": {"a=1; b=2"}, "X-Empty": {""}}), "", false, true},
		{"user's Content-Length and Host left out", "POST", "http://127.0.0.1/", "hello", ua(http.Header{"Content-Length": {"99"}, "Host": {"ignored"}}), "", false, true},
		{"Host from the request", "GET", "http://127.0.0.1:9/", "", ua(http.Header{}), "virtual.test:9", false, true},
		{"empty User-Agent", "GET", "http://127.0.0.1/", "", http.Header{"User-Agent": {""}}, "", false, true},
		{"IPv6 host", "GET", "http://[::1]:8080/", "", ua(http.Header{}), "", false, true},
		{"no User-Agent", "GET", "http://127.0.0.1/", "", http.Header{}, "", false, false},
		{"value with a newline", "GET", "http://127.0.0.1/", "", ua(http.Header{"X-A": {"a\nb"}}), "", false, false},
		{"value with spaces around", "GET", "http://127.0.0.1/", "", ua(http.Header{"X-A": {" a "}}), "", false, false},
		{"bad header name", "GET", "http://127.0.0.1/", "", ua(http.Header{"Bad Name": {"x"}}), "", false, false},
		{"Connection close", "GET", "http://127.0.0.1/", "", ua(http.Header{}), "", true, false},
		{"Expect", "POST", "http://127.0.0.1/", "x", ua(http.Header{"Expect": {"100-continue"}}), "", false, false},
		{"unicode host", "GET", "http://bücher.test/", "", ua(http.Header{}), "", false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			newReq := func() *http.Request {
				var body *strings.Reader
				if c.body != "" {
					body = strings.NewReader(c.body)
				}
				var req *http.Request
				var err error
				if body != nil {
					req, err = http.NewRequest(c.method, c.url, body)
				} else {
					req, err = http.NewRequest(c.method, c.url, nil)
				}
				if err != nil {
					t.Fatal(err)
				}
				for k, vs := range c.header {
					req.Header[k] = vs
				}
				if c.host != "" {
					req.Host = c.host
				}
				req.Close = c.close
				return req
			}
			var want bytes.Buffer
			if err := newReq().Write(&want); err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			w := bufio.NewWriter(&got)
			var keys []string
			var body []byte
			if c.body != "" {
				body = []byte(c.body)
			}
			ok := writeRequest(w, newReq(), body, &keys)
			w.Flush()
			if ok != c.fast {
				t.Fatalf("writeRequest took it: %v, want %v", ok, c.fast)
			}
			if !ok {
				if got.Len() != 0 {
					t.Errorf("declined, but wrote %q", got.String())
				}
				return
			}
			if got.String() != want.String() {
				t.Errorf("writeRequest wrote\n%q\nRequest.Write writes\n%q", got.String(), want.String())
			}
		})
	}
}
