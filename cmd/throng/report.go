package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/throng-dev/throng/metrics"
	"github.com/throng-dev/throng/outputs"
	"github.com/throng-dev/throng/outputs/report"
	"github.com/throng-dev/throng/outputs/summary"
)

// defaultDashboardAddr is where --dashboard listens: loopback, so that a
// test's numbers are not published to the network by accident. The port
// is k6's web dashboard's.
const defaultDashboardAddr = "127.0.0.1:5665"

// reportFlags are run's flags for the HTML report and the live dashboard.
type reportFlags struct {
	file          string // --report
	dashboard     bool   // --dashboard
	dashboardAddr string // --dashboard-addr; implies --dashboard
	// running is set for `throng run` only: `throng inspect` prepares a
	// run too, but must neither serve a dashboard nor write a report.
	running bool
}

func addReportFlags(cmd *cobra.Command, f *reportFlags) {
	f.running = true
	fl := cmd.Flags()
	fl.StringVar(&f.file, "report", "", "write a self-contained HTML report (charts, tables, verdict) to this file")
	fl.BoolVar(&f.dashboard, "dashboard", false, "serve a live web dashboard while the test runs, on "+defaultDashboardAddr)
	fl.StringVar(&f.dashboardAddr, "dashboard-addr", "", "the dashboard's HOST:PORT (implies --dashboard; default "+defaultDashboardAddr+")")
}

// runReport is a run's HTML report and dashboard: one report.Output, fed
// by its own outputs.Manager because the report needs what no output gets,
// the end-of-run summary, so the run must keep hold of it.
type runReport struct {
	out     *report.Output
	m       *outputs.Manager
	files   []string
	stopped bool
	closed  bool
}

// startReport starts the report's aggregation, and the dashboard, when
// --report, --dashboard(-addr), -o html=FILE or k6's K6_WEB_DASHBOARD*
// variables ask for them. Called at the end of prepare, before the
// engine starts; a dashboard port in use is a configuration error.
func (t *testRun) startReport() error {
	if !t.f.html.running {
		return nil
	}
	files := t.reportFiles()
	addr, err := t.dashboardAddr()
	if err != nil || (len(files) == 0 && addr == "") {
		return err
	}
	out := report.New(report.Config{Meta: t.reportMeta(), DashboardAddr: addr})
	m := outputs.NewManager([]outputs.Output{out}, t.logger.Warnf)
	if err := m.Start(); err != nil {
		return invalidConfig("%v", err)
	}
	t.engine.AddConsumer(m.Consume)
	t.html = &runReport{out: out, m: m, files: files}
	if addr != "" {
		fmt.Fprintf(t.e.stderr, "dashboard: %s\n", out.URL())
	}
	return nil
}

// reportFiles are the files to write the report to: --report's, those of
// -o html=FILE (or THRONG_OUT/K6_OUT when there is no -o, as for every
// output) and k6's K6_WEB_DASHBOARD_EXPORT.
func (t *testRun) reportFiles() []string {
	var files []string
	if t.f.html.file != "" {
		files = append(files, t.f.html.file)
	}
	for _, spec := range t.outputSpecs() {
		if name, file, _ := strings.Cut(strings.TrimSpace(spec), "="); name == htmlOutputName && file != "" {
			files = append(files, file)
		}
	}
	if v, _ := lookupEither(t.e, "WEB_DASHBOARD_EXPORT"); v != "" {
		files = append(files, v)
	}
	return files
}

