package main

import (
	"context"
	"errors"
)

// runCollect is `collect`: a local receiver that writes each event as a line.
func runCollect(ctx context.Context, sys *system, listen, output string) error {
	return errors.New("collect is not built yet")
}
