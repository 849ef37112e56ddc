package js

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/dop251/goja"
)

// statusSet is what http.expectedStatuses makes: the statuses a response
// callback treats as expected. It decides http_req_failed and the
// expected_response tag.
type statusSet struct {
	codes  []int
	ranges [][2]int
}

// defaultStatuses is k6's default callback: 200–399 are expected.
var defaultStatuses = &statusSet{ranges: [][2]int{{200, 399}}}

func (s *statusSet) has(status int) bool {
	for _, r := range s.ranges {
		if status >= r[0] && status <= r[1] {
			return true
		}
	}
	for _, c := range s.codes {
		if c == status {
			return true
		}
	}
	return false
}

// expectedStatuses is http.expectedStatuses(200, {min: 300, max: 399}, …).
func (vu *VU) expectedStatuses(c goja.FunctionCall) goja.Value {
	s := &statusSet{}
	for i, a := range c.Arguments {
		if obj, ok := a.(*goja.Object); ok {
			lo, hi := obj.Get("min"), obj.Get("max")
			if !present(lo) || !present(hi) {
				vu.throw("http.expectedStatuses: argument %d must be a status or {min, max}", i+1)
			}
			s.ranges = append(s.ranges, [2]int{int(lo.ToInteger()), int(hi.ToInteger())})
			continue
		}
		n := a.ToFloat()
		if n != float64(int(n)) || n < 0 {
			vu.throw("http.expectedStatuses: argument %d must be an integer status, got %s", i+1, a)
		}
		s.codes = append(s.codes, int(n))
	}
	// The object is an opaque handle: scripts pass it back, never read it.
	return vu.rt.ToValue(s)
}

// responseCallback reads a callback argument: an expectedStatuses result,
// or null for none. k6 takes no other kind.
func (vu *VU) responseCallback(v goja.Value, where string) *statusSet {
	if v == nil || goja.IsNull(v) || goja.IsUndefined(v) {
		return nil
	}
	if s, ok := v.Export().(*statusSet); ok {
		return s
	}
	vu.throw("%s: only http.expectedStatuses(...) or null can be a response callback", where)
	return nil
}

// setResponseCallback is http.setResponseCallback(cb | null).
func (vu *VU) setResponseCallback(c goja.FunctionCall) goja.Value {
	vu.http.callback = vu.responseCallback(c.Argument(0), "http.setResponseCallback")
	return goja.Undefined()
}

// taggedURL is what the http.url tagged template makes: the URL, and the
// template with ${} for each substitution, which becomes the name tag so
// that URLs differing by ids are grouped.
type taggedURL struct {
	rt        *goja.Runtime
	name, url string
}

func (t *taggedURL) Get(key string) goja.Value {
	switch key {
	case "name":
		return t.rt.ToValue(t.name)
	case "url":
		return t.rt.ToValue(t.url)
	}
	return nil
}

func (t *taggedURL) Set(string, goja.Value) bool { return false }
func (t *taggedURL) Has(key string) bool         { return key == "name" || key == "url" }
func (t *taggedURL) Delete(string) bool          { return false }
func (t *taggedURL) Keys() []string              { return []string{"name", "url"} }

// urlTemplate is http.url`…${x}…`.
func (vu *VU) urlTemplate(c goja.FunctionCall) goja.Value {
	strs, ok := c.Argument(0).(*goja.Object)
	if !ok {
		vu.throw("http.url is a tagged template: http.url`https://host/items/${id}`")
	}
	n := int(strs.Get("length").ToInteger())
	var name, full strings.Builder
	for i := range n {
		part := strs.Get(strconv.Itoa(i)).String()
		name.WriteString(part)
		full.WriteString(part)
		if i+1 < n {
			name.WriteString("${}")
			full.WriteString(c.Argument(i + 1).String())
		}
	}
	obj := vu.rt.NewDynamicObject(&taggedURL{rt: vu.rt, name: name.String(), url: full.String()})
	obj.SetPrototype(vu.urlPrototype())
	return obj
}

// urlPrototype gives URL objects a toString, so that String(url) and
// `${url}` are the URL, as with k6's URL object. It is made once per VU.
func (vu *VU) urlPrototype() *goja.Object {
	if p := vu.http.urlProto; p != nil {
		return p
	}
	p := vu.rt.NewObject()
	_ = p.Set("toString", func(c goja.FunctionCall) goja.Value {
		if t, ok := c.This.Export().(*taggedURL); ok {
			return vu.rt.ToValue(t.url)
		}
		return vu.rt.ToValue("[object URL]")
	})
	vu.http.urlProto = p
	return p
}

// urlArg reads a URL argument: a string, or an http.url result, whose
// template is the request's name. Strings, the common case, cost one
// type check.
func urlArg(v goja.Value) (u, name string) {
	if obj, ok := v.(*goja.Object); ok {
		if t, ok := obj.Export().(*taggedURL); ok {
			return t.url, t.name
		}
	}
	return v.String(), ""
}

// fileData is what http.file makes: a part of a multipart body.
type fileData struct {
	rt                    *goja.Runtime
	data                  []byte
	filename, contentType string
}

func (f *fileData) Get(key string) goja.Value {
	rt := f.rt
	switch key {
	case "data":
		return rt.ToValue(string(f.data))
	case "filename":
		return rt.ToValue(f.filename)
	case "content_type":
		return rt.ToValue(f.contentType)
	}
	return nil
}

