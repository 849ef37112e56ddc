package main

import (
	"errors"
	"fmt"
)

// Exit codes, as k6 defines them, so CI gates written for k6 keep working.
const (
	exitOK             = 0
	exitInvalidConfig  = 104
	exitExternalAbort  = 105
	exitScriptError    = 107
	exitGoPanic        = 109
	exitGenericFailure = 255
	exitUsage          = 2 // a wrong command line, before anything runs
)

// exitError carries the process exit code with the error that caused it.
// Errors are printed in exactly one place, Main.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

func invalidConfig(format string, args ...any) error {
	return withCode(exitInvalidConfig, fmt.Errorf(format, args...))
}

func exitCodeOf(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if err == nil {
		return exitOK
	}
	return exitGenericFailure
}

// Exit codes of run outcomes beyond errors.
const (
	exitThresholdsFailed = 99
	exitSetupTimeout     = 100
	exitTeardownTimeout  = 101
	exitScriptAborted    = 108
	exitMarkedFailed     = 110
)
