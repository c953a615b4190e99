package launch

import (
	"io"
	"os"

	"github.com/tbot-telemetry/tbot-telemetry/supervise"
)

// Launched is PROGRAM started the way exec starts it: its signals caught
// before it existed, under a Supervisor that reaps orphans when this process
// is PID 1. Whoever holds it waits for PROGRAM (Wait) or says why it never
// ran (Failed), then closes it.
type Launched struct {
	// Argv and Env are what PROGRAM was started with, Path the file that
	// was executed; the version probe runs the same file with the same
	// environment.
	Argv, Env []string
	Path      string
	// Child is nil when PROGRAM could not be started; Status is then the
	// shell's status for it (127, 126).
	Child  *supervise.Process
	Status int
	// Sup is the only waiter for this process's children (see supervise's
	// package comment): every other child, the version probe included,
	// goes through it.
	Sup *supervise.Supervisor

	signals *supervise.Catcher
	// failure is what Failed says about a PROGRAM that could not start.
	failure struct{ message, program, reason string }
}

// Begin catches the signals to relay, then starts argv (found on pathList)
// with env, stdin, stdout and stderr. Why it could not start is kept for
// Failed, so that the caller says it in its own log format once it knows
// that format.
func Begin(argv, env []string, pathList string, stdin io.Reader, stdout, stderr io.Writer) *Launched {
	l := &Launched{Argv: argv, Env: env}
	// Catch before the child exists, so that a signal meant for it is
	// queued instead of ending this process.
	l.signals = supervise.Catch()
	l.Sup = supervise.New(supervise.Options{ReapOrphans: os.Getpid() == 1})
	l.Child, l.Path, l.Status = Start(l.Sup, argv, env, pathList, stdin, stdout, stderr, func(message, program, reason string) {
		l.failure.message, l.failure.program, l.failure.reason = message, program, reason
	})
	return l
}

// Failed says why PROGRAM could not be started and returns the status to
// exit with; it is for a Launched whose Child is nil.
func (l *Launched) Failed(say Say) int {
	say(l.failure.message, l.failure.program, l.failure.reason)
	return l.Status
}

// Wait relays the caught signals, queued ones first, to PROGRAM until it
// ends, and returns the status to exit with (see the package function
// Wait).
func (l *Launched) Wait(say Say) int {
	return Wait(l.Child, l.Argv[0], l.signals.C(), say)
}

// Signals delivers the caught signals once Wait has returned: a stop
// request then ends what exec still waits for.
func (l *Launched) Signals() <-chan os.Signal { return l.signals.C() }

// Close stops catching signals and reaping.
func (l *Launched) Close() {
	l.signals.Stop()
	l.Sup.Close()
}

// handedOver is PROGRAM as package beforemain started it from its init function,
// for main to take; nil otherwise. Only init sets it and only main's
// goroutine takes it, one after the other, so it needs no lock.
var handedOver *Launched

// HandOver leaves l, started before main ran, for main's exec to take.
func HandOver(l *Launched) { handedOver = l }

// TakeOver returns PROGRAM if it was started before main ran, once; nil
// when it was not, and on every later call.
func TakeOver() *Launched {
	l := handedOver
	handedOver = nil
	return l
}
