package js

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/dop251/goja"

	"github.com/throng-dev/throng/metrics"
)

// Config is what a Bundle needs from the run.
type Config struct {
	Env      map[string]string // __ENV
	Builtins *metrics.Builtins // and through it the registry custom metrics join
	Engine   *metrics.Engine   // where VUs send samples; nil while only reading options
	Tags     *metrics.TagSet   // run-wide tags on every sample
	Log      *Logger

	// OnAbort is called by exec.test.abort(): it must stop the run.
	OnAbort func(reason string)
	// OnFail is called by exec.test.fail(): the run goes on, marked failed.
	OnFail func(reason string)
	// TextSummary renders handleSummary's data (as JSON) as the text
	// summary, for textSummary() in scripts.
	TextSummary func(data []byte, indent string, colors bool) (string, error)
	// Instance serves exec.instance.
	Instance func() Instance
	// IDInTest maps a VU's id in this instance to its id among all the
	// instances of a segmented test (exec.vu.idInTest); nil: the same.
	IDInTest func(id uint64) uint64
}

// Bundle is a compiled script, shared by all VUs of a run.
type Bundle struct {
	cfg       Config
	program   *goja.Program
	hash      string // see Hash
	path      string // as the user gave it
	dir       string // for open()
	mu        sync.Mutex
	files     map[string][]byte // open() cache: each file is read once per run
	setupRaw  []byte
	options   []byte                           // the consolidated options, for exec.test.options
	functions map[string]bool                  // the exported functions, read by Options
	shared    sharedArrays                     // k6/data SharedArrays, made once per run for all VUs (data.go)
	tags      sync.Map                         // tagsKey → *sharedTags, see scenarioTags
	httpCfg   atomic.Pointer[parsedHTTPConfig] // see newVUHTTPClient
}

// Load compiles the script at path.
func Load(path string, cfg Config) (*Bundle, error) {
	prg, hash, err := compile(path)
	if err != nil {
		return nil, err
	}
	if cfg.Log == nil {
		cfg.Log = NewLogger(os.Stderr)
	}
	abs, _ := filepath.Abs(path)
	return &Bundle{cfg: cfg, program: prg, hash: hash, path: path, dir: filepath.Dir(abs), files: map[string][]byte{}}, nil
}

// Hash identifies the script's code: the hex SHA-256 of the bundle.
func (b *Bundle) Hash() string { return b.hash }

// Options runs the init context once and returns the script's exported
// options as JSON ("null" when there are none).
func (b *Bundle) Options() ([]byte, error) {
	vu, err := b.newVU(context.Background(), 0)
	if err != nil {
		return nil, err
	}
	b.functions = map[string]bool{}
	for _, k := range vu.exports.Keys() {
		_, b.functions[k] = goja.AssertFunction(vu.exports.Get(k))
	}
	opts := vu.exports.Get("options")
	if opts == nil || goja.IsUndefined(opts) || goja.IsNull(opts) {
		return []byte("null"), nil
	}
	raw, err := json.Marshal(opts.Export())
	if err != nil {
		return nil, &ScriptError{File: b.path, Message: "options cannot be read as JSON: " + err.Error()}
	}
	return raw, nil
}

// NewVU builds a VU: a fresh runtime that runs the init context.
func (b *Bundle) NewVU(ctx context.Context, id uint64) (*VU, error) {
	return b.newVU(ctx, id)
}

