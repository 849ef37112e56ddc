package main

import (
	"compress/gzip"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/throng-dev/throng/internal/refencode"
)

// httpFeatures adds the endpoints of the corpus's scripts on cookies,
// redirects, uploads, compression, protocols, batching and authentication.
func (c *compatTarget) httpFeatures(mux *http.ServeMux) {
	mux.HandleFunc("GET /cookies", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, requestCookies(r)) })
	mux.HandleFunc("GET /cookies/set", func(w http.ResponseWriter, r *http.Request) {
		for k, vs := range r.URL.Query() {
			http.SetCookie(w, &http.Cookie{Name: k, Value: vs[0], Path: "/"})
		}
		writeJSON(w, 200, requestCookies(r))
	})
	mux.HandleFunc("POST /session/login", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: r.FormValue("user"), Path: "/", HttpOnly: true})
		http.Redirect(w, r, "/session/home", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /session/home", func(w http.ResponseWriter, r *http.Request) {
		ck, err := r.Cookie("session")
		if err != nil {
			writeJSON(w, 401, map[string]any{"error": "no session"})
			return
		}
		writeJSON(w, 200, map[string]any{"user": ck.Value})
	})
	mux.HandleFunc("/redirect/{n}", func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscan(r.PathValue("n"), &n)
		if n <= 0 {
			io.WriteString(w, "landed")
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/redirect/%d", n-1), http.StatusFound)
	})
	mux.HandleFunc("POST /upload", uploadHandler)
	mux.HandleFunc("GET /compressed/{enc}", func(w http.ResponseWriter, r *http.Request) {
		enc := r.PathValue("enc")
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", enc)
		w.Write(compress(enc, []byte(`{"total":2,"items":[{"id":1,"name":"apple"},{"id":2,"name":"pear"}]}`)))
	})
	mux.HandleFunc("POST /gunzip", func(w http.ResponseWriter, r *http.Request) {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			writeJSON(w, 400, map[string]any{"error": err.Error()})
			return
		}
		body, _ := io.ReadAll(zr)
		writeJSON(w, 200, map[string]any{"length": len(body), "encoding": r.Header.Get("Content-Encoding")})
	})
	mux.HandleFunc("GET /proto", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.Proto) })
	mux.HandleFunc("GET /barrier", c.barrier)
	mux.HandleFunc("GET /barrier/max", func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		most := c.most
		c.mu.Unlock()
		writeJSON(w, 200, map[string]any{"max": most})
	})
	mux.HandleFunc("GET /basic-auth/{user}/{passwd}", func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != r.PathValue("user") || p != r.PathValue("passwd") {
			w.WriteHeader(401)
			return
		}
		writeJSON(w, 200, map[string]any{"authenticated": true, "user": r.PathValue("user")})
	})
	mux.HandleFunc("GET /digest-auth/auth/{user}/{passwd}", digestAuth)
}

func requestCookies(r *http.Request) map[string]string {
	out := map[string]string{}
	for _, ck := range r.Cookies() {
		out[ck.Name] = ck.Value
	}
	return out
}

// uploadHandler answers a multipart form with its fields and files.
func uploadHandler(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		writeJSON(w, 400, map[string]any{"error": err.Error()})
		return
	}
	fields, files := map[string]string{}, map[string]any{}
	for k, vs := range r.MultipartForm.Value {
		fields[k] = vs[0]
	}
	for k, fhs := range r.MultipartForm.File {
		f, _ := fhs[0].Open()
		data, _ := io.ReadAll(f)
		files[k] = map[string]any{"filename": fhs[0].Filename, "type": fhs[0].Header.Get("Content-Type"),
			"size": len(data), "content": string(data)}
	}
	writeJSON(w, 200, map[string]any{"fields": fields, "files": files})
}

// compress encodes with the reference encoders, not with throng's code;
// an unknown encoding leaves data as it is.
func compress(enc string, data []byte) []byte {
	if body, err := refencode.Encode(enc, data); err == nil {
		return body
	}
	return data
}

// barrier records how many requests are in flight together. Each waits
// until 3 are (then the limit under test was not applied) or a while.
func (c *compatTarget) barrier(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	c.inflight++
	c.most = max(c.most, c.inflight)
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.inflight--
		c.mu.Unlock()
	}()
	for deadline := time.Now().Add(300 * time.Millisecond); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		c.mu.Lock()
		enough := c.inflight >= 3
		c.mu.Unlock()
		if enough {
			break
		}
	}
	io.WriteString(w, "ok")
}

// digestAuth is httpbin's /digest-auth/auth/{user}/{passwd}: RFC 2617
// digest authentication with MD5 and qop=auth.
func digestAuth(w http.ResponseWriter, r *http.Request) {
	const realm, nonce, opaque = "compat@throng", "dcd98b7102dd2f0e8b11d0f600bfb0c093", "5ccc069c403ebaf9f0171e9517f40e41"
	user, pass := r.PathValue("user"), r.PathValue("passwd")
	fields, ok := digestFields(r.Header.Get("Authorization"))
	if !ok {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Digest realm="%s", qop="auth", nonce="%s", opaque="%s"`, realm, nonce, opaque))
		w.WriteHeader(401)
		return
	}
	h := func(s string) string { sum := md5.Sum([]byte(s)); return hex.EncodeToString(sum[:]) }
	ha1, ha2 := h(user+":"+realm+":"+pass), h(r.Method+":"+r.URL.RequestURI())
	want := h(strings.Join([]string{ha1, nonce, fields["nc"], fields["cnonce"], "auth", ha2}, ":"))
	if fields["username"] != user || fields["response"] != want || fields["opaque"] != opaque {
		w.WriteHeader(401)
		return
	}
	writeJSON(w, 200, map[string]any{"authenticated": true, "user": user})
}

// digestFields reads `Digest a="x", b=y`; it is only as general as the
// clients under test need.
func digestFields(header string) (map[string]string, bool) {
	rest, ok := strings.CutPrefix(header, "Digest ")
	if !ok {
		return nil, false
	}
	out := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		out[k] = strings.Trim(v, `"`)
	}
	return out, true
}
