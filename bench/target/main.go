// Command bench-target is the reference HTTP server that bench/run.sh loads
// with wrk and with throng. It listens on loopback only and answers every
// GET / with a fixed 13-byte "Hello, world!" so that the server costs as
// little as possible and the benchmark measures the load generators.
//
// Usage:
//
//	bench-target [-addr 127.0.0.1:0] [-addr-file PATH]
//
// It also stands in for an InfluxDB that discards what it is sent, so that
// bench/run.sh can measure what the influxdb output costs the load
// generator without an InfluxDB competing for the CPUs: GET /ping answers
// 204 (X-Influxdb-Version: 1.8.10), /query answers an empty result, and
// any POST is read to its end and answered 204 (the write endpoints of
// InfluxDB 1.x and 2.x, /write and /api/v2/write).
//
// With -addr-file the address actually bound (host:port) is written to PATH
// once the listener is open; the file is written to a temporary name and
// renamed, so a reader never sees a partial address. On SIGINT or SIGTERM
// the server prints "served N requests" to stdout and exits 0.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
)

var body = []byte("Hello, world!")

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	addrFile := flag.String("addr-file", "", "write the bound host:port to this file once listening")
	flag.Parse()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-target:", err)
		os.Exit(1)
	}
	if *addrFile != "" {
		if err := writeAtomic(*addrFile, ln.Addr().String()); err != nil {
			fmt.Fprintln(os.Stderr, "bench-target:", err)
			os.Exit(1)
		}
	}

	var served atomic.Int64
	contentLength := strconv.Itoa(len(body))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		h["Content-Type"] = []string{"text/plain"}
		h["Content-Length"] = []string{contentLength}
		w.WriteHeader(http.StatusOK)
		w.Write(body)
		served.Add(1)
	})
	mux.HandleFunc("GET /ping", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Influxdb-Version", "1.8.10")
		w.WriteHeader(http.StatusNoContent)
	})
	query := func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"results":[{"statement_id":0}]}`)
	}
	mux.HandleFunc("GET /query", query)
	mux.HandleFunc("POST /query", query)
	mux.HandleFunc("POST /", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	})
	srv := &http.Server{Handler: mux}

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	select {
	case <-sigs:
		srv.Close()
		fmt.Printf("served %d requests\n", served.Load())
	case err := <-errc:
		fmt.Fprintln(os.Stderr, "bench-target:", err)
		os.Exit(1)
	}
}

// writeAtomic writes s to path through a temporary file in the same
// directory and a rename.
func writeAtomic(path, s string) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".addr-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err := f.WriteString(s); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
