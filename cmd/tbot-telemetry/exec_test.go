package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// exec exits with PROGRAM's status, whatever it is: the statuses that
// systemd, Kubernetes and shells tell apart, written out.
func TestExitWithMirrorsEveryStatus(t *testing.T) {
	if err := exitWith(0); err != nil {
		t.Errorf("status 0 is an error: %v", err)
	}
	for _, code := range []int{1, 2, 3, 126, 127, 128 + 1, 128 + 2, 128 + 9, 128 + 15, 255} {
		if got := exitCode(exitWith(code)); got != code {
			t.Errorf("status %d: exec would exit %d", code, got)
		}
	}
}

// awaitRun runs awaitReport with a send that has not ended, a deadline
// far away and a signal channel that hands each signal over only once
// awaitReport takes it.
type awaitRun struct {
	ctx      context.Context
	reported chan struct{}
	signals  chan os.Signal
	returned chan struct{}
	logs     *bytes.Buffer
}

func startAwait(t *testing.T, grace time.Duration) *awaitRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	t.Cleanup(cancel)
	a := &awaitRun{ctx: ctx, reported: make(chan struct{}), signals: make(chan os.Signal), returned: make(chan struct{}), logs: &bytes.Buffer{}}
	log := newLogger(a.logs, "text", true)
	go func() {
		defer close(a.returned)
		awaitReport(ctx, cancel, log, a.reported, a.signals, grace)
	}()
	return a
}

// send hands sig to awaitReport, failing the test if it is not taken.
func (a *awaitRun) send(t *testing.T, sig os.Signal) {
	t.Helper()
	select {
	case a.signals <- sig:
	case <-a.returned:
		t.Fatalf("awaitReport returned before %v", sig)
	case <-time.After(10 * time.Second):
		t.Fatalf("awaitReport did not take %v", sig)
	}
}

func (a *awaitRun) waitReturned(t *testing.T) {
	t.Helper()
	select {
	case <-a.returned:
	case <-time.After(10 * time.Second):
		t.Fatal("awaitReport did not return")
	}
}

// Once the child has ended, a signal that is no stop request (a terminal
// resize, a reload) leaves the pending send alone: exec goes on waiting for
// it, and the send goes on.
func TestAwaitReportLeavesTheSendToOtherSignals(t *testing.T) {
	a := startAwait(t, time.Hour)
	for _, sig := range []os.Signal{syscall.SIGWINCH, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH} {
		a.send(t, sig)
	}
	// The last one was taken; one more is taken only once that one was
	// dealt with, so the check below sees its outcome.
	a.send(t, syscall.SIGWINCH)
	if a.ctx.Err() != nil {
		t.Errorf("a signal that is no stop request canceled the send: %v", a.ctx.Err())
	}
	select {
	case <-a.returned:
		t.Fatal("awaitReport stopped waiting for the send")
	default:
	}
	close(a.reported)
	a.waitReturned(t)
	if a.ctx.Err() != nil {
		t.Errorf("the send was canceled: %v", a.ctx.Err())
	}
}

// A stop request cancels the send, and exec still waits for the send to
// say how it ended.
func TestAwaitReportStopRequestCancelsTheSend(t *testing.T) {
	for _, sig := range []os.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT} {
		t.Run(sig.String(), func(t *testing.T) {
			a := startAwait(t, time.Hour)
			a.send(t, sig)
			select {
			case <-a.ctx.Done():
			case <-time.After(10 * time.Second):
				t.Fatalf("%v did not cancel the send", sig)
			}
			select {
			case <-a.returned:
				t.Fatal("awaitReport returned before the send said how it ended")
			default:
			}
			close(a.reported)
			a.waitReturned(t)
			if !strings.Contains(a.logs.String(), "Stopped waiting for anonymous telemetry.") {
				t.Errorf("no debug line for the stop:\n%s", a.logs)
			}
		})
	}
}

// A send that ended before the child returns at once, and one that never
// ends is given up after the grace, with a warning.
func TestAwaitReportEnds(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	var logs bytes.Buffer
	done := make(chan struct{})
	close(done)
	awaitReport(ctx, cancel, newLogger(&logs, "text", true), done, nil, time.Hour)
	if logs.Len() != 0 || ctx.Err() != nil {
		t.Errorf("a finished send: logs %q, context %v", logs.String(), ctx.Err())
	}

	expired, cancelExpired := context.WithCancel(context.Background())
	cancelExpired()
	logs.Reset()
	awaitReport(expired, cancelExpired, slog.New(slog.NewTextHandler(&logs, nil)), make(chan struct{}), nil, 10*time.Millisecond)
	if !strings.Contains(logs.String(), "Gave up waiting for anonymous telemetry to end.") {
		t.Errorf("no warning for a send that never ended:\n%s", logs.String())
	}
}
