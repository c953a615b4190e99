package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/tbot-telemetry/tbot-telemetry/cmd/tbot-telemetry/internal/launch"
	"github.com/tbot-telemetry/tbot-telemetry/cmd/tbot-telemetry/internal/ownflags"
	"github.com/tbot-telemetry/tbot-telemetry/cmd/tbot-telemetry/internal/probe"
	"github.com/tbot-telemetry/tbot-telemetry/optin"
	"github.com/tbot-telemetry/tbot-telemetry/supervise"
)

// runExec is `exec`: start PROGRAM at once, report beside it, mirror its exit.
//
// Nothing that could take time or fail for the event's sake (reading tbot's
// configuration, asking it for its version, the network) happens before the
// child runs, and nothing the event goes through changes the exit status.
// PROGRAM normally runs already (started before main, by package
// beforemain's init); it is started here only when that did not happen
// (in-process tests).
func runExec(ctx context.Context, sys *system, flags *eventFlags, argv []string, startedBeforeMain *launch.Launched) error {
	if startedBeforeMain == nil && (len(argv) == 0 || argv[0] == "") {
		wrong := &misuse{problem: "exec needs PROGRAM.", hint: "tbot-telemetry exec [FLAGS] -- PROGRAM [ARGS...]"}
		wrong.log(sys, argv, "")
		return exitUsage
	}
	// One deadline for the event, counted from launch.
	ctx, cancel := context.WithTimeout(ctx, flags.deadline)
	defer cancel()

	sys = withSharedOutput(sys)
	decision := optin.Decide(sys.env.Get)
	started := startedBeforeMain
	if started == nil {
		childEnv := ownflags.ChildEnv(sys.env.List(), flags.ChildTelemetryOff(decision.Enabled))
		started = launch.Begin(argv, childEnv, sys.env["PATH"], sys.stdin, sys.stdout, sys.stderr)
	}
	defer started.Close()
	program, tbotArgs := started.Argv[0], started.Argv[1:]

	log := flags.logger(sys, tbotArgs)
	if started.Child == nil {
		return exitStatus(started.Failed(sayWith(log)))
	}

	warnOwnFlag(log, tbotArgs)
	reported := make(chan struct{})
	go func() {
		defer close(reported)
		// Its outcome is only ever logged: the exit status is the child's.
		_ = deliver(ctx, sys, log, flags, decision, tbotArgs, func(ctx context.Context) (string, error) {
			// Through the Supervisor: as PID 1 it is the only waiter.
			return probe.VersionOf(ctx, started.Sup, started.Path, program, started.Env)
		})
	}()

	code := started.Wait(sayWith(log))
	awaitReport(ctx, cancel, log, reported, started.Signals(), outcomeGrace)
	return exitWith(code)
}

// exitWith is the error that makes main exit with PROGRAM's status code:
// none for 0, exitStatus for every other (1, 2, 126, 127, 128+N...).
func exitWith(code int) error {
	if code == 0 {
		return nil
	}
	return exitStatus(code)
}

// runWithoutTelemetry runs PROGRAM as exec does, without telemetry: for a
// misuse of exec's own flags, which must not keep tbot from starting.
// startedBeforeMain is PROGRAM when package beforemain already started it,
// nil otherwise.
func runWithoutTelemetry(sys *system, argv []string, logFormat string, startedBeforeMain *launch.Launched) error {
	sys = withSharedOutput(sys)
	started := startedBeforeMain
	if started == nil {
		started = launch.Begin(argv, sys.env.List(), sys.env["PATH"], sys.stdin, sys.stdout, sys.stderr)
	}
	defer started.Close()
	say := sayWith(newClockedLogger(sys.stderr, logFormat, false, sys.now))
	if started.Child == nil {
		return exitWith(started.Failed(say))
	}
	return exitWith(started.Wait(say))
}

// sayWith logs launch's lines about PROGRAM with log.
func sayWith(log *slog.Logger) launch.Say {
	return func(message, program, reason string) {
		log.Error(message, "program", program, "reason", reason)
	}
}

// awaitReport waits, after the child has ended, for the send to end and
// log its outcome: the send ends by itself at the deadline, and a stop
// signal cancels it to end it sooner; any other signal (SIGWINCH, SIGUSR1,
// ...) leaves it alone. It never returns on the deadline or the signal
// alone, which would race the send's own line about its failure and could
// lose it; the send watches ctx, so it ends at once when ctx is done. grace
// only bounds a send that did not.
func awaitReport(ctx context.Context, cancel context.CancelFunc, log *slog.Logger, reported <-chan struct{}, signals <-chan os.Signal, grace time.Duration) {
	select {
	case <-reported:
		return
	default:
	}
	log.Debug("Waiting for anonymous telemetry to be sent.")
	done := ctx.Done()
	for done != nil {
		select {
		case <-reported:
			return
		case <-done:
			done = nil
		case sig := <-signals:
			if supervise.IsStopRequest(sig) {
				log.Debug("Stopped waiting for anonymous telemetry.", "signal", sig.String())
				cancel()
				done = nil
			}
		}
	}
	select {
	case <-reported:
	case <-time.After(grace):
		log.Warn("Gave up waiting for anonymous telemetry to end.")
	}
}

// outcomeGrace is how long exec waits, once the deadline has passed or a
// stop signal came, for the send to log its outcome.
const outcomeGrace = 2 * time.Second

// withSharedOutput makes stdout and stderr safe to share between the child's
// output and this program's own lines. Files need nothing: the child writes
// to them directly and each of our lines is one write. Other writers (an
// in-process caller's buffers) get the child's output through copying
// goroutines, so each is wrapped in a lock.
func withSharedOutput(sys *system) *system {
	shared := *sys
	if _, ok := sys.stdout.(*os.File); !ok {
		shared.stdout = &lockedWriter{w: sys.stdout}
	}
	if _, ok := sys.stderr.(*os.File); !ok {
		shared.stderr = &lockedWriter{w: sys.stderr}
	}
	return &shared
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
