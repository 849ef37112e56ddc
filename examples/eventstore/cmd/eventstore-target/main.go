// Command eventstore-target serves the subset of EventStoreDB's HTTP API in
// package server, as a target for load tests such as ../../scenario.js.
//
// Usage:
//
//	eventstore-target [-addr 127.0.0.1:2113] [-addr-file PATH] [-data-dir DIR] [-fsync always|interval|never]
//
// On SIGINT or SIGTERM it shuts down gracefully and prints to stdout how
// many requests it served, by status:
//
//	eventstore-target: served 2100 requests (200=1100 201=1000)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/throng-dev/throng/examples/eventstore/server"
)

const name = "eventstore-target"

func main() {
	os.Exit(run())
}

func run() int {
	var (
		addr     = flag.String("addr", "127.0.0.1:2113", "`host:port` to listen on (port 0 picks a free port)")
		addrFile = flag.String("addr-file", "", "write the actual host:port to this `file` once listening")
		dataDir  = flag.String("data-dir", "", "keep streams in this `directory` (default: in memory)")
		policy   = server.FsyncInterval
	)
	flag.Var(&policy, "fsync", "when to fsync stream files with -data-dir: `always|interval|never` (default interval)")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "%s: unexpected arguments %q\n", name, flag.Args())
		flag.Usage()
		return 2
	}

	store, err := server.OpenStore(*dataDir, policy)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		return 1
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		store.Close()
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		return 1
	}
	actual := ln.Addr().String()
	if *addrFile != "" {
		if err := writeFileAtomic(*addrFile, []byte(actual)); err != nil {
			ln.Close()
			store.Close()
			fmt.Fprintf(os.Stderr, "%s: -addr-file: %v\n", name, err)
			return 1
		}
	}
	storage := "memory"
	if *dataDir != "" {
		storage = "disk " + *dataDir
	}
	fmt.Fprintf(os.Stderr, "%s: listening on http://%s (storage: %s, fsync %s)\n", name, actual, storage, policy)

	h := server.NewHandler(store)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	code := 0
	select {
	case <-ctx.Done():
		stop() // a second signal kills the process the default way
		shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := srv.Shutdown(shutCtx); err != nil {
			fmt.Fprintf(os.Stderr, "%s: shutdown: %v\n", name, err)
			srv.Close()
		}
		cancel()
	case err := <-serveErr:
		if !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
			code = 1
		}
	}
	if err := store.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: closing store: %v\n", name, err)
		code = 1
	}
	fmt.Printf("%s: %s\n", name, server.FormatStats(h.Stats()))
	return code
}

// writeFileAtomic writes data to a temporary file next to path and renames
// it into place, so that readers see either nothing or all of it.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}
