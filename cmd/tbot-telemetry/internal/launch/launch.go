// Package launch starts exec's PROGRAM and mirrors how it ends, for both of
// exec's paths: main's, which reports beside PROGRAM, and package beforemain's,
// which runs exec from an init function when telemetry is off. When main
// reports, package beforemain still starts PROGRAM from its init function and
// hands it over (HandOver, TakeOver), so that tbot never waits for this
// program's own initialization, opted in or not.
//
// It imports only what the Go runtime initializes first (see supervise's
// package comment), so that package beforemain can use it before this program's
// heavier packages are initialized.
package launch

import (
	"errors"
	"io"
	"os"

	"github.com/tbot-telemetry/tbot-telemetry/supervise"
)

// Say logs one error line about PROGRAM, as the program as the user typed
// it and the reason; each path logs in its own way (main with its logger,
// package beforemain in tbot's text layout).
type Say func(message, program, reason string)

// Start finds argv[0] on pathList and starts it through sup with env, stdin,
// stdout and stderr (files are handed over as they are). When it cannot, it
// says why, naming the program as the user typed it, and returns nil with
// the status a shell would give (127 not found, 126 cannot execute).
func Start(sup *supervise.Supervisor, argv, env []string, pathList string, stdin io.Reader, stdout, stderr io.Writer, say Say) (child *supervise.Process, path string, status int) {
	program := argv[0]
	path, err := supervise.LookPath(program, pathList)
	if err == nil {
		child, err = sup.Start(&supervise.Command{
			Path: path, Args: argv, Env: env,
			Stdin: stdin, Stdout: stdout, Stderr: stderr,
		})
	}
	if err == nil {
		return child, path, 0
	}
	var start *supervise.StartError
	if !errors.As(err, &start) {
		say(cannotStart, program, err.Error())
		return nil, "", supervise.ExitCannotExecute
	}
	say(cannotStart, program, start.Reason)
	return nil, "", start.Code
}

// Wait relays signals to child until it ends and returns the status to exit
// with: PROGRAM's own, 128+N for death by signal N, 1 when waiting failed.
func Wait(child *supervise.Process, program string, signals <-chan os.Signal, say Say) int {
	child.Forward(signals)
	status, err := child.Wait()
	if err != nil {
		say("Lost track of PROGRAM.", program, err.Error())
		return 1
	}
	return status.ExitCode()
}

// cannotStart is the message when PROGRAM could not be started.
const cannotStart = "Could not start PROGRAM."
