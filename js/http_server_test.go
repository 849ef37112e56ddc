package js

import (
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/throng-dev/throng/internal/refencode"
)

// featureServer serves the endpoints the tests of cookies, compression,
// uploads, authentication and HTTP/2 need, over HTTP/1.1 and cleartext
// HTTP/2 (prior knowledge) on the same port. It counts the requests it
// served per protocol and the connections it accepted.
type featureServer struct {
	*httptest.Server
	mu       sync.Mutex
	byProto  map[string]int64
	conns    atomic.Int64
	inflight atomic.Int64
	maxIn    atomic.Int64
	barrier  int // /barrier waits for this many requests in flight (or a while)
}

func newFeatureServer(t testing.TB, tlsServer bool) *featureServer {
	f := &featureServer{byProto: map[string]int64{}, barrier: 3}
	mux := http.NewServeMux()
	mux.HandleFunc("/cookies/set", func(w http.ResponseWriter, r *http.Request) {
		for k, vs := range r.URL.Query() {
			http.SetCookie(w, &http.Cookie{Name: k, Value: vs[0], Path: "/", HttpOnly: k == "session", MaxAge: 3600})
		}
		writeTestJSON(w, cookieMap(r))
	})
	mux.HandleFunc("/cookies/echo", func(w http.ResponseWriter, r *http.Request) { writeTestJSON(w, cookieMap(r)) })
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "s-42", Path: "/"})
		http.Redirect(w, r, "/cookies/echo", http.StatusFound)
	})
	mux.HandleFunc("/encoded/{enc}", func(w http.ResponseWriter, r *http.Request) {
		enc := r.PathValue("enc")
		w.Header().Set("Content-Encoding", enc)
		w.Write(encodeTestBody(t, enc, []byte(`{"text":"hello, compressed world"}`)))
	})
	mux.HandleFunc("/brokengzip", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		io.WriteString(w, "this is not gzip")
	})
	mux.HandleFunc("/upload", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		out := map[string]any{}
		for k, vs := range r.MultipartForm.Value {
			out[k] = vs[0]
		}
		for k, fhs := range r.MultipartForm.File {
			fh := fhs[0]
			file, _ := fh.Open()
			data, _ := io.ReadAll(file)
			out[k] = map[string]any{"filename": fh.Filename, "type": fh.Header.Get("Content-Type"), "data": string(data)}
		}
		writeTestJSON(w, out)
	})
	mux.HandleFunc("/gunzip", func(w http.ResponseWriter, r *http.Request) {
		zr, err := gzip.NewReader(r.Body)
		if err != nil || r.Header.Get("Content-Encoding") != "gzip" {
			http.Error(w, "not gzip", 400)
			return
		}
		body, _ := io.ReadAll(zr)
		w.Write(body)
	})
	mux.HandleFunc("/basic", func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "ann" || p != "s3cret" {
			w.WriteHeader(401)
			return
		}
		io.WriteString(w, "welcome ann")
	})
	mux.HandleFunc("/digest", digestHandler("ann", "s3cret"))
	mux.HandleFunc("/ua", func(w http.ResponseWriter, r *http.Request) {
		_, has := r.Header["User-Agent"]
		writeTestJSON(w, map[string]any{"ua": r.UserAgent(), "has": has})
	})
	mux.HandleFunc("/proto", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.Proto) })
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) { w.Write(bytes.Repeat([]byte("x"), 10000)) })
	mux.HandleFunc("/barrier", func(w http.ResponseWriter, r *http.Request) {
		n := f.inflight.Add(1)
		defer f.inflight.Add(-1)
		for m := f.maxIn.Load(); n > m && !f.maxIn.CompareAndSwap(m, n); m = f.maxIn.Load() {
		}
		// Wait until enough requests are in flight together to prove they
		// can be, or a while: a limit below the barrier makes every
		// request wait the while.
		for deadline := time.Now().Add(300 * time.Millisecond); f.inflight.Load() < int64(f.barrier) && time.Now().Before(deadline); {
			time.Sleep(2 * time.Millisecond)
		}
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(5 * time.Second):
		case <-r.Context().Done():
		}
	})
	addStatusAndRedirectRoutes(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok "+r.URL.Path) })
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.byProto[r.Proto]++
		f.mu.Unlock()
		mux.ServeHTTP(w, r)
	})
	srv := httptest.NewUnstartedServer(handler)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are what some tests want
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			f.conns.Add(1)
		}
	}
	if tlsServer {
		srv.EnableHTTP2 = true
		srv.StartTLS()
	} else {
		srv.Config.Protocols = new(http.Protocols)
		srv.Config.Protocols.SetHTTP1(true)
		srv.Config.Protocols.SetUnencryptedHTTP2(true)
		srv.Start()
	}
	f.Server = srv
	t.Cleanup(srv.Close)
	return f
}

// served is how many requests the server answered with proto.
func (f *featureServer) served(proto string) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.byProto[proto]
}

func cookieMap(r *http.Request) map[string]string {
	out := map[string]string{}
	for _, c := range r.Cookies() {
		if prev, ok := out[c.Name]; ok {
			out[c.Name] = prev + "|" + c.Value // a cookie sent twice shows as a|b
			continue
		}
		out[c.Name] = c.Value
	}
	return out
}

func writeTestJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// encodeTestBody compresses with the reference encoders, not with the
// code under test; an unknown encoding leaves data as it is.
func encodeTestBody(t testing.TB, enc string, data []byte) []byte {
	t.Helper()
	if body, err := refencode.Encode(enc, data); err == nil {
		return body
	}
	return data
}

// digestHandler checks RFC 2617 digest authentication (MD5, qop=auth).
func digestHandler(user, pass string) http.HandlerFunc {
	const realm, nonce, opaque = "throng-test", "n0nc3", "0paque"
	md5hex := func(s string) string { sum := md5.Sum([]byte(s)); return hex.EncodeToString(sum[:]) }
	return func(w http.ResponseWriter, r *http.Request) {
		auth, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Digest ")
		if !ok {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Digest realm="%s", qop="auth", nonce="%s", opaque="%s"`, realm, nonce, opaque))
			w.WriteHeader(401)
			return
		}
		p := parseChallenge(auth)
		ha1 := md5hex(user + ":" + realm + ":" + pass)
		ha2 := md5hex(r.Method + ":" + p["uri"])
		want := md5hex(strings.Join([]string{ha1, nonce, p["nc"], p["cnonce"], "auth", ha2}, ":"))
		if p["username"] != user || p["response"] != want || p["opaque"] != opaque || p["uri"] != r.URL.RequestURI() {
			w.WriteHeader(403)
			return
		}
		writeTestJSON(w, map[string]any{"authenticated": true, "user": user})
	}
}
