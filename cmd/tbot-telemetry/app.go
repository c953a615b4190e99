package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/google/uuid"

	"github.com/tbot-telemetry/tbot-telemetry/config"
	"github.com/tbot-telemetry/tbot-telemetry/forward"
	"github.com/tbot-telemetry/tbot-telemetry/report"
)

// exitStatus is an error that carries the status to exit with and has
// already been reported (or needs no report).
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

const (
	exitFailure = exitStatus(1) // only under --strict
	exitUsage   = exitStatus(2) // a misuse of this program's own flags
)

// system is everything run takes from the world, so that tests can drive the
// whole program in-process.
type system struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	env            config.Env
	now            func() time.Time
	newID          func() (uuid.UUID, error)
	// httpClient sends the event; nil means the client this program builds.
	httpClient *http.Client
	// posthogTransport carries collect's batches to PostHog; nil means a
	// copy of Go's default transport (which honours HTTPS_PROXY).
	posthogTransport http.RoundTripper
	// forwardTuning sets the forwarder's waits and window for tests; its
	// zero value is production's.
	forwardTuning forward.Options
}

func newSystem() *system {
	return &system{
		stdin:  os.Stdin,
		stdout: os.Stdout,
		stderr: os.Stderr,
		env:    config.EnvFromList(os.Environ()),
		now:    time.Now,
		newID:  uuid.NewRandom,
	}
}

// eventFlags are the flags of report and exec (contract: "Flags of report
// and exec").
type eventFlags struct {
	dryRun      bool
	timeout     time.Duration
	endpoint    string
	tbotVersion string
	logFormat   string
	debug       bool
	strict      bool
}

func (f *eventFlags) register(cmd *kingpin.CmdClause) {
	cmd.Flag("dry-run", "Print the event on stdout and send nothing.").BoolVar(&f.dryRun)
	cmd.Flag("timeout", "One deadline for the whole send: version probe, DNS, TLS, retries.").Default("3s").DurationVar(&f.timeout)
	cmd.Flag("endpoint", "Where to send (default $TELEPORT_ANONYMOUS_TELEMETRY_ADDRESS, else "+report.DefaultEndpoint+").").PlaceHolder("URL").StringVar(&f.endpoint)
	cmd.Flag("tbot-version", "The tbot version to report; otherwise tbot is asked.").PlaceHolder("X.Y.Z").StringVar(&f.tbotVersion)
	cmd.Flag("log-format", "Log format on stderr (default: tbot's own --log-format, else text).").EnumVar(&f.logFormat, "text", "json")
	cmd.Flag("debug", "Debug logs (default: tbot's own -d/--debug).").BoolVar(&f.debug)
	cmd.Flag("strict", "Exit 1 when the event could not be built or sent.").BoolVar(&f.strict)
}

// run is the whole program: it parses this program's own arguments and runs
// the command they name.
func run(ctx context.Context, args []string, sys *system) error {
	config.DisableFileExpansion() // for this program's own arguments too
	app := kingpin.New("tbot-telemetry", "Sends tbot's anonymous, opt-in start event (RFD 0106) from beside tbot.").
		UsageWriter(sys.stdout).ErrorWriter(sys.stderr)
	terminated := false
	app.Terminate(func(int) { terminated = true })

	var (
		reportFlags, execFlags eventFlags
		tbotPath               string
		tbotArgs, execArgs     []string
		keepChildTelemetry     bool
		collectFlags           collectFlags
	)
	report := app.Command("report", "Send the start event for a tbot started with TBOT_ARGS (e.g. from systemd ExecStartPre=).")
	reportFlags.register(report)
	report.Flag("tbot-path", "The tbot binary to ask for its version.").Default("tbot").StringVar(&tbotPath)
	report.Arg("tbot-args", "tbot's arguments, as they follow `tbot` on its command line.").StringsVar(&tbotArgs)

	execCmd := app.Command("exec", "Start PROGRAM (tbot) at once and send its start event beside it.")
	execFlags.register(execCmd)
	execCmd.Flag("keep-child-telemetry", "Leave the child's TELEPORT_ANONYMOUS_TELEMETRY as it is (tbot may then send its own event too).").BoolVar(&keepChildTelemetry)
	execCmd.Arg("program", "PROGRAM and its arguments.").Required().StringsVar(&execArgs)

	collect := app.Command("collect", "Receive events (Connect, gRPC, gRPC-Web) and write each as one JSON line.")
	collect.Flag("listen", "Address to listen on.").Default("127.0.0.1:8080").StringVar(&collectFlags.listen)
	collect.Flag("output", "Append lines to FILE instead of stdout.").PlaceHolder("FILE").StringVar(&collectFlags.output)
	collect.Flag("posthog-host", "Also forward every event to this PostHog (e.g. https://us.i.posthog.com); needs --output, and the project API key in $POSTHOG_API_KEY or --posthog-api-key-file.").PlaceHolder("URL").StringVar(&collectFlags.posthogHost)
	collect.Flag("posthog-api-key-file", "Read the PostHog project API key from FILE (default: $POSTHOG_API_KEY).").PlaceHolder("FILE").StringVar(&collectFlags.posthogKeyFile)

	app.Command("version", "Print this program's version.")

	cmdArgs, err := splitPassThrough(app, args)
	if err != nil {
		return usageError(sys, err)
	}
	selected, err := app.Parse(cmdArgs)
	if terminated {
		// --help or shell completion: kingpin has written what was asked.
		return nil
	}
	if err != nil {
		return usageError(sys, err)
	}

	switch selected {
	case report.FullCommand():
		return runReport(ctx, sys, &reportFlags, tbotPath, tbotArgs)
	case execCmd.FullCommand():
		return runExec(ctx, sys, &execFlags, keepChildTelemetry, execArgs)
	case collect.FullCommand():
		return runCollect(ctx, sys, &collectFlags)
	default: // version
		fmt.Fprintf(sys.stdout, "tbot-telemetry %s (commit %s)\n", version, commit)
		return nil
	}
}

