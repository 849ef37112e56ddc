package js

import "time"

// Scenario is what a VU knows of a scenario. The runtime hands the same
// *Scenario for every iteration of one scenario, so VUs key their
// per-scenario state on the pointer.
type Scenario struct {
	Name, Executor, Exec string
	Env                  map[string]string // added to __ENV
	Tags                 map[string]string // added to every sample
	// StartTime and Progress serve exec.scenario; nil reads as zero.
	StartTime func() time.Time
	Progress  func() float64
}

// Iteration is one iteration a VU is asked to run.
type Iteration struct {
	Scenario *Scenario
	Number   int64 // among the scenario's iterations in this instance
	InTest   int64 // among the scenario's iterations in all instances
}

// Instance is what exec.instance reports; Config.Instance provides it.
type Instance struct {
	CurrentTestRunDuration time.Duration
	IterationsCompleted    int64
	IterationsInterrupted  int64
	VUsActive              int64
	VUsInitialized         int64
}
