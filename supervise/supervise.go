package supervise

import (
	"context"
	"errors"
	"io"
	"os"
	"sync"
	"syscall"
	"time"
)

// DefaultWaitDelay bounds how long output still flows to a Command's
// non-file Stdout or Stderr after the process has ended: a process it left
// behind may hold the pipe open for ever.
const DefaultWaitDelay = 100 * time.Millisecond

// Options choose how a Supervisor waits for children.
type Options struct {
	// ReapOrphans makes the Supervisor the only waiter for every child of
	// this process, collecting orphans too (see the package comment). Set it
	// when this process is PID 1.
	ReapOrphans bool
}

// Supervisor starts children and learns how they end.
type Supervisor struct {
	reaper *reaper // nil unless reaping orphans
}

// New returns a Supervisor; with ReapOrphans it starts reaping at once.
// Close it when done.
func New(opts Options) *Supervisor {
	s := &Supervisor{}
	if opts.ReapOrphans {
		s.reaper = startReaper()
	}
	return s
}

// Close stops reaping. Children that are still registered are no longer
// waited for.
func (s *Supervisor) Close() {
	if s.reaper != nil {
		s.reaper.stop()
	}
}

// Command is a program to start.
type Command struct {
	// Path is the file to execute, e.g. from LookPath.
	Path string
	// Args is the whole argument vector; Args[0] is the name the program
	// sees as its own.
	Args []string
	// Env is the whole environment, as KEY=VALUE.
	Env []string
	// Stdin, Stdout and Stderr that are *os.File are handed to the child as
	// they are, so it writes where this process writes, unbuffered; other
	// readers and writers are connected through pipes; nil is the null
	// device.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// WaitDelay bounds copying through those pipes after the process ends;
	// zero means DefaultWaitDelay.
	WaitDelay time.Duration
}

// Process is a started child.
type Process struct {
	proc      *os.Process
	sup       *Supervisor
	exited    chan struct{} // closed once status and waitErr are set
	status    Status
	waitErr   error
	copies    sync.WaitGroup
	drained   chan struct{} // closed when all copies are done
	pipeEnds  []*os.File    // this side of the pipes, closed by Wait
	waitDelay time.Duration
	waitOnce  sync.Once
}

// Start starts cmd. A program that cannot be started is reported as a
// *StartError carrying the shell's status for it.
func (s *Supervisor) Start(cmd *Command) (*Process, error) {
	p := &Process{
		sup:       s,
		exited:    make(chan struct{}),
		drained:   make(chan struct{}),
		waitDelay: cmd.WaitDelay,
	}
	if p.waitDelay <= 0 {
		p.waitDelay = DefaultWaitDelay
	}
	var childEnds []*os.File
	var copiers, feeders []func()
	files, err := p.connect(cmd, &childEnds, &copiers, &feeders)
	if err == nil {
		p.proc, err = s.fork(cmd, files, p)
	}
	// The child has its own copies of these now (or never will).
	closeAll(childEnds)
	if err != nil {
		closeAll(p.pipeEnds)
		return nil, err
	}
	// Not counted in copies: a reader may block for ever, and the child
	// cannot want more input once it has ended.
	for _, feed := range feeders {
		go feed()
	}
	for _, copyOut := range copiers {
		p.copies.Add(1)
		go func() {
			defer p.copies.Done()
			copyOut()
		}()
	}
	go func() {
		p.copies.Wait()
		close(p.drained)
	}()
	if s.reaper == nil {
		go p.waitOwn()
	}
	return p, nil
}

// fork starts the process; under the reaper, it is registered before any
// sweep can collect it.
func (s *Supervisor) fork(cmd *Command, files []*os.File, p *Process) (*os.Process, error) {
	attr := &os.ProcAttr{Env: cmd.Env, Files: files}
	if s.reaper != nil {
		s.reaper.mu.Lock()
		defer s.reaper.mu.Unlock()
	}
	proc, err := os.StartProcess(cmd.Path, cmd.Args, attr)
	if err != nil {
		return nil, startError(cmd.Path, err)
	}
	if s.reaper != nil {
		s.reaper.waiting[proc.Pid] = p
	}
	return proc, nil
}

// connect gives the child its stdin, stdout and stderr.
func (p *Process) connect(cmd *Command, childEnds *[]*os.File, copiers, feeders *[]func()) ([]*os.File, error) {
	stdin, err := p.childInput(cmd.Stdin, childEnds, feeders)
	if err != nil {
		return nil, wrap("connect stdin", err)
	}
	stdout, err := p.childOutput(cmd.Stdout, childEnds, copiers)
	if err != nil {
		return nil, wrap("connect stdout", err)
	}
	stderr, err := p.childOutput(cmd.Stderr, childEnds, copiers)
	if err != nil {
		return nil, wrap("connect stderr", err)
	}
	return []*os.File{stdin, stdout, stderr}, nil
}