func usageError(sys *system, err error) error {
	fmt.Fprintf(sys.stderr, "tbot-telemetry: error: %s\n", err)
	fmt.Fprintf(sys.stderr, "tbot-telemetry: hint: see 'tbot-telemetry --help'; put tbot's arguments after --\n")
	return exitUsage
}

// tbotGlobalFlags may open TBOT_ARGS without a -- before them, as in
// `report -d start -c /etc/tbot.yaml`.
var tbotGlobalFlags = map[string]bool{
	"-d": true, "--debug": true, "-c": true, "--config": true, "--config-string": true,
	"--fips": true, "--insecure": true, "--log-format": true,
}

// splitPassThrough inserts the -- that ends this program's own flags where
// the arguments of report (tbot's) or exec (PROGRAM's) begin, so that kingpin
// never reads them as ours. A flag there that is neither ours nor one that
// tbot's arguments can start with is a misuse of ours.
func splitPassThrough(app *kingpin.Application, args []string) ([]string, error) {
	cmdAt := -1
	for i, a := range args {
		if a == "report" || a == "exec" {
			cmdAt = i
			break
		}
		if !strings.HasPrefix(a, "-") || a == "--" {
			break
		}
	}
	if cmdAt < 0 {
		return args, nil
	}
	cmd := app.GetCommand(args[cmdAt])
	out := append([]string{}, args[:cmdAt+1]...)
	for i := cmdAt + 1; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...), nil
		}
		name, _, hasValue := strings.Cut(a, "=")
		if known, takesValue := ownFlag(cmd, name); known {
			out = append(out, a)
			if takesValue && !hasValue && i+1 < len(args) {
				out = append(out, args[i+1])
				i++
			}
			continue
		}
		if strings.HasPrefix(a, "-") && a != "-" && !(args[cmdAt] == "report" && tbotGlobalFlags[name]) {
			return nil, fmt.Errorf("unknown flag %s", strings.SplitN(a, "=", 2)[0])
		}
		return append(append(out, "--"), args[i:]...), nil
	}
	return out, nil
}

// ownFlag says whether token names one of cmd's flags (or kingpin's help
// and completion flags), and whether that flag takes a value.
func ownFlag(cmd *kingpin.CmdClause, token string) (known, takesValue bool) {
	name, ok := strings.CutPrefix(token, "--")
	if !ok {
		return false, false
	}
	if name == "help" || strings.HasPrefix(name, "completion-") {
		return true, false
	}
	for _, f := range cmd.Model().Flags {
		if f.Name == name {
			return true, !f.IsBoolFlag()
		}
		if f.IsBoolFlag() && "no-"+f.Name == name {
			return true, false
		}
	}
	return false, false
}

// newLogger logs to stderr as tbot would: text or JSON, info or debug.
func newLogger(w io.Writer, format string, debug bool) *slog.Logger {
	level := slog.LevelInfo
	if debug {
		level = slog.LevelDebug
	}
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
