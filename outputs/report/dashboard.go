package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"sync"
	"time"
)

// shutdownGrace bounds how long closing the dashboard waits for its pages
// to receive the final event before it drops them.
const shutdownGrace = 5 * time.Second

// dashboard serves the live page: GET / is the page, GET /events the
// server-sent events that keep it current (an "update" event per interval
// with the buckets that changed, a "done" event with the final data and
// the report), GET /report the report of the run so far, or the final one.
type dashboard struct {
	out      *Output
	ln       net.Listener
	srv      *http.Server
	interval time.Duration
	served   chan struct{} // closed when Serve returns

	once     sync.Once
	finished chan struct{} // closed by finish or close
	final    []byte        // the done event's payload; nil when closed without one
	report   []byte        // the final report
}

func startDashboard(o *Output, addr string, interval time.Duration) (*dashboard, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	d := &dashboard{out: o, ln: ln, interval: interval, served: make(chan struct{}), finished: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", d.page)
	mux.HandleFunc("GET /events", d.events)
	mux.HandleFunc("GET /report", d.reportFile)
	d.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(d.served)
		d.srv.Serve(ln)
	}()
	return d, nil
}

func (d *dashboard) done() bool {
	select {
	case <-d.finished:
		return true
	default:
		return false
	}
}

func (d *dashboard) page(w http.ResponseWriter, r *http.Request) {
	data := d.out.Data(nil)
	data.Live = true
	var b bytes.Buffer
	if err := Render(&b, data); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b.Bytes())
}

func (d *dashboard) reportFile(w http.ResponseWriter, r *http.Request) {
	var html []byte
	if d.done() {
		html = d.report // written before finished was closed
	}
	if html == nil {
		var err error
		if html, err = d.out.Report(nil); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="throng-report.html"`)
	w.Write(html)
}

// events streams updates to one page until the run is finished or the
// page goes away. Each page gets the buckets it lacks: all of them first,
// then those changed since its last update.
func (d *dashboard) events(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	gen, version := uint64(math.MaxUint64), uint64(0)
	tick := time.NewTicker(d.interval)
	defer tick.Stop()
	for first := true; ; first = false {
		if d.done() {
			if d.final != nil {
				writeEvent(w, "done", d.final)
				fl.Flush()
			}
			return
		}
		data, g, v := d.out.agg.Changes(gen, version)
		if first || g != gen || v != version {
			gen, version = g, v
			data.Live = true
			raw, err := json.Marshal(data)
			if err != nil || writeEvent(w, "update", raw) != nil {
				return
			}
			fl.Flush()
		}
		select {
		case <-r.Context().Done():
			return
		case <-d.finished:
		case <-tick.C:
		}
	}
}

func writeEvent(w io.Writer, name string, data []byte) error {
	_, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, data)
	return err
}

// finish hands the final data and report to the pages, then closes.
func (d *dashboard) finish(data Data, report []byte) {
	d.once.Do(func() {
		raw, err := json.Marshal(struct {
			Data   Data   `json:"data"`
			Report string `json:"report"`
		}{data, string(report)})
		if err == nil {
			d.final, d.report = raw, report
		}
		close(d.finished)
	})
	d.shutdown()
}

// close closes without a final event.
func (d *dashboard) close() {
	d.once.Do(func() { close(d.finished) })
	d.shutdown()
}

// shutdown waits for the event streams to deliver their last event and
// end, within shutdownGrace, then drops what is left.
func (d *dashboard) shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if d.srv.Shutdown(ctx) != nil {
		d.srv.Close()
	}
	<-d.served
}
