package js

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/dop251/goja"
)

// Logger writes console output and run-time warnings to one writer, and
// keeps exception logs readable under load: the first few occurrences of a
// message are logged, repeats are counted, and Close reports the count.
type Logger struct {
	mu         sync.Mutex
	w          io.Writer
	start      time.Time
	seen       map[string]int
	suppressed int
}

// exceptionRepeats is how often the same exception message is logged
// before further ones are only counted.
const exceptionRepeats = 3

// maxDistinctExceptions bounds the memory of the repeat counter.
const maxDistinctExceptions = 100

// NewLogger returns a logger writing to w.
func NewLogger(w io.Writer) *Logger {
	return &Logger{w: w, start: time.Now(), seen: map[string]int{}}
}

func (l *Logger) log(level, msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	secs := int(time.Since(l.start).Seconds())
	fmt.Fprintf(l.w, "%s[%04d] %s\n", strings.ToUpper(level)[:4], secs, msg)
}

// Warnf logs a warning.
func (l *Logger) Warnf(format string, args ...any) { l.log("warn", fmt.Sprintf(format, args...)) }

// Exception logs an exception that ended an iteration, rate-limited.
func (l *Logger) Exception(err error) {
	msg := err.Error()
	l.mu.Lock()
	n, known := l.seen[msg]
	if !known && len(l.seen) >= maxDistinctExceptions {
		n = exceptionRepeats // too many kinds: count, do not log
	}
	l.seen[msg] = n + 1
	if n >= exceptionRepeats {
		l.suppressed++
		l.mu.Unlock()
		return
	}
	l.mu.Unlock()
	suffix := ""
	if n == exceptionRepeats-1 {
		suffix = " (repeats of this error are counted, not logged)"
	}
	l.log("error", msg+suffix)
}

// Close logs how many exception lines were held back.
func (l *Logger) Close() {
	l.mu.Lock()
	n := l.suppressed
	l.mu.Unlock()
	if n > 0 {
		l.log("warn", fmt.Sprintf("%d more iteration errors were not logged (see the errors block of the summary)", n))
	}
}

// newConsole builds the console object of a VU.
func newConsole(vu *VU) map[string]any {
	logAt := func(level string) func(goja.FunctionCall) goja.Value {
		return func(call goja.FunctionCall) goja.Value {
			vu.b.cfg.Log.log(level, formatArgs(call.Arguments))
			return goja.Undefined()
		}
	}
	return map[string]any{
		"log": logAt("info"), "info": logAt("info"), "debug": logAt("debug"),
		"warn": logAt("warn"), "error": logAt("error"),
	}
}

// formatArgs prints strings as they are and other values as JSON where
// they have a JSON form.
func formatArgs(args []goja.Value) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = formatValue(a)
	}
	return strings.Join(parts, " ")
}

func formatValue(v goja.Value) string {
	if _, ok := v.(*goja.Object); !ok || v == nil {
		return fmt.Sprint(v)
	}
	if obj := v.(*goja.Object); obj.ClassName() == "Error" {
		return v.String()
	}
	if _, isFn := goja.AssertFunction(v); isFn {
		return v.String()
	}
	b, err := json.Marshal(v.Export())
	if err != nil {
		return v.String()
	}
	return string(b)
}