func closeAll(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}

// childInput gives the child a file to read r from.
func (p *Process) childInput(r io.Reader, childEnds *[]*os.File, feeders *[]func()) (*os.File, error) {
	if f, ok := r.(*os.File); ok {
		return f, nil
	}
	if r == nil {
		f, err := os.Open(os.DevNull)
		if err != nil {
			return nil, err
		}
		*childEnds = append(*childEnds, f)
		return f, nil
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	*childEnds = append(*childEnds, pr)
	p.pipeEnds = append(p.pipeEnds, pw)
	*feeders = append(*feeders, func() {
		io.Copy(pw, r)
		pw.Close()
	})
	return pr, nil
}

// childOutput gives the child a file to write w through.
func (p *Process) childOutput(w io.Writer, childEnds *[]*os.File, copiers *[]func()) (*os.File, error) {
	if f, ok := w.(*os.File); ok {
		return f, nil
	}
	if w == nil {
		f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		if err != nil {
			return nil, err
		}
		*childEnds = append(*childEnds, f)
		return f, nil
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	*childEnds = append(*childEnds, pw)
	p.pipeEnds = append(p.pipeEnds, pr)
	*copiers = append(*copiers, func() { io.Copy(w, pr) })
	return pw, nil
}

// waitOwn waits for the child the ordinary way (no reaper).
func (p *Process) waitOwn() {
	state, err := p.proc.Wait()
	if err != nil {
		p.ended(Status{}, wrap("wait for child", err))
		return
	}
	p.ended(Status{wait: state.Sys().(syscall.WaitStatus)}, nil)
}

// ended records how the child ended; called once.
func (p *Process) ended(st Status, err error) {
	p.status, p.waitErr = st, err
	close(p.exited)
}

// Pid is the child's process ID.
func (p *Process) Pid() int { return p.proc.Pid }

// Done is closed once the child has ended.
func (p *Process) Done() <-chan struct{} { return p.exited }

// Signal sends sig to the child if it has not been waited for yet; it
// returns os.ErrProcessDone otherwise.
func (p *Process) Signal(sig os.Signal) error {
	if r := p.sup.reaper; r != nil {
		// Holding the reaper's lock, the pid cannot be collected (and so
		// cannot be reused) while it is signalled.
		r.mu.Lock()
		defer r.mu.Unlock()
		if _, registered := r.waiting[p.proc.Pid]; !registered {
			return os.ErrProcessDone
		}
	}
	return p.proc.Signal(sig)
}

// Forward relays every signal received on sigs to the child until it has
// ended.
func (p *Process) Forward(sigs <-chan os.Signal) {
	for {
		select {
		case <-p.exited:
			return
		case sig := <-sigs:
			// The child may end between the two: nothing to relay then.
			_ = p.Signal(sig)
		}
	}
}

// Wait waits for the child to end and for its output to be copied (at most
// WaitDelay longer), and returns how it ended.
func (p *Process) Wait() (Status, error) {
	<-p.exited
	p.waitOnce.Do(func() {
		timer := time.NewTimer(p.waitDelay)
		defer timer.Stop()
		select {
		case <-p.drained:
		case <-timer.C:
		}
		// Closing this side ends copies that a leftover process still
		// holds open, and stdin copying.
		for _, f := range p.pipeEnds {
			f.Close()
		}
		<-p.drained
		p.proc.Release()
	})
	return p.status, p.waitErr
}

// Output runs cmd to its end within ctx (killing it when ctx ends first) and
// returns the first limit bytes it wrote to stdout; cmd.Stdout is replaced.
func (s *Supervisor) Output(ctx context.Context, cmd *Command, limit int) ([]byte, Status, error) {
	out := &limitedBuffer{limit: limit}
	run := *cmd
	run.Stdout = out
	p, err := s.Start(&run)
	if err != nil {
		return nil, Status{}, err
	}
	select {
	case <-p.exited:
	case <-ctx.Done():
		_ = p.Signal(syscall.SIGKILL)
	}
	st, err := p.Wait()
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	return out.buf, st, err
}

// limitedBuffer keeps the first limit bytes and drops the rest without
// failing the writer, so the child never blocks on a full pipe.
type limitedBuffer struct {
	limit int
	buf   []byte
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.limit - len(b.buf); room > 0 {
		b.buf = append(b.buf, p[:min(len(p), room)]...)
	}
	return len(p), nil
}

// errClosed is what waiters get when the Supervisor closed before their
// child ended.
var errClosed = errors.New("supervisor closed before the child ended")

// wrap is fmt.Errorf("phrase: %w", err) without fmt (see the package comment
// on what this package imports).
func wrap(phrase string, err error) error { return &wrappedError{phrase, err} }

type wrappedError struct {
	phrase string
	err    error
}

func (e *wrappedError) Error() string { return e.phrase + ": " + e.err.Error() }
func (e *wrappedError) Unwrap() error { return e.err }