// dashboardAddr is where the dashboard listens, "" for none. k6's
// K6_WEB_DASHBOARD=true, _HOST and _PORT work too (with a loopback host
// by default, where k6 listens on every interface).
func (t *testRun) dashboardAddr() (string, error) {
	addr, flag := t.f.html.dashboardAddr, "--dashboard-addr"
	if addr == "" {
		on, _ := lookupEither(t.e, "WEB_DASHBOARD")
		if enabled, _ := strconv.ParseBool(on); !enabled && !t.f.html.dashboard {
			return "", nil
		}
		host, port, _ := net.SplitHostPort(defaultDashboardAddr)
		if v, _ := lookupEither(t.e, "WEB_DASHBOARD_HOST"); v != "" {
			host = v
		}
		if v, _ := lookupEither(t.e, "WEB_DASHBOARD_PORT"); v != "" {
			port = v
		}
		addr, flag = net.JoinHostPort(host, port), "the dashboard's address"
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", invalidConfig("%s %q: %v (want HOST:PORT, e.g. %s)", flag, addr, err, defaultDashboardAddr)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		t.logger.Warnf("the dashboard listens on %s: anyone who can reach this machine there can watch the test", addr)
	}
	return addr, nil
}

// reportMeta describes the run for the report's header and its options
// and plan section, as `throng inspect` does.
func (t *testRun) reportMeta() report.Meta {
	title := t.path
	if t.f.adhoc.url != "" {
		title = fmt.Sprintf("(ad-hoc) %s %s", strings.ToUpper(t.f.adhoc.method), t.f.adhoc.url)
	}
	meta := report.Meta{Title: title, Generator: strings.TrimSpace("throng " + version), Options: t.optsJSON}
	if in, ok := inspection(t).(map[string]any); ok {
		meta.Plan = readableJSON(in["plan"])
	}
	return meta
}

// finishReport hands the summary to the report, which pushes the verdict
// to the dashboard's pages and closes it, and writes the report files.
// Called from finish once the summary data exists; what the report's own
// queue lost joins data's output losses.
func (t *testRun) finishReport(data *summary.Data) error {
	r := t.html
	if r == nil || r.closed {
		return nil
	}
	t.stopReport()
	for name, loss := range r.m.Reports() {
		if data.Throng.Outputs == nil {
			data.Throng.Outputs = map[string]string{}
		}
		data.Throng.Outputs[name] = loss
	}
	o := t.summaryOptions()
	o.NoColor = true
	var text bytes.Buffer
	if err := summary.Render(&text, data, o); err != nil {
		return err
	}
	r.closed = true
	html, err := r.out.Finish(&report.Summary{Data: data, Text: text.String()})
	if err != nil {
		return err
	}
	var errs []error
	for _, file := range r.files {
		errs = append(errs, writeFileWith(file, func(b *bytes.Buffer) error { _, err := b.Write(html); return err }))
	}
	return errors.Join(errs...)
}

// closeReport closes the dashboard when the run ended without a summary
// (an init error); after finishReport it does nothing.
func (t *testRun) closeReport() {
	if r := t.html; r != nil && !r.closed {
		t.stopReport()
		r.closed = true
		r.out.Close()
	}
}

// stopReport drains the report's queue; the engine has stopped.
func (t *testRun) stopReport() {
	if r := t.html; !r.stopped {
		r.stopped = true
		if err := r.m.Stop(); err != nil {
			t.logger.Warnf("html report: %v", err)
		}
	}
}

// htmlOutputName is -o html=FILE's name, the same report as --report FILE.
const htmlOutputName = "html"

// newHTMLOutput is html's entry in the output registry. The report is
// written by the run's runReport (startReport reads the -o list for html
// files), because it needs the summary that outputs never receive; this
// entry makes html a known output name, checks that a file is given, and
// shows the file in the banner. It receives no samples of its own.
func newHTMLOutput(p outputs.Params) (outputs.Output, error) {
	if p.Arg == "" {
		return nil, errors.New("the html output needs a file: -o html=FILE.html")
	}
	return htmlFile(p.Arg), nil
}

// htmlFile stands for an html report file in the outputs' list.
type htmlFile string

func (h htmlFile) Description() string             { return "html (" + string(h) + ")" }
func (htmlFile) Start() error                      { return nil }
func (htmlFile) AddSamples(batch []metrics.Sample) {}
func (htmlFile) Stop() error                       { return nil }
