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

	"github.com/tbot-telemetry/tbot-telemetry/cmd/tbot-telemetry/internal/launch"
	"github.com/tbot-telemetry/tbot-telemetry/cmd/tbot-telemetry/internal/ownflags"
	"github.com/tbot-telemetry/tbot-telemetry/config"
	"github.com/tbot-telemetry/tbot-telemetry/forward"
	"github.com/tbot-telemetry/tbot-telemetry/internal/buildinfo"
	"github.com/tbot-telemetry/tbot-telemetry/internal/tbotcli"
	"github.com/tbot-telemetry/tbot-telemetry/internal/tbotlog"
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
	// build is what this build of the program says about itself.
	build buildinfo.Info
	// posthogTransport carries collect's batches to PostHog; nil means a
	// copy of Go's default transport (which honours HTTPS_PROXY).
	posthogTransport http.RoundTripper
	// forwardTuning sets the forwarder's waits and window for tests; its
	// zero value is production's.
	forwardTuning forward.Options
	// chdir moves this process into another directory: report --pid reads
	// tbot's files from tbot's working directory. nil: it stays.
	chdir func(dir string) error
	// startedBeforeMain is exec's PROGRAM when package beforemain started
	// it before main ran (it reads exec's flags as run does; a test holds
	// the two together); nil otherwise, and in-process tests.
	startedBeforeMain *launch.Launched
}

func newSystem() *system {
	return &system{
		stdin:             os.Stdin,
		stdout:            os.Stdout,
		stderr:            os.Stderr,
		env:               config.EnvFromList(os.Environ()),
		now:               time.Now,
		newID:             uuid.NewRandom,
		chdir:             os.Chdir,
		build:             buildinfo.Read(version, commit),
		startedBeforeMain: launch.TakeOver(),
	}
}

// eventFlags are the flags of report and exec (README.md: "Flags of report
// and exec"), as their one table says (package ownflags).
type eventFlags struct {
	ownflags.Values
	deadline time.Duration // from Values.Timeout, once validated
	pid      int           // from Values.PID, once validated
	// given holds the flags given on the command line, by name.
	given map[string]*bool
}

// register declares command's own flags from their table.
func (f *eventFlags) register(cmd *kingpin.CmdClause, command ownflags.Command) {
	f.given = map[string]*bool{}
	for _, flag := range ownflags.Of(command) {
		f.given[flag.Name] = new(bool)
		clause := cmd.Flag(flag.Name, flag.Help).PlaceHolder(flag.PlaceHolder).IsSetByUser(f.given[flag.Name])
		if flag.Default != "" {
			clause = clause.Default(flag.Default)
		}
		if flag.TakesValue {
			clause.StringVar(f.Text(flag.Name))
		} else {
			clause.BoolVar(f.Bool(flag.Name))
		}
	}
}

// isGiven reports whether the flag of that name was given on the command
// line (rather than left at its default).
func (f *eventFlags) isGiven(name string) bool { return f.given[name] != nil && *f.given[name] }

// commands is this program's command line: the kingpin application, its
// commands, and where their flags and arguments land.
type commands struct {
	app                    *kingpin.Application
	report, exec, collect  *kingpin.CmdClause
	reportFlags, execFlags eventFlags
	tbotArgs, execArgs     []string
	collectFlags           collectFlags
}

