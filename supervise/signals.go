package supervise

import (
	"os"
	"os/signal"
	"syscall"
)

// ForwardedSignals are the signals a wrapper relays to its child: those that
// ask it to stop, reload or dump (tbot's own handlers), and terminal resizes.
func ForwardedSignals() []os.Signal {
	return []os.Signal{
		syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT,
		syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH,
	}
}

// IsStopRequest reports whether sig asks a process to end (as opposed to
// reloading or learning of a terminal resize). Once the child has ended, a
// stop request ends whatever the wrapper still waits for.
func IsStopRequest(sig os.Signal) bool {
	switch sig {
	case syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT:
		return true
	}
	return false
}

// Catcher holds the forwarded signals that arrive, from before the child
// starts until Stop.
type Catcher struct {
	ch chan os.Signal
}

// Catch starts catching ForwardedSignals, except SIGHUP and SIGINT when this
// process was started with them ignored (nohup): those stay ignored, for the
// child too.
func Catch() *Catcher {
	// Room for a burst of different signals; repeats of one signal that
	// overflow it would have been merged by the kernel anyway.
	c := &Catcher{ch: make(chan os.Signal, 32)}
	var catch []os.Signal
	for _, sig := range ForwardedSignals() {
		if !signal.Ignored(sig) {
			catch = append(catch, sig)
		}
	}
	if len(catch) > 0 {
		signal.Notify(c.ch, catch...)
	}
	return c
}

// C delivers the caught signals.
func (c *Catcher) C() <-chan os.Signal { return c.ch }

// Stop ends catching; signals then take their default action again.
func (c *Catcher) Stop() { signal.Stop(c.ch) }
