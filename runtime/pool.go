package runtime

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
)

// ErrNoVU means the pool has no idle VU and may not create another.
var ErrNoVU = errors.New("no VU available")

// Pool holds the VUs of a run, shared by the scenarios. VUs are created up
// front (the plan's pre-allocated VUs) and, for arrival-rate executors,
// during the run up to a limit. It is safe for concurrent use.
type Pool struct {
	factory VUFactory
	limit   int64

	mu      sync.Mutex
	idle    []VU
	created atomic.Int64
	active  atomic.Int64
}

// NewPool returns a pool holding vus, which may grow to limit VUs.
func NewPool(factory VUFactory, vus []VU, limit int64) *Pool {
	p := &Pool{factory: factory, limit: max(limit, int64(len(vus))), idle: vus}
	p.created.Store(int64(len(vus)))
	return p
}

// TryGet takes an idle VU without creating one.
func (p *Pool) TryGet() (VU, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.idle); n > 0 {
		vu := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.active.Add(1)
		return vu, true
	}
	return nil, false
}

// Get takes an idle VU, or creates one if the pool is below its limit
// (that costs an init run of the script: arrival-rate executors pay it
// mid-test, as in k6). It returns ErrNoVU when neither is possible.
func (p *Pool) Get(ctx context.Context) (VU, error) {
	if vu, ok := p.TryGet(); ok {
		return vu, nil
	}
	id := p.created.Add(1)
	if id > p.limit {
		p.created.Add(-1)
		return nil, ErrNoVU
	}
	vu, err := p.factory.NewVU(ctx, uint64(id))
	if err != nil {
		p.created.Add(-1)
		return nil, err
	}
	p.active.Add(1)
	return vu, nil
}

// Put gives a VU back.
func (p *Pool) Put(vu VU) {
	p.active.Add(-1)
	p.mu.Lock()
	p.idle = append(p.idle, vu)
	p.mu.Unlock()
}

// Initialized is how many VUs exist (vus_max).
func (p *Pool) Initialized() int64 { return p.created.Load() }

// Active is how many VUs are taken (vus).
func (p *Pool) Active() int64 { return p.active.Load() }
