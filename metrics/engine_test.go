package metrics

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestEngineFoldsBatchesFromManyBuffers(t *testing.T) {
	r := NewRegistry()
	b := RegisterBuiltins(r)
	e := NewEngine(b)
	var seen int
	e.AddConsumer(func(batch []Sample) { seen += len(batch) })
	e.Start()
	const producers, perProducer = 8, 1000
	var wg sync.WaitGroup
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := e.NewBuffer()
			tags := NewTagSet(map[string]string{"status": "200"})
			for i := range perProducer {
				now := time.Now().UnixNano()
				buf.Add(Sample{Metric: b.HTTPReqs, Tags: tags, Time: now, Value: 1})
				buf.Add(Sample{Metric: b.HTTPReqDuration, Tags: tags, Time: now, Value: float64(i)})
				buf.Add(Sample{Metric: b.Checks, Tags: NewTagSet(map[string]string{"check": "ok", "group": ""}), Time: now, Value: float64(p % 2)})
			}
			buf.Flush()
		}()
	}
	wg.Wait()
	e.Stop()
	s := e.Snapshot(2 * time.Second)
	reqs, _ := s.Metric("http_reqs")
	if got := reqs.Sink.(*CounterSink); got.Sum != producers*perProducer || got.Rate(s.Duration) != producers*perProducer/2 {
		t.Errorf("http_reqs sum %v rate %v", got.Sum, got.Rate(s.Duration))
	}
	d, _ := s.Metric("http_req_duration")
	if got := d.Sink.(*TrendSink); got.Count() != producers*perProducer || got.Max() != perProducer-1 {
		t.Errorf("duration count %d max %v", got.Count(), got.Max())
	}
	if seen != 3*producers*perProducer {
		t.Errorf("consumer saw %d samples", seen)
	}
	if c := s.Root.Checks[0]; c.Passes != producers/2*perProducer || c.Fails != producers/2*perProducer {
		t.Errorf("check counts %+v", c)
	}
	if len(s.StatusCodes) != 1 || s.StatusCodes[0].N != producers*perProducer {
		t.Errorf("status codes %+v", s.StatusCodes)
	}
}

func TestSinksByHand(t *testing.T) {
	g := NewSink(Gauge).(*GaugeSink)
	for i, v := range []float64{5, 2, 9, 4} {
		g.Add(Sample{Time: int64(i + 1), Value: v})
	}
	if g.Value != 4 || g.Min != 2 || g.Max != 9 {
		t.Errorf("gauge %+v, want last 4 min 2 max 9", g)
	}
	rs := NewSink(Rate).(*RateSink)
	for _, v := range []float64{1, 0, 0, 1, 1} {
		rs.Add(Sample{Value: v})
	}
	if rs.Rate() != 0.6 {
		t.Errorf("rate %v, want 0.6", rs.Rate())
	}
	c := NewSink(Counter).(*CounterSink)
	c.Add(Sample{Time: 20, Value: 3})
	c.Add(Sample{Time: 10, Value: 4})
	other := &CounterSink{Sum: 3, First: 5}
	c.Merge(other)
	if c.Sum != 10 || c.First != 5 {
		t.Errorf("counter %+v, want sum 10 first 5", c)
	}
}

func TestErrorReasonsAreBounded(t *testing.T) {
	b := RegisterBuiltins(NewRegistry())
	e := NewEngine(b)
	for i := range 250 {
		e.CountError(fmt.Sprintf("dial tcp 127.0.0.1:%d: connection refused", 40000+i))
	}
	s := e.Snapshot(time.Second)
	var total int64
	for _, c := range s.Errors {
		total += c.N
	}
	if len(s.Errors) != maxErrorReasons+1 || total != 250 || s.Errors[0].Key != otherErrors || s.Errors[0].N != 150 {
		t.Errorf("%d reasons, %d counted, first %+v", len(s.Errors), total, s.Errors[0])
	}
}
