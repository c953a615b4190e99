package main

import (
	"context"
	"errors"
)

// runExec is `exec`: start PROGRAM at once, report beside it, mirror its exit.
func runExec(ctx context.Context, sys *system, flags *eventFlags, keepChildTelemetry bool, argv []string) error {
	return errors.New("exec is not built yet")
}