// newCommands declares every command and flag.
func newCommands(sys *system) *commands {
	c := &commands{}
	c.app = kingpin.New("tbot-telemetry", appHelp).
		UsageWriter(sys.stdout).ErrorWriter(sys.stderr).Version(sys.build.String())
	// kingpin calls Terminate once it has written --help, --version or a
	// completion, and expects it not to return; parse stops there.
	c.app.Terminate(func(int) { panic(terminated{}) })

	c.report = c.app.Command("report", "Send the start event for a tbot started with TBOT_ARGS, or for the running tbot --pid PID (e.g. from systemd ExecStartPost=). Exits 0 whatever happens to the event (1 with --strict), 2 for a misuse of its flags.")
	c.reportFlags.register(c.report, ownflags.Report)
	c.report.Arg("tbot-args", "tbot's arguments, as they follow `tbot` on its command line.").StringsVar(&c.tbotArgs)

	c.exec = c.app.Command("exec", "Start PROGRAM (tbot) at once and send its start event beside it. Exits with PROGRAM's status (128+N: died of signal N; 127: not found; 126: not executable); a misuse of its flags is logged and PROGRAM still runs, without telemetry.")
	c.execFlags.register(c.exec, ownflags.Exec)
	c.exec.Arg("program", "PROGRAM and its arguments.").Required().StringsVar(&c.execArgs)

	c.collect = c.app.Command("collect", "Receive events (Connect, gRPC, gRPC-Web) and write each as one JSON line.")
	c.collectFlags.register(c.collect)

	c.app.Command("version", "Print this program's version.")
	return c
}

// register declares collect's flags.
func (f *collectFlags) register(cmd *kingpin.CmdClause) {
	cmd.Flag("listen", "Address to listen on.").Default("127.0.0.1:8080").StringVar(&f.listen)
	cmd.Flag("output", "Append lines to FILE instead of stdout.").PlaceHolder("FILE").StringVar(&f.output)
	cmd.Flag("posthog-host", "Also forward every event to this PostHog (e.g. https://us.i.posthog.com); needs --output, and the project API key in $POSTHOG_API_KEY or --posthog-api-key-file.").PlaceHolder("URL").StringVar(&f.posthogHost)
	cmd.Flag("posthog-api-key-file", "Read the PostHog project API key from FILE (default: $POSTHOG_API_KEY).").PlaceHolder("FILE").StringVar(&f.posthogKeyFile)
	cmd.Flag("tls-cert-file", "Serve HTTPS (TLS 1.2+) with this PEM certificate chain, read again on SIGHUP; needs --tls-key-file.").PlaceHolder("FILE").StringVar(&f.tlsCertFile)
	cmd.Flag("tls-key-file", "The PEM private key of --tls-cert-file.").PlaceHolder("FILE").StringVar(&f.tlsKeyFile)
}

// run is the whole program: it parses this program's own arguments and runs
// the command they name.
func run(ctx context.Context, args []string, sys *system) error {
	config.DisableFileExpansion() // for this program's own arguments too
	c := newCommands(sys)
	selected, err := "", error(nil)
	cmdArgs, err := splitPassThrough(c.app, args)
	if err == nil {
		var done bool
		selected, done, err = parse(c.app, cmdArgs)
		if done {
			// --help, --version or shell completion: kingpin has written
			// what was asked.
			return nil
		}
	}
	if wrong := c.misuse(selected, err, args); wrong != nil {
		return c.afterMisuse(sys, wrong, err, args)
	}
	switch selected {
	case c.report.FullCommand():
		if c.reportFlags.PID != "" {
			return runReportPID(ctx, sys, &c.reportFlags)
		}
		return runReport(ctx, sys, &c.reportFlags, c.reportFlags.TbotPath, c.tbotArgs)
	case c.exec.FullCommand():
		return runExec(ctx, sys, &c.execFlags, c.execArgs, sys.startedBeforeMain)
	case c.collect.FullCommand():
		return runCollect(ctx, sys, &c.collectFlags)
	default: // version
		fmt.Fprintln(sys.stdout, sys.build.String())
		return nil
	}
}

// misuse is what is wrong with this program's own arguments, nil when
// nothing is.
func (c *commands) misuse(selected string, parseErr error, args []string) *misuse {
	switch {
	case parseErr != nil:
		return parseMisuse(commandOf(args), parseErr)
	case selected == c.report.FullCommand():
		if wrong := c.reportFlags.validate(); wrong != nil {
			return wrong
		}
		return validatePID(&c.reportFlags, c.tbotArgs)
	case selected == c.exec.FullCommand():
		return c.execFlags.validate()
	}
	return nil
}

