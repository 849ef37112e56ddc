package report

import (
	"encoding/json"
	"math"
	"sort"
	"strconv"

	"github.com/throng-dev/throng/metrics"
	"github.com/throng-dev/throng/outputs/summary"
)

// DataVersion is the version of the data the page is drawn from; a page
// script reads only its own version.
const DataVersion = 1

// Data is everything the page draws: the report embeds it whole, the
// dashboard sends it in updates. Times are milliseconds, sizes bytes,
// counts per bucket (the page divides by the bucket's width for rates).
type Data struct {
	Version   int        `json:"version"`
	Meta      Meta       `json:"meta"`
	Live      bool       `json:"live"` // drawn by the dashboard while the test runs
	Done      bool       `json:"done"` // the run is over and Summary is final
	Series    Series     `json:"series"`
	Totals    Totals     `json:"totals"`
	Endpoints []Endpoint `json:"endpoints"`
	Summary   *Summary   `json:"summary,omitempty"`
}

// Meta describes the run; the caller fills it in before the run.
type Meta struct {
	Title     string          `json:"title"`     // the script, as given
	Generator string          `json:"generator"` // "throng <version>"
	Options   json.RawMessage `json:"options,omitempty"`
	Plan      json.RawMessage `json:"plan,omitempty"` // the execution plan, as `throng inspect` prints it
}

// Summary is the end-of-run summary: the data handleSummary sees (for the
// verdict, thresholds, checks and every metric) and the text the terminal
// shows.
type Summary struct {
	Data *summary.Data `json:"data"`
	Text string        `json:"text"`
}

// Series are the buckets from index From on, column by column. Bucket i
// starts at Origin + i*Width (Unix seconds).
type Series struct {
	Gen      uint64            `json:"gen"` // changes when the buckets are merged
	Origin   int64             `json:"origin"`
	Width    int64             `json:"width"`
	From     int               `json:"from"`
	Reqs     Column            `json:"reqs"`
	Failed   Column            `json:"failed"`
	P50      Column            `json:"p50"` // http_req_duration, ms; null without requests
	P90      Column            `json:"p90"`
	P95      Column            `json:"p95"`
	P99      Column            `json:"p99"`
	VUs      Column            `json:"vus"` // the peak in the bucket; null without a sample
	VUsMax   Column            `json:"vusMax"`
	Iters    Column            `json:"iters"`
	Dropped  Column            `json:"dropped"`
	ChecksOK Column            `json:"checksOK"`
	ChecksKO Column            `json:"checksKO"`
	Sent     Column            `json:"sent"`
	Received Column            `json:"received"`
	Status   map[string]Column `json:"status"` // responses by HTTP status
	// RSS and Heap are throng's own memory in bytes, the peak of its
	// readings in the bucket (one a second): its resident set (Linux
	// only, null elsewhere) and the Go heap in use. Null without a
	// reading.
	RSS  Column `json:"rss"`
	Heap Column `json:"heap"`
}

// Totals are the run's numbers over all buckets.
type Totals struct {
	Start    int64              `json:"start"` // Unix ms of the first sample; 0 before any
	End      int64              `json:"end"`   // Unix ms of the latest sample
	Reqs     float64            `json:"reqs"`
	Failed   float64            `json:"failed"`
	Duration Stats              `json:"duration"`
	VUs      float64            `json:"vus"` // peaks
	VUsMax   float64            `json:"vusMax"`
	Iters    float64            `json:"iters"`
	Dropped  float64            `json:"dropped"`
	ChecksOK float64            `json:"checksOK"`
	ChecksKO float64            `json:"checksKO"`
	Sent     float64            `json:"sent"`
	Received float64            `json:"received"`
	Status   map[string]float64 `json:"status"`
	RSS      float64            `json:"rss"` // throng's memory, peaks in bytes; 0 without a reading
	Heap     float64            `json:"heap"`
}

// Endpoint is a row of the requests table: the requests of one name and
// method.
type Endpoint struct {
	Method   string  `json:"method"`
	Name     string  `json:"name"`
	Failed   float64 `json:"failed"`
	Duration Stats   `json:"duration"`
}

