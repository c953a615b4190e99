package supervise

import (
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// reaper is the one waiter for every child of this process (see the package
// comment).
type reaper struct {
	// mu is held for a whole sweep and across fork-and-register in Start, so
	// a pid is always registered before it can be collected.
	mu      sync.Mutex
	waiting map[int]*Process
	// orphans counts the children collected that nobody registered.
	orphans int

	sigchld  chan os.Signal
	quit     chan struct{}
	finished chan struct{}
	stopOnce sync.Once
}

func startReaper() *reaper {
	// The runtime learns once, by cloning a throwaway child, whether pidfds
	// work; let that happen before any sweep could run.
	if self, err := os.FindProcess(os.Getpid()); err == nil {
		self.Release()
	}
	r := &reaper{
		waiting:  map[int]*Process{},
		sigchld:  make(chan os.Signal, 1),
		quit:     make(chan struct{}),
		finished: make(chan struct{}),
	}
	signal.Notify(r.sigchld, syscall.SIGCHLD)
	go r.loop()
	return r
}

func (r *reaper) loop() {
	defer close(r.finished)
	// Zombies that were re-parented to us before we started listening.
	r.sweep()
	for {
		select {
		case <-r.quit:
			return
		case <-r.sigchld:
			// One SIGCHLD may stand for many ended children: sweep
			// collects all of them.
			r.sweep()
		}
	}
}

// sweep collects every child that has ended and hands each status to its
// Process.
func (r *reaper) sweep() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil || pid <= 0 {
			// ECHILD: no children at all; 0: none has ended yet.
			return
		}
		p, ok := r.waiting[pid]
		if !ok {
			r.orphans++
			continue
		}
		delete(r.waiting, pid)
		p.ended(Status{wait: ws}, nil)
	}
}

// stop ends reaping and releases every waiter left.
func (r *reaper) stop() {
	r.stopOnce.Do(func() {
		signal.Stop(r.sigchld)
		close(r.quit)
		<-r.finished
		r.mu.Lock()
		defer r.mu.Unlock()
		for pid, p := range r.waiting {
			delete(r.waiting, pid)
			p.ended(Status{}, errClosed)
		}
	})
}

// OrphansReaped is how many children that nobody started through s were
// collected; always 0 without ReapOrphans.
func (s *Supervisor) OrphansReaped() int {
	if s.reaper == nil {
		return 0
	}
	s.reaper.mu.Lock()
	defer s.reaper.mu.Unlock()
	return s.reaper.orphans
}