// readFile serves open(): relative paths are taken from the script's folder.
func (b *Bundle) readFile(name string) ([]byte, error) {
	if !filepath.IsAbs(name) {
		name = filepath.Join(b.dir, name)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if data, ok := b.files[name]; ok {
		return data, nil
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("open(%q): %w", displayPath(name), unwrapPathError(err))
	}
	b.files[name] = data
	return data, nil
}

// exceptionError turns a goja error into a located ScriptError.
func exceptionError(err error) error {
	var ie *goja.InterruptedError
	if errors.As(err, &ie) {
		if ae, ok := ie.Value().(*AbortError); ok {
			return ae
		}
		return err
	}
	ex, ok := err.(*goja.Exception)
	if !ok {
		return err
	}
	se := &ScriptError{Message: exceptionMessage(ex)}
	for _, f := range ex.Stack() {
		pos := f.Position()
		if pos.Filename != "" && pos.Line > 0 {
			se.File, se.Line, se.Column = displayPath(strings.TrimPrefix(pos.Filename, "file://")), pos.Line, pos.Column
			break
		}
	}
	return se
}

// exceptionMessage is the thrown value as JS would print it ("Error: boom").
func exceptionMessage(ex *goja.Exception) string {
	v := ex.Value()
	if v == nil {
		return ex.Error()
	}
	if obj, ok := v.(*goja.Object); ok {
		if s := obj.Get("stack"); s != nil && !goja.IsUndefined(s) {
			if first, _, _ := strings.Cut(s.String(), "\n"); first != "" {
				return strings.TrimSpace(first)
			}
		}
	}
	return v.String()
}

// SetInstance sets what serves exec.instance.
func (b *Bundle) SetInstance(f func() Instance) { b.cfg.Instance = f }

// Exports reports whether the script exports a function called name, as
// seen when Options ran the init context.
func (b *Bundle) Exports(name string) bool { return b.functions[name] }

// SetOptions sets the consolidated options (JSON) that exec.test.options
// shows.
func (b *Bundle) SetOptions(raw []byte) { b.options = raw }

// SetTags sets the run-wide tags of VUs created from now on.
func (b *Bundle) SetTags(tags *metrics.TagSet) { b.cfg.Tags = tags }

// ErrAborted marks a run stopped by exec.test.abort() (exit code 108).
var ErrAborted = errors.New("aborted by the script")

// AbortError is exec.test.abort()'s reason.
type AbortError struct{ Reason string }

func (e *AbortError) Error() string { return e.Reason }

// Is makes errors.Is(err, ErrAborted) true.
func (e *AbortError) Is(target error) bool { return target == ErrAborted }

// HandleSummary calls the script's exported handleSummary(data), data being
// the summary as JSON, in a fresh VU. It returns what the function asked
// to write, by destination ("stdout", "stderr" or a file path); defined is
// false when the script exports no handleSummary.
func (b *Bundle) HandleSummary(ctx context.Context, data []byte) (out map[string][]byte, defined bool, err error) {
	vu, err := b.newVU(ctx, 0)
	if err != nil {
		return nil, false, err
	}
	fn, ok := goja.AssertFunction(vu.exports.Get("handleSummary"))
	if !ok {
		return nil, false, nil
	}
	vu.ctx = ctx
	parsed, err := vu.parseJSON(data)
	if err != nil {
		return nil, true, err
	}
	res, err := fn(goja.Undefined(), parsed)
	if err != nil {
		return nil, true, fmt.Errorf("handleSummary: %w", exceptionError(err))
	}
	obj, ok := res.(*goja.Object)
	if !ok {
		return nil, true, fmt.Errorf("handleSummary must return an object of destination → content, got %s", res)
	}
	out = map[string][]byte{}
	for _, k := range obj.Keys() {
		switch v := obj.Get(k).Export().(type) {
		case goja.ArrayBuffer:
			out[k] = v.Bytes()
		default:
			out[k] = []byte(obj.Get(k).String())
		}
	}
	return out, true, nil
}

// sharedTags are the tag sets of a scenario's samples (or, for no
// scenario, of the init context's): the same for all VUs, so made once
// per run rather than once per VU, and then shared by the samples of all
// VUs. Tag sets are immutable.
type sharedTags struct {
	tags *metrics.TagSet // run tags + scenario tags + scenario name
	root *metrics.TagSet // tags + the root group (group="")
}

type tagsKey struct {
	run *metrics.TagSet // as SetTags left it
	sc  *Scenario       // nil: outside any scenario
}

// scenarioTags returns sc's shared tag sets; sc may be nil.
func (b *Bundle) scenarioTags(sc *Scenario) *sharedTags {
	k := tagsKey{b.cfg.Tags, sc}
	if v, ok := b.tags.Load(k); ok {
		return v.(*sharedTags)
	}
	t := b.cfg.Tags
	if sc != nil {
		t = t.WithAll(sc.Tags).With("scenario", sc.Name)
	}
	v, _ := b.tags.LoadOrStore(k, &sharedTags{tags: t, root: t.With("group", "")})
	return v.(*sharedTags)
}

// parsedHTTPConfig is the HTTP client configuration read from the
// options raw.
type parsedHTTPConfig struct {
	raw []byte
	cfg *clientConfig
	err error
}

// newVUHTTPClient makes a VU's HTTP client. The options are parsed once
// per run, not once per VU (a JSON decoding of all the options, a large
// share of a VU's start-up when there are options): the configuration is
// read-only, so the VUs' clients share it, as they share
// defaultClientConfig (its TLS config is cloned by each transport).
func (b *Bundle) newVUHTTPClient() (*httpClient, error) {
	p := b.httpCfg.Load()
	if p == nil || !bytes.Equal(p.raw, b.options) {
		cfg, err := parseClientConfig(b.options)
		p = &parsedHTTPConfig{raw: b.options, cfg: cfg, err: err}
		b.httpCfg.Store(p)
	}
	if p.err != nil {
		return nil, p.err
	}
	return newHTTPClient(p.cfg), nil
}
