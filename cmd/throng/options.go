package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/throng-dev/throng/js"
	"github.com/throng-dev/throng/runtime"
)

// scriptEnvironment is __ENV: the process environment, then -e pairs.
func scriptEnvironment(e *env, pairs []string) (map[string]string, error) {
	m := make(map[string]string, len(e.environ)+len(pairs))
	for _, kv := range e.environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	extra, err := keyValues("-e/--env", pairs)
	for k, v := range extra {
		m[k] = v
	}
	return m, err
}

func keyValues(flag string, pairs []string) (map[string]string, error) {
	m := make(map[string]string, len(pairs))
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, invalidConfig("%s %q: want KEY=VALUE", flag, p)
		}
		m[k] = v
	}
	return m, nil
}

// layer is one source of options, named for messages.
type layer struct {
	name string
	opts runtime.Options
}

// consolidateOptions merges the layers, lowest first, as k6 does:
// defaults < config file < the script's options < environment (THRONG_*,
// or the K6_* names) < command-line flags. A shortcut (vus, duration,
// iterations, stages) from a higher layer than the scenarios replaces them,
// with a warning.
func consolidateOptions(e *env, c *cobra.Command, f *runFlags, b *js.Bundle, log *js.Logger) (runtime.Options, error) {
	layers, err := optionLayers(e, c, f, b)
	if err != nil {
		return runtime.Options{}, err
	}
	var opts runtime.Options
	scenariosFrom := ""
	for _, l := range layers {
		if l.opts.Scenarios != nil {
			scenariosFrom = l.name
		}
		if scenariosFrom != "" && scenariosFrom != l.name && hasShortcut(l.opts) {
			log.Warnf("%s set vus/duration/iterations/stages: they replace the scenarios of %s", l.name, scenariosFrom)
			opts.Scenarios, scenariosFrom = nil, ""
		}
		opts = opts.Apply(l.opts)
	}
	return opts, nil
}

func hasShortcut(o runtime.Options) bool {
	return o.VUs != nil || o.Duration != nil || o.Iterations != nil || o.Stages != nil
}

func optionLayers(e *env, c *cobra.Command, f *runFlags, b *js.Bundle) ([]layer, error) {
	fromFile, err := configFile(e, f)
	if err != nil {
		return nil, err
	}
	raw, err := b.Options()
	if err != nil {
		return nil, scriptFailure(err)
	}
	fromScript, err := runtime.ParseOptions(raw)
	if err != nil {
		return nil, invalidConfig("the script's options: %v", err)
	}
	fromEnv, err := envOptions(e)
	if err != nil {
		return nil, err
	}
	fromFlags, err := flagOptions(c, f)
	if err != nil {
		return nil, err
	}
	return []layer{{"the config file", fromFile}, {"the script", fromScript}, {"the environment", fromEnv}, {"the command line", fromFlags}}, nil
}

// configFile reads -c/--config (or THRONG_CONFIG, K6_CONFIG): JSON with the
// same keys as the script's options.
func configFile(e *env, f *runFlags) (runtime.Options, error) {
	path, flag := f.config, "--config"
	if path == "" {
		path, flag = lookupEither(e, "CONFIG")
	}
	if path == "" {
		return runtime.Options{}, nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return runtime.Options{}, invalidConfig("%s %s: %v", flag, path, err)
	}
	if !json.Valid(raw) {
		return runtime.Options{}, invalidConfig("config file %s is not valid JSON", path)
	}
	o, err := runtime.ParseOptions(raw)
	if err != nil {
		return o, invalidConfig("config file %s: %v", path, err)
	}
	return o, nil
}

// lookupEither reads THRONG_name, else K6_name; it returns the value and
// the variable it came from.
func lookupEither(e *env, name string) (string, string) {
	for _, key := range []string{"THRONG_" + name, "K6_" + name} {
		if v, ok := e.lookup(key); ok {
			return v, key
		}
	}
	return "", ""
}

// envOptionNames are the options read from the environment.
var envOptionNames = []string{"VUS", "DURATION", "ITERATIONS", "STAGES", "SUMMARY_TREND_STATS", "SUMMARY_TIME_UNIT",
	"EXECUTION_SEGMENT", "EXECUTION_SEGMENT_SEQUENCE", "NO_SETUP", "NO_TEARDOWN"}

func envOptions(e *env) (runtime.Options, error) {
	var o runtime.Options
	for _, name := range envOptionNames {
		val, key := lookupEither(e, name)
		if key == "" {
			continue
		}
		if err := setOption(&o, name, val); err != nil {
			return o, invalidConfig("environment variable %s: %v", key, err)
		}
	}
	return o, nil
}

func flagOptions(c *cobra.Command, f *runFlags) (runtime.Options, error) {
	var o runtime.Options
	fl := c.Flags()
	set := func(flag, name, val string) error {
		if !fl.Changed(flag) || consumedByRate(f, flag) {
			return nil
		}
		if err := setOption(&o, name, val); err != nil {
			return invalidConfig("--%s: %v", flag, err)
		}
		return nil
	}
	for _, s := range []struct{ flag, name, val string }{
		{"vus", "VUS", strconv.FormatInt(f.vus, 10)},
		{"iterations", "ITERATIONS", strconv.FormatInt(f.iterations, 10)},
		{"duration", "DURATION", f.duration},
		{"stage", "STAGES", strings.Join(f.stages, ",")},
		{"summary-trend-stats", "SUMMARY_TREND_STATS", f.trendStats},
		{"summary-time-unit", "SUMMARY_TIME_UNIT", f.timeUnit},
	} {
		if err := set(s.flag, s.name, s.val); err != nil {
			return o, err
		}
	}
	segmentOptions(c, f, &o)
	return o, nil
}

// setOption parses one option's text form, as the environment and the
// command line give it.
func setOption(o *runtime.Options, name, val string) error {
	switch name {
	case "VUS", "ITERATIONS":
		n, err := strconv.ParseInt(strings.TrimSpace(val), 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", val)
		}
		if name == "VUS" {
			o.VUs = &n
		} else {
			o.Iterations = &n
		}
	case "DURATION":
		d, err := runtime.ParseDuration(val)
		if err != nil {
			return err
		}
		rd := runtime.Duration(d)
		o.Duration = &rd
	case "STAGES":
		stages, err := parseStages(val)
		if err != nil {
			return err
		}
		o.Stages = stages
	case "SUMMARY_TREND_STATS":
		o.SummaryTrendStats = splitList(val)
	case "SUMMARY_TIME_UNIT":
		o.SummaryTimeUnit = &val
	default:
		return segmentEnvOption(o, name, val)
	}
	return nil
}

// parseStages reads "30s:10,1m:20" (also the value of repeated --stage).
func parseStages(val string) ([]runtime.Stage, error) {
	var stages []runtime.Stage
	for _, s := range splitList(val) {
		st, err := runtime.ParseStage(s)
		if err != nil {
			return nil, err
		}
		stages = append(stages, st)
	}
	return stages, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// consumedByRate: with an ad-hoc --rate, -u and -d went into the
// arrival-rate scenario and must not replace it as shortcuts.
func consumedByRate(f *runFlags, flag string) bool {
	return f.adhoc.rate != "" && (flag == "vus" || flag == "duration")
}