// afterMisuse says what was wrong and ends the run: exit 2, except that a
// misuse of exec's own flags must not keep tbot from starting, so PROGRAM
// runs, only without telemetry.
func (c *commands) afterMisuse(sys *system, wrong *misuse, parseErr error, args []string) error {
	if commandOf(args) == c.exec.FullCommand() {
		argv := c.execArgs
		if parseErr != nil {
			argv = ownflags.AfterSeparator(args)
		}
		if sys.startedBeforeMain != nil || (len(argv) > 0 && argv[0] != "") {
			wrong.log(sys, args, " Running PROGRAM without anonymous telemetry.")
			return runWithoutTelemetry(sys, argv, usageLogFormat(args), sys.startedBeforeMain)
		}
	}
	wrong.log(sys, args, "")
	return exitUsage
}

// terminated is how kingpin's Terminate ends a parse.
type terminated struct{}

// parse is app.Parse; done says that kingpin has answered the arguments
// itself (help, version, completion), and nothing else is to be done.
func parse(app *kingpin.Application, args []string) (selected string, done bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(terminated); !ok {
				panic(r)
			}
			done = true
		}
	}()
	selected, err = app.Parse(args)
	return selected, false, err
}

// appHelp opens --help: what the program does, and what its users most
// need to know before they run it.
const appHelp = `Sends tbot's anonymous, opt-in start event (RFD 0106) from beside tbot.

Nothing is sent unless TELEPORT_ANONYMOUS_TELEMETRY is true (1, t, true, as Go's strconv.ParseBool reads it); DO_NOT_TRACK=1 (any true value) always turns it off. TELEPORT_ANONYMOUS_TELEMETRY_ADDRESS sets where events go.

tbot's arguments go after --, as they follow tbot on its command line: "tbot-telemetry report -- start -c /etc/tbot.yaml", "tbot-telemetry exec -- tbot start -c /etc/tbot.yaml".

Logs go to stderr in tbot's layout: --log-format text (the default, unless tbot's arguments say json) or json.

Exit status: report 0 whatever happens to the event (1 with --strict), 2 for a misuse of its flags; exec PROGRAM's own (128+N when it died of signal N, 127 when not found, 126 when not executable); collect 0 once stopped by SIGTERM or SIGINT.`

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
				// One token, so that kingpin takes a value such as -1s
				// as the value and not as a flag.
				out[len(out)-1] = a + "=" + args[i+1]
				i++
			}
			continue
		}
		if strings.HasPrefix(a, "-") && a != "-" && !(args[cmdAt] == "report" && isTbotGlobalFlag(name)) {
			return nil, unknownFlag(args[cmdAt], name)
		}
		return append(append(out, "--"), args[i:]...), nil
	}
	return out, nil
}

// isTbotGlobalFlag tells whether a flag is one of tbot's global flags, with
// which TBOT_ARGS may open without a -- before them, as in
// `report -d start -c /etc/tbot.yaml`.
func isTbotGlobalFlag(name string) bool {
	_, ok := tbotcli.Lookup(name)
	return ok
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

// newLogger logs to w as tbot does (internal/tbotlog): text or JSON, info
// or debug.
func newLogger(w io.Writer, format string, debug bool) *slog.Logger {
	return newClockedLogger(w, format, debug, nil)
}

// newClockedLogger is newLogger with the lines stamped by now (nil: the
// time of each line).
func newClockedLogger(w io.Writer, format string, debug bool, now func() time.Time) *slog.Logger {
	level := slog.LevelInfo
	if debug {
		level = slog.LevelDebug
	}
	return tbotlog.New(w, tbotlog.Options{Format: format, Level: level, Now: now})
}
