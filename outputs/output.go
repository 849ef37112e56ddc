package outputs

import (
	"fmt"
	"sort"
	"strings"

	"github.com/throng-dev/throng/metrics"
)

// Output is where the run's samples go besides the summary: a file, a
// database. The Manager calls its methods from one goroutine, never
// concurrently: Start once, AddSamples for every batch, Stop once at the
// end of the run, whatever ended it.
type Output interface {
	// Description names the output in the banner; it must not show
	// secrets (no credentials in URLs).
	Description() string
	// Start prepares the output. An error stops throng before the run; an
	// output whose backend is merely down should warn and carry on.
	Start() error
	// AddSamples receives a batch. The batch is shared, read-only, and
	// stays valid after the call (the output may keep it). It may block:
	// only this output's queue waits, never the VUs or the other outputs.
	AddSamples(batch []metrics.Sample)
	// Stop flushes what is buffered and releases the output.
	Stop() error
}

// Reporter is implemented by outputs that count what they could not
// deliver (dropped or failed samples, retries), for the summary.
type Reporter interface {
	Report() string // e.g. "1200 points dropped (queue full), 3 retries"; "" when all went well
}

// Params is what an output's constructor gets.
type Params struct {
	Arg    string                          // what followed "=" in -o NAME=ARG
	Lookup func(key string) (string, bool) // the environment, for THRONG_*/K6_* settings
	Warnf  func(format string, args ...any)
}

// Env reads THRONG_<name>, then K6_<name>.
func (p Params) Env(name string) (string, bool) {
	if p.Lookup == nil {
		return "", false
	}
	if v, ok := p.Lookup("THRONG_" + name); ok {
		return v, true
	}
	return p.Lookup("K6_" + name)
}

// Constructor builds an output from its parameters.
type Constructor func(Params) (Output, error)

// Registry maps output names (the NAME of -o NAME=ARG) to constructors.
type Registry map[string]Constructor

// New builds the output that spec ("NAME" or "NAME=ARG") names.
func (r Registry) New(spec string, p Params) (Output, error) {
	name, arg, _ := strings.Cut(spec, "=")
	c, ok := r[name]
	if !ok {
		return nil, fmt.Errorf("unknown output %q: the outputs are %s", name, strings.Join(r.names(), ", "))
	}
	p.Arg = arg
	out, err := c(p)
	if err != nil {
		return nil, fmt.Errorf("output %s: %w", name, err)
	}
	return out, nil
}

func (r Registry) names() []string {
	names := make([]string, 0, len(r))
	for n := range r {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
