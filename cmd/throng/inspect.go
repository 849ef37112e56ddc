package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/throng-dev/throng/runtime"
)

// newInspectCommand is `throng inspect SCRIPT`: the consolidated options
// and the execution plan, without running anything.
func newInspectCommand(e *env) *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "inspect [flags] SCRIPT",
		Short: "Print the consolidated options and the execution plan of a script, as JSON",
		Args:  exactlyOneScript,
		RunE: func(c *cobra.Command, args []string) error {
			t, err := prepare(e, c, f, args[0])
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(e.stdout, string(readableJSON(inspection(t))))
			return err
		},
	}
	addOptionFlags(cmd, f)
	return cmd
}

type inspectScenario struct {
	Name        string `json:"name"`
	Executor    string `json:"executor"`
	Exec        string `json:"exec"`
	StartTime   string `json:"startTime"`
	MaxRunTime  string `json:"maxRunTime"`
	MaxVUs      int64  `json:"maxVUs"`
	Description string `json:"description"`
}

func inspection(t *testRun) any {
	plan := runtime.NewPlan(t.run.Executors)
	var scenarios []inspectScenario
	for _, ex := range t.run.Executors {
		sc := ex.Scenario()
		scenarios = append(scenarios, inspectScenario{
			Name: sc.Name, Executor: sc.Executor, Exec: sc.Exec, StartTime: runtime.FormatDuration(sc.StartTime),
			MaxRunTime: runtime.FormatDuration(ex.MaxRunTime()), MaxVUs: ex.MaxVUs(), Description: ex.Description(),
		})
	}
	return map[string]any{
		"options": rawJSON(t.optsJSON),
		"plan": map[string]any{
			"maxVUs": plan.MaxVUs, "preAllocatedVUs": plan.PreAllocatedVUs,
			"maxDuration": runtime.FormatDuration(plan.MaxDuration), "scenarios": scenarios,
		},
	}
}

type rawJSON []byte

func (r rawJSON) MarshalJSON() ([]byte, error) { return r, nil }
