package js

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/dop251/goja"
)

// Cookies work as in k6: each VU has a jar that keeps the Set-Cookie of
// its responses (redirect hops included) and sends them back; it is
// emptied at the start of every iteration unless noCookiesReset is set.
// params.cookies adds cookies to one request, params.jar sends a request
// with another jar (new http.CookieJar()), and http.cookieJar() gives
// the script the VU's jar.

// cookieJar is a jar made on first use: a VU that never sees a cookie
// never allocates one, and a request on the hot path costs one atomic
// load to learn there is nothing to send.
type cookieJar struct{ inner atomic.Pointer[cookiejar.Jar] }

func (j *cookieJar) used() bool { return j.inner.Load() != nil }

func (j *cookieJar) jar() *cookiejar.Jar {
	if p := j.inner.Load(); p != nil {
		return p
	}
	fresh, _ := cookiejar.New(nil) // no public suffix list, as k6
	if j.inner.CompareAndSwap(nil, fresh) {
		return fresh
	}
	return j.inner.Load()
}

func (j *cookieJar) cookies(u *url.URL) []*http.Cookie {
	if p := j.inner.Load(); p != nil {
		return p.Cookies(u)
	}
	return nil
}

func (j *cookieJar) store(u *url.URL, cookies []*http.Cookie) {
	if len(cookies) > 0 {
		j.jar().SetCookies(u, cookies)
	}
}

// requestCookie is one entry of params.cookies; with replace, a cookie of
// the same name in the jar is not sent.
type requestCookie struct {
	name, value string
	replace     bool
}

// addCookies adds params.cookies, then the jar's cookies for the URL, as
// k6's SetRequestCookies does.
func addCookies(req *http.Request, r *request) {
	for _, c := range r.cookies {
		req.AddCookie(&http.Cookie{Name: c.name, Value: c.value})
	}
	if r.jar == nil {
		return
	}
	for _, c := range r.jar.cookies(req.URL) {
		if !replacedCookie(r.cookies, c.Name) {
			req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
		}
	}
}

func replacedCookie(cookies []requestCookie, name string) bool {
	for _, c := range cookies {
		if c.replace && c.name == name {
			return true
		}
	}
	return false
}

// parseCookies reads params.cookies: {name: value} or
// {name: {value, replace}}.
func (vu *VU) parseCookies(v goja.Value) []requestCookie {
	obj := v.ToObject(vu.rt)
	keys := obj.Keys()
	out := make([]requestCookie, 0, len(keys))
	for _, k := range keys {
		c := requestCookie{name: k}
		if o, ok := obj.Get(k).(*goja.Object); ok {
			c.value = o.Get("value").String()
			if rep := o.Get("replace"); present(rep) {
				c.replace = rep.ToBoolean()
			}
		} else {
			c.value = obj.Get(k).String()
		}
		out = append(out, c)
	}
	return out
}

// jarHandle is the Go side of a CookieJar object in JS.
type jarHandle struct{ jar *cookieJar }

// jarObject wraps a jar for the script. Its methods live on a prototype
// made once per VU, so a jar object costs one small allocation.
func (vu *VU) jarObject(j *cookieJar) goja.Value {
	obj := vu.rt.ToValue(&jarHandle{jar: j}).(*goja.Object)
	obj.SetPrototype(vu.jarPrototype())
	return obj
}

func (vu *VU) jarPrototype() *goja.Object {
	if vu.http.jarProto != nil {
		return vu.http.jarProto
	}
	proto := vu.rt.NewObject()
	method := func(name string, f func(j *cookieJar, c goja.FunctionCall) goja.Value) {
		_ = proto.Set(name, func(c goja.FunctionCall) goja.Value {
			h, ok := c.This.Export().(*jarHandle)
			if !ok {
				vu.throw("CookieJar.%s called on something that is not a cookie jar", name)
			}
			return f(h.jar, c)
		})
	}
	method("cookiesForURL", vu.jarCookiesForURL)
	method("set", vu.jarSet)
	method("clear", vu.jarClear)
	method("delete", vu.jarDelete)
	vu.http.jarProto = proto
	return proto
}

func (vu *VU) jarURL(v goja.Value) *url.URL {
	u, err := url.Parse(v.String())
	if err != nil || u.Host == "" {
		vu.throw("cookie jar: %q is not an absolute URL", v.String())
	}
	return u
}

