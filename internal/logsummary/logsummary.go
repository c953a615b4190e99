// Package logsummary bounds repeated warnings. A flood of the same trouble
// (a sender that keeps sending bad events, a disk that stays full, a PostHog
// that stays down) must not become a flood of log lines: the first warning
// of a kind is logged at once, the ones after it within the interval are
// only counted, and one summary line per interval says how many there were.
// docs/collect.md ("Logs") gives the rule to operators.
package logsummary

import (
	"context"
	"log/slog"
	"runtime"
	"sync"
	"time"
)

// DefaultInterval is how often, at most, a kind of warning is logged.
const DefaultInterval = 30 * time.Second

// Limiter logs warnings by kind, each kind at most once per interval. Make
// one with New; it is safe for concurrent use.
type Limiter struct {
	log      *slog.Logger
	interval time.Duration
	now      func() time.Time

	mu    sync.Mutex
	kinds map[string]*kind
}

// kind is what the Limiter knows of one kind of warning.
type kind struct {
	level  slog.Level
	logged time.Time // when a line of this kind was last written
	// The warnings counted since then: how many, and the last one, which
	// the summary repeats.
	count int
	msg   string
	args  []any
	pc    uintptr
}

// New returns a Limiter that writes to log at most one line per kind per
// interval, reading the time from now.
func New(log *slog.Logger, interval time.Duration, now func() time.Time) *Limiter {
	return &Limiter{log: log, interval: interval, now: now, kinds: map[string]*kind{}}
}

// Warn logs msg with args at warning level, unless a warning of the same
// kind was logged less than the interval ago; then it is counted for the
// next summary. It says whether it wrote a line.
func (l *Limiter) Warn(kindName, msg string, args ...any) bool {
	return l.add(slog.LevelWarn, kindName, msg, args)
}

// Error is Warn at error level.
func (l *Limiter) Error(kindName, msg string, args ...any) bool {
	return l.add(slog.LevelError, kindName, msg, args)
}

func (l *Limiter) add(level slog.Level, kindName, msg string, args []any) bool {
	var pcs [1]uintptr
	runtime.Callers(3, pcs[:]) // the caller of Warn or Error
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	k := l.kinds[kindName]
	if k == nil {
		k = &kind{}
		l.kinds[kindName] = k
	}
	k.level, k.msg, k.args, k.pc = level, msg, args, pcs[0]
	if k.count == 0 && (k.logged.IsZero() || now.Sub(k.logged) >= l.interval) {
		k.logged = now
		l.write(level, msg, args, pcs[0], now)
		return true
	}
	k.count++
	if now.Sub(k.logged) >= l.interval {
		l.summarize(k, now)
		return true
	}
	return false
}

// Flush writes the summary of every kind whose interval is over, or of
// every kind with warnings counted when all is set (on the way out).
func (l *Limiter) Flush(all bool) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range l.kinds {
		if k.count > 0 && (all || now.Sub(k.logged) >= l.interval) {
			l.summarize(k, now)
		}
	}
}

// Run flushes once per interval until ctx ends, then flushes everything.
func (l *Limiter) Run(ctx context.Context) {
	tick := time.NewTicker(l.interval)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			l.Flush(false)
		case <-ctx.Done():
			l.Flush(true)
			return
		}
	}
}

// summarize writes the last warning of k with how many there were since
// the line before; l.mu is held.
func (l *Limiter) summarize(k *kind, now time.Time) {
	args := append(append([]any{}, k.args...), "repeated", k.count, "within", now.Sub(k.logged).Round(100*time.Millisecond).String())
	l.write(k.level, k.msg, args, k.pc, now)
	k.count, k.logged = 0, now
}

func (l *Limiter) write(level slog.Level, msg string, args []any, pc uintptr, now time.Time) {
	ctx := context.Background()
	if !l.log.Enabled(ctx, level) {
		return
	}
	r := slog.NewRecord(now, level, msg, pc)
	r.Add(args...)
	_ = l.log.Handler().Handle(ctx, r)
}
