package report

import (
	"bytes"
	"errors"
	"time"

	"github.com/throng-dev/throng/metrics"
	"github.com/throng-dev/throng/outputs"
)

// Config is what the report and the dashboard need before the run.
type Config struct {
	Meta Meta
	// DashboardAddr is where the live dashboard listens ("127.0.0.1:5665");
	// empty for no dashboard.
	DashboardAddr string
	// MaxBuckets bounds the time series (DefaultMaxBuckets when 0).
	MaxBuckets int
	// UpdateInterval is how often the dashboard pushes new data to its
	// pages (one second when 0).
	UpdateInterval time.Duration
}

// Output aggregates the run's samples for the HTML report and serves the
// live dashboard from the same aggregates. It is an outputs.Output; the
// report itself needs the end-of-run summary, which outputs never see, so
// the caller asks for it with Finish once the summary exists.
type Output struct {
	cfg  Config
	agg  *Aggregator
	dash *dashboard // nil without a dashboard
}

var _ outputs.Output = (*Output)(nil)

// New returns an output for cfg; Start starts its dashboard, if any.
func New(cfg Config) *Output {
	if cfg.UpdateInterval <= 0 {
		cfg.UpdateInterval = time.Second
	}
	return &Output{cfg: cfg, agg: NewAggregator(cfg.MaxBuckets)}
}

// Description implements outputs.Output.
func (o *Output) Description() string {
	if o.dash != nil {
		return "html report, dashboard " + o.URL()
	}
	return "html report"
}

// Start implements outputs.Output: it opens the dashboard's port, so that
// a port in use stops throng before the test rather than during it.
func (o *Output) Start() error {
	if o.cfg.DashboardAddr == "" {
		return nil
	}
	d, err := startDashboard(o, o.cfg.DashboardAddr, o.cfg.UpdateInterval)
	if err != nil {
		return err
	}
	o.dash = d
	return nil
}

// URL is the dashboard's address, "" without one.
func (o *Output) URL() string {
	if o.dash == nil {
		return ""
	}
	return "http://" + o.dash.ln.Addr().String() + "/"
}

// AddSamples implements outputs.Output.
func (o *Output) AddSamples(batch []metrics.Sample) { o.agg.Add(batch) }

// Stop implements outputs.Output. Every sample is in; the dashboard stays
// up until Finish brings the verdict, or Close.
func (o *Output) Stop() error { return nil }

// Aggregator is the output's aggregator.
func (o *Output) Aggregator() *Aggregator { return o.agg }

// Data is the data of the whole run so far, with s (nil before the end).
func (o *Output) Data(s *Summary) Data {
	d := o.agg.Snapshot(0)
	d.Meta = o.cfg.Meta
	d.Summary = s
	d.Done = s != nil
	return d
}

// Report renders the report of the run so far with s.
func (o *Output) Report(s *Summary) ([]byte, error) {
	var b bytes.Buffer
	err := Render(&b, o.Data(s))
	return b.Bytes(), err
}

// Finish renders the final report with the summary, hands it to the
// dashboard's pages (which offer it for download) and closes the
// dashboard. It returns the report for the caller to write.
func (o *Output) Finish(s *Summary) ([]byte, error) {
	if s == nil {
		return nil, errors.New("report: Finish needs the summary")
	}
	html, err := o.Report(s)
	if err != nil {
		o.Close()
		return nil, err
	}
	if o.dash != nil {
		d := o.Data(s)
		d.Live = true
		o.dash.finish(d, html)
	}
	return html, nil
}

// Close closes the dashboard without a verdict (the run ended before a
// summary existed); it does nothing after Finish.
func (o *Output) Close() {
	if o.dash != nil {
		o.dash.close()
	}
}