func (f *fileData) Set(string, goja.Value) bool { return false }
func (f *fileData) Has(key string) bool {
	return key == "data" || key == "filename" || key == "content_type"
}
func (f *fileData) Delete(string) bool { return false }
func (f *fileData) Keys() []string     { return []string{"data", "filename", "content_type"} }

// file is http.file(data, filename?, contentType?); data is a string or
// an ArrayBuffer (or a typed array).
func (vu *VU) file(c goja.FunctionCall) goja.Value {
	f := &fileData{rt: vu.rt, filename: c.Argument(1).String(), contentType: "application/octet-stream"}
	if !present(c.Argument(1)) {
		f.filename = ""
	}
	if ct := c.Argument(2); present(ct) {
		f.contentType = ct.String()
	}
	switch d := c.Argument(0).Export().(type) {
	case goja.ArrayBuffer:
		f.data = d.Bytes()
	case []byte:
		f.data = d
	default:
		f.data = []byte(c.Argument(0).String())
	}
	return vu.rt.NewDynamicObject(f)
}

// hasFile reports whether an object body holds an http.file, which makes
// it multipart/form-data rather than form-encoded.
func hasFile(fields map[string]any) bool {
	for _, v := range fields {
		if _, ok := v.(*fileData); ok {
			return true
		}
	}
	return false
}

// multipartBody encodes fields (sorted by name, for a stable body) as
// multipart/form-data and returns the body and its Content-Type.
func multipartBody(fields map[string]any) ([]byte, string) {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, k := range keys {
		f, ok := fields[k].(*fileData)
		if !ok {
			_ = w.WriteField(k, fmt.Sprint(fields[k]))
			continue
		}
		name := f.filename
		if name == "" {
			name = k
		}
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"; filename="%s"`, quoteEscaper.Replace(k), quoteEscaper.Replace(name)))
		h.Set("Content-Type", f.contentType)
		part, _ := w.CreatePart(h)
		_, _ = part.Write(f.data)
	}
	_ = w.Close()
	return buf.Bytes(), w.FormDataContentType()
}

var quoteEscaper = strings.NewReplacer("\\", "\\\\", `"`, "\\\"")

// digestAuthorization answers a Digest challenge (RFC 7616: MD5 or
// SHA-256, qop auth or none) with the credentials of the target URL.
func digestAuthorization(method, target string, h http.Header) (string, bool) {
	u, err := url.Parse(target)
	if err != nil || u.User == nil {
		return "", false
	}
	scheme, params, _ := strings.Cut(h.Get("WWW-Authenticate"), " ")
	if !strings.EqualFold(scheme, "Digest") {
		return "", false
	}
	ch := parseChallenge(params)
	var newHash func() hash.Hash
	switch strings.ToUpper(ch["algorithm"]) {
	case "", "MD5":
		newHash = md5.New
	case "SHA-256":
		newHash = sha256.New
	default:
		return "", false
	}
	sum := func(parts ...string) string {
		hh := newHash()
		hh.Write([]byte(strings.Join(parts, ":")))
		return hex.EncodeToString(hh.Sum(nil))
	}
	user := u.User.Username()
	pass, _ := u.User.Password()
	uri := u.RequestURI()
	ha1, ha2 := sum(user, ch["realm"], pass), sum(method, uri)
	fields := []string{fmt.Sprintf(`username="%s"`, user), fmt.Sprintf(`realm="%s"`, ch["realm"]),
		fmt.Sprintf(`nonce="%s"`, ch["nonce"]), fmt.Sprintf(`uri="%s"`, uri)}
	if ch["algorithm"] != "" {
		fields = append(fields, "algorithm="+ch["algorithm"])
	}
	if qopOffered(ch["qop"]) {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		cnonce, nc := hex.EncodeToString(b), "00000001"
		fields = append(fields, "qop=auth", "nc="+nc, fmt.Sprintf(`cnonce="%s"`, cnonce),
			fmt.Sprintf(`response="%s"`, sum(ha1, ch["nonce"], nc, cnonce, "auth", ha2)))
	} else {
		fields = append(fields, fmt.Sprintf(`response="%s"`, sum(ha1, ch["nonce"], ha2)))
	}
	if op, ok := ch["opaque"]; ok {
		fields = append(fields, fmt.Sprintf(`opaque="%s"`, op))
	}
	return "Digest " + strings.Join(fields, ", "), true
}

func qopOffered(qop string) bool {
	for q := range strings.SplitSeq(qop, ",") {
		if strings.TrimSpace(q) == "auth" {
			return true
		}
	}
	return false
}

// parseChallenge reads `realm="x", nonce="y", qop="auth,auth-int"`.
func parseChallenge(s string) map[string]string {
	out := map[string]string{}
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimLeft(strings.TrimSpace(s), ",") {
		s = strings.TrimSpace(s)
		key, rest, ok := strings.Cut(s, "=")
		if !ok {
			break
		}
		key, rest = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(rest)
		var val string
		if strings.HasPrefix(rest, `"`) {
			end := strings.Index(rest[1:], `"`)
			if end < 0 {
				break
			}
			val, s = rest[1:1+end], rest[2+end:]
		} else {
			val, s, _ = strings.Cut(rest, ",")
			val = strings.TrimSpace(val)
		}
		out[key] = val
	}
	return out
}