// Stats are a latency distribution's figures in ms, from a
// metrics.Histogram: the same figures the summary computes.
type Stats struct {
	Count uint64  `json:"count"`
	Avg   float64 `json:"avg"`
	Min   float64 `json:"min"`
	Med   float64 `json:"med"`
	P90   float64 `json:"p90"`
	P95   float64 `json:"p95"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
}

func statsOf(h *metrics.Histogram) Stats {
	if h == nil || h.Count() == 0 {
		return Stats{}
	}
	return Stats{Count: h.Count(), Avg: h.Mean(), Min: h.Min(), Med: h.Quantile(0.5),
		P90: h.Quantile(0.9), P95: h.Quantile(0.95), P99: h.Quantile(0.99), Max: h.Max()}
}

// Column is a series of numbers; NaN stands for "no value" and is written
// as null, which the charts draw as a gap.
type Column []float64

// MarshalJSON writes the shortest form of each number: columns are most
// of a report's size.
func (c Column) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 2+len(c)*4)
	b = append(b, '[')
	for i, v := range c {
		if i > 0 {
			b = append(b, ',')
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			b = append(b, "null"...)
			continue
		}
		b = strconv.AppendFloat(b, v, 'g', -1, 64)
	}
	return append(b, ']'), nil
}

// UnmarshalJSON reads null back as NaN.
func (c *Column) UnmarshalJSON(b []byte) error {
	var raw []*float64
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*c = make(Column, len(raw))
	for i, p := range raw {
		(*c)[i] = math.NaN()
		if p != nil {
			(*c)[i] = *p
		}
	}
	return nil
}

// chartDigits is the precision of the latency and memory points drawn: a
// chart cannot show more, and the full digits would double a report's
// size. The tables keep full precision.
const chartDigits = 4

func round(v float64) float64 {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	scale := math.Pow(10, chartDigits-math.Ceil(math.Log10(math.Abs(v))))
	return math.Round(v*scale) / scale
}

// Snapshot returns the data of the buckets from index from on (all when
// from is 0), the totals and the requests table. Meta, Live and Summary
// are the caller's.
func (a *Aggregator) Snapshot(from int) Data {
	a.mu.Lock()
	defer a.mu.Unlock()
	return Data{Version: DataVersion, Series: a.series(from), Totals: a.totals(), Endpoints: a.endpointRows()}
}

// Changes returns the buckets a page that has seen (gen, version) lacks:
// every bucket from the first one changed since, or all of them when the
// buckets were merged since. It returns the state the page will then have.
func (a *Aggregator) Changes(gen, version uint64) (d Data, newGen, newVersion uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	from := 0
	if gen == a.gen {
		from = len(a.buckets)
		for i := len(a.buckets) - 1; i >= 0; i-- {
			if a.buckets[i].version > version {
				from = i
			}
		}
	}
	d = Data{Version: DataVersion, Series: a.series(from), Totals: a.totals(), Endpoints: a.endpointRows()}
	return d, a.gen, a.version
}

func (a *Aggregator) series(from int) Series {
	from = min(max(from, 0), len(a.buckets))
	bs := a.buckets[from:]
	s := Series{Gen: a.gen, Origin: a.origin, Width: a.width, From: from, Status: map[string]Column{}}
	for code := range a.total.status {
		s.Status[code] = make(Column, len(bs))
	}
	for i := range bs {
		b := &bs[i]
		s.Reqs = append(s.Reqs, b.reqs)
		s.Failed = append(s.Failed, b.failed)
		s.P50 = append(s.P50, round(b.latency.quantile(0.50)))
		s.P90 = append(s.P90, round(b.latency.quantile(0.90)))
		s.P95 = append(s.P95, round(b.latency.quantile(0.95)))
		s.P99 = append(s.P99, round(b.latency.quantile(0.99)))
		s.VUs = append(s.VUs, gauge(b.vus, b.hasVUs))
		s.VUsMax = append(s.VUsMax, gauge(b.vusMax, b.hasVUsMax))
		s.Iters = append(s.Iters, b.iters)
		s.Dropped = append(s.Dropped, b.dropped)
		s.ChecksOK = append(s.ChecksOK, b.checksOK)
		s.ChecksKO = append(s.ChecksKO, b.checksKO)
		s.Sent = append(s.Sent, b.sent)
		s.Received = append(s.Received, b.received)
		s.RSS = append(s.RSS, round(gauge(b.rss, b.hasRSS)))
		s.Heap = append(s.Heap, round(gauge(b.heap, b.hasHeap)))
		for code, n := range b.status {
			s.Status[code][i] = n
		}
	}
	return s
}

func gauge(v float64, set bool) float64 {
	if !set {
		return math.NaN()
	}
	return v
}

func (a *Aggregator) totals() Totals {
	t := &a.total
	out := Totals{Reqs: t.reqs, Failed: t.failed, Duration: statsOf(t.duration), VUs: t.vus, VUsMax: t.vusMax,
		Iters: t.iters, Dropped: t.dropped, ChecksOK: t.checksOK, ChecksKO: t.checksKO,
		Sent: t.sent, Received: t.received, Status: map[string]float64{}, RSS: t.rss, Heap: t.heap}
	if a.first != 0 {
		out.Start, out.End = a.first/1e6, a.last/1e6
	}
	for k, v := range t.status {
		out.Status[k] = v
	}
	return out
}

// endpointRows lists the requests table, busiest first.
func (a *Aggregator) endpointRows() []Endpoint {
	rows := make([]Endpoint, 0, len(a.endpoints))
	for k, e := range a.endpoints {
		rows = append(rows, Endpoint{Method: k.method, Name: k.name, Failed: e.failed, Duration: statsOf(&e.duration)})
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Duration.Count != rows[j].Duration.Count {
			return rows[i].Duration.Count > rows[j].Duration.Count
		}
		if rows[i].Name != rows[j].Name {
			return rows[i].Name < rows[j].Name
		}
		return rows[i].Method < rows[j].Method
	})
	return rows
}
