package js

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dop251/goja"

	"github.com/throng-dev/throng/metrics"
)

const (
	defaultTimeout   = 60 * time.Second
	defaultRedirects = 10
)

// httpModule is `k6/http`. Its functions take goja.FunctionCall rather
// than typed arguments: goja calls those directly, where typed Go
// functions go through reflection on every call (a large share of the
// per-request CPU in profiles).
func httpModule(*VU) map[string]any { return httpExports }

// httpExports is k6/http's table, shared by all VUs: each function is
// made for a VU when its script first reads it (see member), so a VU
// that imports the module does not build a closure for every name.
var httpExports = map[string]any{
	"get":     noBody("GET"),
	"head":    noBody("HEAD"),
	"post":    withBody("POST"),
	"put":     withBody("PUT"),
	"patch":   withBody("PATCH"),
	"del":     withBody("DELETE"),
	"options": withBody("OPTIONS"),
	"request": member(func(vu *VU) any {
		return func(c goja.FunctionCall) goja.Value {
			return vu.request(strings.ToUpper(c.Argument(0).String()), c.Argument(1), c.Argument(2), c.Argument(3))
		}
	}),
	"asyncRequest": member(func(vu *VU) any { return vu.asyncRequest }),
	"batch":        member(func(vu *VU) any { return vu.batch }),
	"url":          member(func(vu *VU) any { return vu.urlTemplate }),
	"file":         member(func(vu *VU) any { return vu.file }),
	"cookieJar": member(func(vu *VU) any {
		return func(goja.FunctionCall) goja.Value {
			vu.mustNotBeInit("http.cookieJar()")
			return vu.jarObject(vu.http.jar)
		}
	}),
	"CookieJar": member(func(vu *VU) any {
		return func(goja.ConstructorCall) *goja.Object {
			return vu.jarObject(&cookieJar{}).(*goja.Object)
		}
	}),
	"expectedStatuses":    member(func(vu *VU) any { return vu.expectedStatuses }),
	"setResponseCallback": member(func(vu *VU) any { return vu.setResponseCallback }),
	"TLS_1_0":             "tls1.0",
	"TLS_1_1":             "tls1.1",
	"TLS_1_2":             "tls1.2",
	"TLS_1_3":             "tls1.3",
}

func noBody(method string) member {
	return func(vu *VU) any {
		return func(c goja.FunctionCall) goja.Value {
			return vu.request(method, c.Argument(0), nil, c.Argument(1))
		}
	}
}

func withBody(method string) member {
	return func(vu *VU) any {
		return func(c goja.FunctionCall) goja.Value {
			return vu.request(method, c.Argument(0), c.Argument(1), c.Argument(2))
		}
	}
}

// request runs one HTTP request from the VU's goroutine.
func (vu *VU) request(method string, u, body, params goja.Value) goja.Value {
	vu.mustNotBeInit("making HTTP requests")
	r := vu.parseRequest(method, u, body, params)
	hops := vu.http.do(vu.ctx, r)
	for _, h := range hops {
		vu.emitRequest(h)
	}
	return vu.response(hops[len(hops)-1])
}

// asyncRequest is http.asyncRequest: the request runs on its own
// goroutine and the promise is settled on the VU's event loop, which is
// the only place that touches the runtime.
func (vu *VU) asyncRequest(c goja.FunctionCall) goja.Value {
	vu.mustNotBeInit("making HTTP requests")
	r := vu.parseRequest(strings.ToUpper(c.Argument(0).String()), c.Argument(1), c.Argument(2), c.Argument(3))
	promise, resolve, _ := vu.rt.NewPromise()
	done := vu.eventLoop().register()
	ctx := vu.ctx
	go func() {
		hops := vu.http.do(ctx, r)
		done(func() error {
			for _, h := range hops {
				vu.emitRequest(h)
			}
			return resolve(vu.response(hops[len(hops)-1]))
		})
	}()
	return vu.rt.ToValue(promise)
}

