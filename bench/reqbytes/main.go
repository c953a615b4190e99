// Command reqbytes writes, on stdout, the exact request body that
// `tbot-telemetry report` posts for the tbot arguments it is given (binary
// proto), so that bench/e2e.sh can have curl post identical bytes.
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/tbot-telemetry/tbot-telemetry/config"
	"github.com/tbot-telemetry/tbot-telemetry/event"
	"github.com/tbot-telemetry/tbot-telemetry/release"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "reqbytes: %v\n", err)
		os.Exit(1)
	}
}

func run(tbotArgs []string) error {
	env := config.EnvFromList(os.Environ())
	inv, err := config.ParseArgs(tbotArgs, env, release.For("17.4.2"))
	if err != nil {
		return fmt.Errorf("parse tbot arguments: %w", err)
	}
	view, err := inv.Load()
	if err != nil {
		return fmt.Errorf("load tbot config: %w", err)
	}
	req, err := event.Derive(view, env, "17.4.2", event.Sources{Now: time.Now, NewID: uuid.NewRandom})
	if err != nil {
		return fmt.Errorf("derive event: %w", err)
	}
	body, err := proto.Marshal(req)
	if err != nil {
		return fmt.Errorf("marshal event: %w", err)
	}
	_, err = os.Stdout.Write(body)
	return err
}
