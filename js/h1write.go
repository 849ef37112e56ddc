package js

import (
	"bufio"
	"net/http"
	"slices"
	"strconv"

	"golang.org/x/net/http/httpguts"
)

// writeRequest writes req as http.Request.Write would, byte for byte, for
// the requests a VU nearly always makes (a plain host, headers that need
// no cleaning, a body of known length), without its allocations: the
// request line is not formatted through fmt, the headers are not sorted
// through a pooled sorter, and there is no transfer writer. It reports
// false, having written nothing, for any other request, which then goes
// through http.Request.Write. keys is scratch space for the header names.
// TestWriteRequestMatchesNetHTTP holds it to Request.Write's bytes.
func writeRequest(w *bufio.Writer, req *http.Request, body []byte, keys *[]string) bool {
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	if req.Close || req.Method == "" || len(req.TransferEncoding) > 0 || len(req.Trailer) > 0 ||
		int64(len(body)) != req.ContentLength || !plainHost(host) || req.URL.Opaque != "" {
		return false
	}
	ua, hasUA := req.Header["User-Agent"]
	if !hasUA {
		return false // Request.Write would add Go's own
	}
	*keys = (*keys)[:0]
	for k, vs := range req.Header {
		switch k {
		case "Host", "Content-Length", "Transfer-Encoding", "Trailer":
			continue // Request.Write leaves these out of the header lines
		case "User-Agent", "Expect", "Connection":
			if k != "User-Agent" {
				return false // Request.Write treats these specially
			}
		}
		if !httpguts.ValidHeaderFieldName(k) {
			return false
		}
		for _, v := range vs {
			if !plainValue(v) {
				return false
			}
		}
		if k != "User-Agent" {
			*keys = append(*keys, k)
		}
	}
	path := req.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	if !plainValue(path) || !plainValue(req.URL.RawQuery) {
		return false
	}

	w.WriteString(req.Method)
	w.WriteByte(' ')
	w.WriteString(path)
	if req.URL.ForceQuery || req.URL.RawQuery != "" {
		w.WriteByte('?')
		w.WriteString(req.URL.RawQuery)
	}
	w.WriteString(" HTTP/1.1\r\nHost: ")
	w.WriteString(host)
	w.WriteString("\r\n")
	if len(ua) > 0 && ua[0] != "" {
		w.WriteString("User-Agent: ")
		w.WriteString(ua[0])
		w.WriteString("\r\n")
	}
	if len(body) > 0 || req.Method == http.MethodPost || req.Method == http.MethodPut || req.Method == http.MethodPatch {
		var n [20]byte
		w.WriteString("Content-Length: ")
		w.Write(strconv.AppendInt(n[:0], int64(len(body)), 10))
		w.WriteString("\r\n")
	}
	slices.Sort(*keys)
	for _, k := range *keys {
		for _, v := range req.Header[k] {
			w.WriteString(k)
			w.WriteString(": ")
			w.WriteString(v)
			w.WriteString("\r\n")
		}
	}
	w.WriteString("\r\n")
	w.Write(body)
	return true
}

// plainHost reports whether host is written as it is by Request.Write:
// ASCII letters, digits, dots, dashes, a port, or an IPv6 literal without
// a zone.
func plainHost(host string) bool {
	if host == "" {
		return false
	}
	for i := 0; i < len(host); i++ {
		switch c := host[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '.', c == '-', c == ':', c == '[', c == ']':
		default:
			return false
		}
	}
	return true
}

// plainValue reports whether v goes into a header line as it is: no
// control characters (Request.Write turns CR and LF into spaces, and
// refuses others in the URL), and no space or tab at either end (which it
// trims).
func plainValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' || c == 0x7f {
			return false
		}
	}
	return v == "" || v[0] != ' ' && v[len(v)-1] != ' '
}