// batch runs several requests side by side, at most `batch` (20) at once
// and `batchPerHost` (6) per host, and returns their responses in the
// shape it was given: an array for an array, an object with the same keys
// for an object.
func (vu *VU) batch(reqs goja.Value) goja.Value {
	vu.mustNotBeInit("making HTTP requests")
	obj, ok := reqs.(*goja.Object)
	if !ok {
		vu.throw("http.batch() needs an array or an object of requests")
	}
	keys := obj.Keys()
	parsed := make([]*request, len(keys))
	for i, k := range keys {
		parsed[i] = vu.parseBatchItem(obj.Get(k))
	}
	results := vu.runBatch(parsed)
	var out *goja.Object
	if obj.ClassName() == "Array" {
		out = vu.rt.NewArray()
	} else {
		out = vu.rt.NewObject()
	}
	for i, hops := range results {
		for _, h := range hops {
			vu.emitRequest(h)
		}
		_ = out.Set(keys[i], vu.response(hops[len(hops)-1]))
	}
	return out
}

// runBatch sends the requests from goroutines, each waiting for a slot
// of its host, then for one of the batch.
func (vu *VU) runBatch(reqs []*request) [][]*result {
	cfg := vu.http.cfg
	results := make([][]*result, len(reqs))
	all := make(chan struct{}, max(cfg.batch, 1))
	perHost := map[string]chan struct{}{}
	var wg sync.WaitGroup
	for i, r := range reqs {
		var host chan struct{}
		if cfg.batchPerHost > 0 {
			key := hostOf(r.url)
			if host = perHost[key]; host == nil {
				host = make(chan struct{}, cfg.batchPerHost)
				perHost[key] = host
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if host != nil {
				host <- struct{}{}
				defer func() { <-host }()
			}
			all <- struct{}{}
			defer func() { <-all }()
			results[i] = vu.http.do(vu.ctx, r)
		}()
	}
	wg.Wait()
	return results
}

// hostOf is the host[:port] of a URL, which batchPerHost limits.
func hostOf(u string) string {
	if p, err := url.Parse(u); err == nil {
		return p.Host
	}
	return u
}

// parseBatchItem reads one batch entry: a URL, [method, url, body, params]
// or {method, url, body, params}.
func (vu *VU) parseBatchItem(v goja.Value) *request {
	obj, ok := v.(*goja.Object)
	if !ok {
		return vu.parseRequest("GET", v, nil, nil)
	}
	if _, isURL := obj.Export().(*taggedURL); isURL {
		return vu.parseRequest("GET", v, nil, nil)
	}
	if obj.ClassName() == "Array" {
		get := func(i int) goja.Value { return obj.Get(strconv.Itoa(i)) }
		return vu.parseRequest(strings.ToUpper(get(0).String()), get(1), get(2), get(3))
	}
	method := "GET"
	if m := obj.Get("method"); m != nil && !goja.IsUndefined(m) {
		method = strings.ToUpper(m.String())
	}
	return vu.parseRequest(method, obj.Get("url"), obj.Get("body"), obj.Get("params"))
}

func present(v goja.Value) bool { return v != nil && !goja.IsUndefined(v) && !goja.IsNull(v) }

// parseRequest reads the URL, body and params as k6 does. The defaults
// come from the VU's client: the options and the script's callback.
func (vu *VU) parseRequest(method string, target, body, params goja.Value) *request {
	c := vu.http
	u, name := urlArg(target)
	r := &request{
		method: method, url: u, name: name, headers: http.Header{},
		timeout: defaultTimeout, redirects: c.cfg.maxRedirects, responseType: c.cfg.responseType,
		jar: c.jar, callback: c.callback, h2c: c.cfg.h2c,
	}
	vu.parseBody(r, body)
	if present(params) {
		vu.parseParams(r, params.ToObject(vu.rt))
	}
	return r
}

func (vu *VU) parseParams(r *request, p *goja.Object) {
	if h := p.Get("headers"); present(h) {
		ho := h.ToObject(vu.rt)
		for _, k := range ho.Keys() {
			r.headers.Set(k, ho.Get(k).String())
		}
	}
	if t := p.Get("tags"); present(t) {
		r.tags = vu.stringMap(t.ToObject(vu.rt))
	}
	if t := p.Get("timeout"); present(t) {
		r.timeout = vu.parseTimeout(t)
	}
	if n := p.Get("redirects"); present(n) {
		r.redirects = int(n.ToInteger())
	}
	if rt := p.Get("responseType"); present(rt) {
		switch s := rt.String(); s {
		case "text", "binary", "none":
			r.responseType = s
		default:
			vu.throw("invalid responseType %q: allowed are text, binary, none", s)
		}
	}
	if p.Get("cookies") != nil || p.Get("jar") != nil || p.Get("auth") != nil || p.Get("compression") != nil ||
		p.Get("responseCallback") != nil || p.Get("http2") != nil {
		vu.parseRareParams(r, p)
	}
}

// parseRareParams reads the params most requests do not have, kept apart
// so that the common ones are read with fewer lookups.
func (vu *VU) parseRareParams(r *request, p *goja.Object) {
	if c := p.Get("cookies"); present(c) {
		r.cookies = vu.parseCookies(c)
	}
	if j := p.Get("jar"); j != nil && !goja.IsUndefined(j) {
		r.jar = nil
		if present(j) {
			h, ok := j.Export().(*jarHandle)
			if !ok {
				vu.throw("params.jar must be a cookie jar (http.cookieJar() or new http.CookieJar())")
			}
			r.jar = h.jar
		}
	}
	if cb := p.Get("responseCallback"); cb != nil && !goja.IsUndefined(cb) {
		r.callback = vu.responseCallback(cb, "params.responseCallback")
	}
	if a := p.Get("auth"); present(a) {
		switch s := a.String(); s {
		case "basic": // the URL's credentials are sent as basic authentication anyway
		case "digest":
			r.digest = true
		default:
			vu.throw("auth %q is not supported by throng: use basic (credentials in the URL) or digest", s)
		}
	}
	if comp := p.Get("compression"); present(comp) && r.body != nil {
		body, enc, err := compressBody(r.body, comp.String())
		if err != nil {
			vu.throw("params.compression: %v", err)
		}
		r.body = body
		if r.headers.Get("Content-Encoding") == "" {
			r.headers.Set("Content-Encoding", enc)
		}
	}
	if h2 := p.Get("http2"); present(h2) {
		switch s := h2.String(); s {
		case "h2c":
			r.h2c = true
		case "h2", "false":
			r.h2c = false
		default:
			vu.throw("params.http2 %q: use 'h2c' (cleartext HTTP/2 with prior knowledge) or 'h2'", s)
		}
	}
}

// parseTimeout reads a number of milliseconds or a duration string.
func (vu *VU) parseTimeout(v goja.Value) time.Duration {
	if s, ok := v.Export().(string); ok {
		d, err := time.ParseDuration(s)
		if err != nil {
			if ms, err2 := strconv.ParseFloat(s, 64); err2 == nil {
				return time.Duration(ms * float64(time.Millisecond))
			}
			vu.throw("invalid timeout %q: use milliseconds or a duration such as \"10s\"", s)
		}
		return d
	}
	return time.Duration(v.ToFloat() * float64(time.Millisecond))
}

// parseBody: strings are sent as they are, ArrayBuffers as bytes, plain
// objects form-encoded, or as multipart/form-data when a value is an
// http.file.
func (vu *VU) parseBody(r *request, body goja.Value) {
	if !present(body) {
		return
	}
	switch b := body.Export().(type) {
	case string:
		r.body = []byte(b)
	case goja.ArrayBuffer:
		r.body = b.Bytes()
	case []byte:
		r.body = b
	case map[string]any:
		if hasFile(b) {
			var ct string
			r.body, ct = multipartBody(b)
			r.headers.Set("Content-Type", ct)
			return
		}
		form := url.Values{}
		keys := make([]string, 0, len(b))
		for k := range b {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			form.Set(k, fmt.Sprint(b[k]))
		}
		r.body = []byte(form.Encode())
		r.headers.Set("Content-Type", "application/x-www-form-urlencoded")
	default:
		r.body = []byte(body.String())
	}
}

// emitRequest sends the samples of one exchange to the VU's buffer. The
// request's response callback decides whether it was expected; without
// one (setResponseCallback(null)) there is no http_req_failed sample and
// no expected_response tag, as in k6.
func (vu *VU) emitRequest(h *result) {
	b := vu.b.cfg.Builtins
	outcome := outcomeOf(h)
	tags := vu.requestTags(h, outcome)
	t, tm := h.end.UnixNano(), h.timings
	failed := 1.0
	if outcome == expectedResponse {
		failed = 0
	}
	for _, s := range [...]struct {
		m *metrics.Metric
		v float64
	}{
		{b.HTTPReqs, 1}, {b.HTTPReqFailed, failed}, {b.HTTPReqDuration, tm.duration()},
		{b.HTTPReqBlocked, tm.blocked}, {b.HTTPReqConnecting, tm.connecting},
		{b.HTTPReqTLSHandshaking, tm.tlsHandshaking}, {b.HTTPReqSending, tm.sending},
		{b.HTTPReqWaiting, tm.waiting}, {b.HTTPReqReceiving, tm.receiving},
	} {
		if s.m == b.HTTPReqFailed && outcome == noCallback {
			continue
		}
		vu.emit(metrics.Sample{Metric: s.m, Tags: tags, Time: t, Value: s.v})
	}
}

// outcome is what a response callback made of a response.
type outcome uint8

const (
	noCallback outcome = iota
	unexpectedResponse
	expectedResponse
)

func outcomeOf(h *result) outcome {
	switch cb := h.req.callback; {
	case cb == nil:
		return noCallback
	case h.challenge || cb.has(h.measuredStatus()): // a digest challenge's 401 is expected, as in k6
		return expectedResponse
	}
	return unexpectedResponse
}

// response builds the JS response object. Its properties are made when
// the script first reads them: most scripts read the status and little
// else, and a body string, a headers object or a timings object per
// request are costs worth skipping when nobody looks.
func (vu *VU) response(h *result) goja.Value {
	r := &responseObject{vu: vu, h: h, values: map[string]goja.Value{}}
	return vu.rt.NewDynamicObject(r)
}

// responseKeys are the response's properties, in k6's order.
var responseKeys = []string{"status", "status_text", "url", "proto", "headers", "body", "timings",
	"tls_version", "error", "error_code", "cookies", "request", "json", "html"}

type responseObject struct {
	vu      *VU
	h       *result
	values  map[string]goja.Value // made or set so far
	deleted map[string]bool
}

func (r *responseObject) Get(key string) goja.Value {
	if v, ok := r.values[key]; ok {
		return v
	}
	if r.deleted[key] {
		return nil
	}
	v := r.make(key)
	if v != nil {
		r.values[key] = v
	}
	return v
}

func (r *responseObject) make(key string) goja.Value {
	rt, h := r.vu.rt, r.h
	switch key {
	case "status":
		return rt.ToValue(h.status)
	case "status_text":
		return rt.ToValue(h.statusText)
	case "url":
		return rt.ToValue(h.url)
	case "proto":
		return rt.ToValue(h.proto)
	case "headers":
		return r.vu.headersObject(h.headers)
	case "body":
		return r.body()
	case "timings":
		return r.vu.timingsObject(h.timings)
	case "error":
		return rt.ToValue(h.errMsg)
	case "error_code":
		return rt.ToValue(h.errCode)
	case "cookies":
		return r.vu.responseCookies(h.headers)
	case "tls_version":
		return rt.ToValue(h.tlsVersion)
	case "request":
		return r.vu.requestObject(h)
	case "json":
		return rt.ToValue(r.vu.jsonMethod(h))
	case "html":
		return rt.ToValue(r.vu.htmlMethod(h.body))
	}
	return nil
}

func (r *responseObject) body() goja.Value {
	switch r.h.req.responseType {
	case "binary":
		return r.vu.rt.ToValue(r.vu.rt.NewArrayBuffer(r.h.body))
	case "none":
		return goja.Null()
	}
	return r.vu.rt.ToValue(string(r.h.body))
}

// Set lets scripts add or replace properties, as on a plain object.
func (r *responseObject) Set(key string, v goja.Value) bool {
	r.values[key] = v
	delete(r.deleted, key)
	return true
}

func (r *responseObject) Has(key string) bool {
	if _, ok := r.values[key]; ok {
		return true
	}
	return !r.deleted[key] && slices.Contains(responseKeys, key)
}

func (r *responseObject) Delete(key string) bool {
	delete(r.values, key)
	if r.deleted == nil {
		r.deleted = map[string]bool{}
	}
	r.deleted[key] = true
	return true
}

func (r *responseObject) Keys() []string {
	keys := make([]string, 0, len(responseKeys))
	for _, k := range responseKeys {
		if !r.deleted[k] {
			keys = append(keys, k)
		}
	}
	for k := range r.values {
		if !slices.Contains(responseKeys, k) {
			keys = append(keys, k)
		}
	}
	return keys
}

func (vu *VU) headersObject(h http.Header) *goja.Object {
	obj := vu.rt.NewObject()
	for k, vs := range h {
		_ = obj.Set(k, strings.Join(vs, ", "))
	}
	return obj
}

func (vu *VU) timingsObject(tm timings) *goja.Object {
	obj := vu.rt.NewObject()
	for _, kv := range [...]struct {
		k string
		v float64
	}{
		{"duration", tm.duration()}, {"blocked", tm.blocked}, {"looking_up", 0},
		{"connecting", tm.connecting}, {"tls_handshaking", tm.tlsHandshaking},
		{"sending", tm.sending}, {"waiting", tm.waiting}, {"receiving", tm.receiving},
	} {
		_ = obj.Set(kv.k, kv.v)
	}
	return obj
}

func (vu *VU) requestObject(h *result) *goja.Object {
	obj := vu.rt.NewObject()
	headers := vu.headersObject(h.req.headers)
	_ = obj.Set("method", h.method)
	_ = obj.Set("url", h.url)
	_ = obj.Set("headers", headers)
	_ = obj.Set("body", string(h.req.body))
	return obj
}

// jsonMethod returns res.json(path?): the body parsed once, then, with a
// path such as "entries.0.data", the value found there (undefined when
// missing).
func (vu *VU) jsonMethod(h *result) func(goja.Value) goja.Value {
	var parsed goja.Value
	return func(path goja.Value) goja.Value {
		if parsed == nil {
			if h.req.responseType == "none" || h.body == nil {
				vu.throw("res.json(): the response has no body (responseType: %q)", h.req.responseType)
			}
			v, err := vu.parseJSON(h.body)
			if err != nil {
				vu.throw("res.json(): the body is not JSON: %v", err)
			}
			parsed = v
		}
		if !present(path) || path.String() == "" {
			return parsed
		}
		return vu.lookup(parsed, path.String())
	}
}

func (vu *VU) parseJSON(body []byte) (goja.Value, error) {
	parse, ok := vu.jsonParse()
	if !ok {
		return nil, fmt.Errorf("JSON.parse is not available")
	}
	return parse(goja.Undefined(), vu.rt.ToValue(string(body)))
}

func (vu *VU) jsonParse() (goja.Callable, bool) {
	return goja.AssertFunction(vu.rt.Get("JSON").ToObject(vu.rt).Get("parse"))
}

// lookup follows a dotted path ("a.b.0.c") through objects and arrays.
func (vu *VU) lookup(v goja.Value, path string) goja.Value {
	for _, part := range strings.Split(path, ".") {
		obj, ok := v.(*goja.Object)
		if !ok {
			return goja.Undefined()
		}
		v = obj.Get(part)
		if v == nil {
			return goja.Undefined()
		}
	}
	return v
}

// requestTagKey identifies the tags of a request's samples. A VU sends the
// same few requests over and over, so it keeps their tag sets: the samples
// then share one *TagSet, which saves allocations here and lets outputs
// cache what they derive from a tag set.
type requestTagKey struct {
	base                                         *metrics.TagSet
	method, url, name, proto, errMsg, tlsVersion string
	status, errCode                              int
	outcome                                      outcome
}

// maxCachedRequestTags bounds each VU's cache; scripts that tag every
// request differently (unique URLs without a name) just miss it.
const maxCachedRequestTags = 256

func (vu *VU) requestTags(h *result, oc outcome) *metrics.TagSet {
	u := cleanURL(h.url)
	name := u
	if n, ok := h.req.tags["name"]; ok {
		name = n
	} else if h.req.name != "" {
		name = h.req.name
	}
	key := requestTagKey{vu.tags, h.method, u, name, h.proto, h.errMsg, h.tlsVersion, h.status, h.errCode, oc}
	cacheable := len(h.req.tags) == 0 || (len(h.req.tags) == 1 && h.req.tags["name"] != "")
	if ts, ok := vu.requestTagCache[key]; ok && cacheable {
		return ts
	}
	extra := []metrics.Tag{
		{Key: "method", Value: h.method}, {Key: "url", Value: u}, {Key: "name", Value: name},
		{Key: "status", Value: strconv.Itoa(h.measuredStatus())}, {Key: "proto", Value: h.proto},
	}
	if oc != noCallback {
		extra = append(extra, metrics.Tag{Key: "expected_response", Value: strconv.FormatBool(oc == expectedResponse)})
	}
	if h.tlsVersion != "" {
		extra = append(extra, metrics.Tag{Key: "tls_version", Value: h.tlsVersion})
	}
	if h.errCode != 0 {
		extra = append(extra, metrics.Tag{Key: "error_code", Value: strconv.Itoa(h.errCode)})
	}
	if h.errMsg != "" {
		extra = append(extra, metrics.Tag{Key: "error", Value: h.errMsg})
	}
	for k, v := range h.req.tags {
		extra = append(extra, metrics.Tag{Key: k, Value: v})
	}
	ts := vu.tags.Extend(extra...)
	if cacheable {
		if vu.requestTagCache == nil || len(vu.requestTagCache) >= maxCachedRequestTags {
			vu.requestTagCache = make(map[requestTagKey]*metrics.TagSet)
		}
		vu.requestTagCache[key] = ts
	}
	return ts
}

// cleanURL masks the credentials of a URL (http://user:pass@host/) in
// tags, as k6 does: "http://****:****@host/". URLs without any, nearly
// all, are returned as they are, without allocating.
func cleanURL(u string) string {
	i := strings.Index(u, "://")
	if i < 0 {
		return u
	}
	rest := u[i+3:]
	at := strings.IndexByte(rest, '@')
	if at < 0 {
		return u
	}
	if end := strings.IndexAny(rest, "/?#"); end >= 0 && end < at {
		return u // an @ in the path or query
	}
	if strings.IndexByte(rest[:at], ':') >= 0 {
		return u[:i+3] + "****:****" + rest[at:]
	}
	return u[:i+3] + "****" + rest[at:]
}