// jarCookiesForURL returns {name: [value, …]}, as k6.
func (vu *VU) jarCookiesForURL(j *cookieJar, c goja.FunctionCall) goja.Value {
	obj := vu.rt.NewObject()
	values := map[string][]any{}
	var order []string
	for _, ck := range j.cookies(vu.jarURL(c.Argument(0))) {
		if _, seen := values[ck.Name]; !seen {
			order = append(order, ck.Name)
		}
		values[ck.Name] = append(values[ck.Name], ck.Value)
	}
	for _, name := range order {
		_ = obj.Set(name, vu.rt.NewArray(values[name]...))
	}
	return obj
}

// jarSet is set(url, name, value, {domain, path, expires, max_age, secure,
// http_only}).
func (vu *VU) jarSet(j *cookieJar, c goja.FunctionCall) goja.Value {
	u := vu.jarURL(c.Argument(0))
	ck := &http.Cookie{Name: c.Argument(1).String(), Value: c.Argument(2).String()}
	if opts := c.Argument(3); present(opts) {
		o := opts.ToObject(vu.rt)
		get := func(k string) (goja.Value, bool) { v := o.Get(k); return v, present(v) }
		if v, ok := get("domain"); ok {
			ck.Domain = v.String()
		}
		if v, ok := get("path"); ok {
			ck.Path = v.String()
		}
		if v, ok := get("expires"); ok {
			t, err := http.ParseTime(v.String())
			if err != nil {
				vu.throw("cookie jar: expires %q is not an HTTP date (%s)", v.String(), http.TimeFormat)
			}
			ck.Expires = t
		}
		if v, ok := get("max_age"); ok {
			ck.MaxAge = int(v.ToInteger())
		}
		if v, ok := get("secure"); ok {
			ck.Secure = v.ToBoolean()
		}
		if v, ok := get("http_only"); ok {
			ck.HttpOnly = v.ToBoolean()
		}
	}
	j.store(u, []*http.Cookie{ck})
	return goja.Undefined()
}

// jarClear and jarDelete expire cookies as k6 does, by setting them again
// for the URL with a negative Max-Age; the jar keys a cookie by domain,
// path and name, and tells only the name, so each is expired for the
// URL's own path and for "/", host-only and for the host's domain.
func (vu *VU) jarClear(j *cookieJar, c goja.FunctionCall) goja.Value {
	u := vu.jarURL(c.Argument(0))
	for _, ck := range j.cookies(u) {
		expireCookie(j, u, ck.Name)
	}
	return goja.Undefined()
}

func (vu *VU) jarDelete(j *cookieJar, c goja.FunctionCall) goja.Value {
	expireCookie(j, vu.jarURL(c.Argument(0)), c.Argument(1).String())
	return goja.Undefined()
}

func expireCookie(j *cookieJar, u *url.URL, name string) {
	var gone []*http.Cookie
	for _, domain := range []string{"", u.Hostname()} {
		for _, path := range []string{"", "/"} {
			gone = append(gone, &http.Cookie{Name: name, Domain: domain, Path: path, MaxAge: -1})
		}
	}
	j.store(u, gone)
}

// responseCookies is res.cookies: {name: [{name, value, domain, path,
// http_only, secure, max_age, expires}]} from the response's Set-Cookie
// headers; expires is in milliseconds since the epoch (0: none).
func (vu *VU) responseCookies(h http.Header) *goja.Object {
	obj := vu.rt.NewObject()
	if len(h["Set-Cookie"]) == 0 {
		return obj
	}
	byName := map[string][]any{}
	var order []string
	for _, c := range (&http.Response{Header: h}).Cookies() {
		var expires int64
		if !c.Expires.IsZero() {
			expires = c.Expires.UnixNano() / int64(time.Millisecond)
		}
		if _, seen := byName[c.Name]; !seen {
			order = append(order, c.Name)
		}
		byName[c.Name] = append(byName[c.Name], map[string]any{
			"name": c.Name, "value": c.Value, "domain": c.Domain, "path": c.Path,
			"http_only": c.HttpOnly, "secure": c.Secure, "max_age": c.MaxAge, "expires": expires,
		})
	}
	for _, name := range order {
		_ = obj.Set(name, vu.rt.NewArray(byName[name]...))
	}
	return obj
}
