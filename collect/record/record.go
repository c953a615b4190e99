// Package record keeps collect's output file: the record of every accepted
// event, one JSON line each, and, when collect forwards to PostHog, the
// queue that package forward drains. docs/collect.md ("The output file")
// gives operators the rules this package keeps.
//
// What operators do to files must never silently drain the queue:
//
//   - One owner: Open takes a lock (LockPath, and the output file itself);
//     a second Open on the same file fails at once, naming the owner's PID.
//   - A last line cut short (a crash, a full disk) is closed at open, before
//     anything is appended, so the next line starts on a line of its own.
//   - Rotation is followed by identity (device and inode), not by name. A
//     file moved away (logrotate's create mode) is noticed before the next
//     write, a new file is made at the path, and the moved file is read to
//     its end before the new one. A file truncated under collect
//     (copytruncate) is read again from its start at once; the part not yet
//     read is taken from the copy, found in the folder by its first line,
//     and the few lines written between the copy and the truncation are
//     written again from memory.
//   - The offset file (CursorPath) remembers every file not yet fully
//     acknowledged, by identity and first line, so that after a restart a
//     moved file still in the folder with its backlog is found and
//     finished; a file that is gone, or an offset file that is missing or
//     unusable, is warned about.
package record

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/tbot-telemetry/tbot-telemetry/internal/logsummary"
)

// Options configure Open.
type Options struct {
	// Follow makes the file a queue as well: every file written since the
	// last acknowledged position is kept open until it is acknowledged, for
	// Next to read, and the offset file is read and written. Without it,
	// Open only writes (collect without forwarding).
	Follow bool
	// Log receives what an operator must know about the files; never an
	// event.
	Log *slog.Logger
	// Limiter bounds the warnings that could come with every line (a new
	// file that cannot be made after a move); nil: one of Log's own.
	Limiter *logsummary.Limiter
	// PID is written into the lock file, for a second collect to name.
	PID int
	// StatPath looks at the output file's path to find a rotation; nil:
	// os.Stat. Tests give one that fails as a disk can (EIO), which no
	// real file can be made to do on demand.
	StatPath func(name string) (os.FileInfo, error)
}

// ringSize bounds the lines kept in memory to write again after a
// truncation: enough for what lands between logrotate's copy and its
// truncation, and for the lines read but not yet acknowledged.
const ringSize = 2048

// File is collect's output file. Write appends one whole line per call;
// with Options.Follow, Next, Acknowledge and Save read it as a queue. All
// methods are safe for concurrent use.
type File struct {
	path string
	opts Options
	lock *os.File

	mu     sync.Mutex
	cur    *segment    // the file that lines are written to
	segs   []*segment  // with Follow: every file not yet acknowledged, oldest first, cur last
	r      int         // the reader's index in segs
	ring   []ringEntry // the last lines written, for a truncation (Follow only)
	saved  []byte      // the offset file's content as last saved
	closed bool
}

// ringEntry is a line written, where it went.
type ringEntry struct {
	seg  *segment
	off  int64
	line []byte
}

// Open opens the output file at path for appending, creating it private
// to its owner when it is missing, after taking the lock that makes this
// process its one owner; see the package comment for what it does then.
func Open(path string, opts Options) (*File, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Limiter == nil {
		opts.Limiter = logsummary.New(opts.Log, logsummary.DefaultInterval, time.Now)
	}
	out, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the output file: %w", err)
	}
	lock, err := takeLock(LockPath(path), opts.PID)
	if err != nil {
		out.Close()
		return nil, fmt.Errorf("locking the output file: %w", err)
	}
	f := &File{path: path, opts: opts, lock: lock}
	cur, err := f.newSegment(out)
	if err != nil {
		out.Close()
		lock.Close()
		return nil, err
	}
	f.cur, f.segs = cur, []*segment{cur}
	if opts.Follow {
		f.resume()
	}
	return f, nil
}

// Path is the output file's path.
func (f *File) Path() string { return f.path }

// newSegment takes a newly opened output file: it locks it (so that a
// second collect reaching it through another name fails too), and closes
// a last line cut short.
func (f *File) newSegment(out *os.File) (*segment, error) {
	if err := flock(out); err != nil {
		return nil, fmt.Errorf("locking the output file: %w", err)
	}
	info, err := out.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading the output file: %w", err)
	}
	s := &segment{file: out, id: idOf(info), name: filepath.Base(f.path), size: info.Size()}
	if s.size > 0 {
		var last [1]byte
		if _, err := out.ReadAt(last[:], s.size-1); err != nil {
			return nil, fmt.Errorf("reading the output file: %w", err)
		}
		if last[0] != '\n' {
			// Closed before anything is appended: otherwise the first
			// line written would be glued to the cut one and skipped
			// with it.
			if _, err := out.Write([]byte{'\n'}); err != nil {
				return nil, fmt.Errorf("closing the output file's cut last line: %w", err)
			}
			s.size++
			f.opts.Log.Warn("The output file ended in the middle of a line (a crash or a full disk); closed that line, which is not an event and will be skipped.",
				"offset", s.size)
		}
	}
	s.head = headOf(out, s.size)
	return s, nil
}

// Write appends p, one whole line, to the output file with one write(2).
// Before it, it makes sure the file is still the one at the path and no
// shorter than what was written: a file moved away is followed by a new
// one, a truncated one is taken care of (see the package comment).
func (f *File) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return 0, os.ErrClosed
	}
	f.check()
	return f.write(p)
}

// write appends p to the current file; f.mu is held.
func (f *File) write(p []byte) (int, error) {
	s := f.cur
	n, err := s.file.Write(p)
	if n > 0 {
		if f.opts.Follow {
			for start, rest := 0, p[:n]; len(rest) > 0; {
				i := bytes.IndexByte(rest, '\n')
				if i < 0 {
					break
				}
				f.remember(s, s.size+int64(start), rest[:i+1])
				start += i + 1
				rest = rest[i+1:]
			}
		}
		s.lines += int64(bytes.Count(p[:n], []byte{'\n'}))
		s.size += int64(n)
		if s.head == "" {
			s.head = headOf(s.file, s.size)
		}
	}
	return n, err
}

// remember keeps a line written in the ring; f.mu is held.
func (f *File) remember(s *segment, off int64, line []byte) {
	l := ringEntry{seg: s, off: off, line: append([]byte(nil), line...)}
	if len(f.ring) < ringSize {
		f.ring = append(f.ring, l)
		return
	}
	copy(f.ring, f.ring[1:])
	f.ring[len(f.ring)-1] = l
}

// Check looks at the output file now, as Write does before each line, so
// that a rotation or truncation is found while no events come. The reader
// calls it each time it has read everything.
func (f *File) Check() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.closed {
		f.check()
	}
}

// check follows the output file through what was done to it since the
// last look; f.mu is held.
func (f *File) check() {
	if info, err := f.cur.file.Stat(); err == nil && info.Size() < f.cur.size {
		f.truncated(info.Size())
	}
	stat := f.opts.StatPath
	if stat == nil {
		stat = os.Stat
	}
	info, err := stat(f.path)
	switch {
	case err == nil && idOf(info) == f.cur.id:
		return
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return // cannot tell; the lines go on into the file open now
	}
	f.rotate()
}

// rotate starts a new output file at the path, the old one having been
// moved away or removed; f.mu is held. Should that fail, lines go on into
// the old file, which is forwarded as ever.
func (f *File) rotate() {
	out, err := os.OpenFile(f.path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		f.opts.Limiter.Error("rotate", "The output file was moved away and a new one cannot be made; writing on into the moved file.", "error", err)
		return
	}
	s, err := f.newSegment(out)
	if err != nil {
		out.Close()
		f.opts.Limiter.Error("rotate", "The output file was moved away and the new one cannot be taken; writing on into the moved file.", "error", err)
		return
	}
	old := f.cur
	old.done = true
	f.cur = s
	if !f.opts.Follow {
		old.file.Close()
		f.segs = []*segment{s}
		f.opts.Log.Info("The output file was moved away; writing to a new one at its path.")
		return
	}
	f.segs = append(f.segs, s)
	f.opts.Log.Info("The output file was moved away; writing to a new one at its path, after forwarding what is left in the moved one.",
		"moved_backlog_bytes", old.size-old.acked)
}

// truncated takes care of the current file found shorter (size) than what
// was written to it; f.mu is held. The part not yet read is taken from the
// copy that logrotate's copytruncate made, and what no file holds any more
// is written again from memory; the file itself is read again from its
// start.
func (f *File) truncated(size int64) {
	old := f.cur
	fresh := &segment{file: old.file, id: old.id, name: old.name, size: size}
	f.cur = fresh
	if !f.opts.Follow {
		old.file = nil
		f.segs = []*segment{fresh}
		fresh.head = headOf(fresh.file, size)
		f.opts.Log.Warn("The output file was truncated; appending from its new end.")
		return
	}
	readPos := old.readPos()
	wasEnd := old.size
	copied, keepFrom := f.continueInCopy(old, readPos)
	i := f.index(old)
	f.segs = append(f.segs[:i+1], append([]*segment{fresh}, f.segs[i+1:]...)...)
	if f.r > i {
		f.r++
	}

	if size > 0 {
		fresh.lines = countEventLines(fresh.file, 0, size)
	}
	fresh.head = headOf(fresh.file, size)
	rewritten, coveredFrom := f.writeAgain(old, keepFrom, wasEnd)
	lost := max(0, coveredFrom-max(keepFrom, readPos))
	if copied != nil {
		f.opts.Log.Warn("The output file was truncated under collect (copytruncate); forwarding the rest of its copy first, then the file from its start.",
			"copy", copied.name, "rewritten_lines", rewritten)
	} else {
		f.opts.Log.Warn("The output file was truncated under collect and no copy of it is in its folder; forwarding it from its start.",
			"rewritten_lines", rewritten, "lost_bytes", lost)
	}
	if copied != nil && lost > 0 {
		f.opts.Log.Error("Part of the truncated output file is in no file and no longer in memory; those events will not reach PostHog.", "lost_bytes", lost)
	}
}

// continueInCopy closes the truncated segment old: reading goes on in the
// copy that copytruncate made, if one is found, or old ends where it was
// read. keepFrom is the offset from which no file holds old's bytes any
// more, so they are written again from memory; f.mu is held.
func (f *File) continueInCopy(old *segment, readPos int64) (copied *segment, keepFrom int64) {
	copied, copySize := f.findCopy(old.head, old.id, readPos)
	old.done = true
	old.tail = nil
	keepFrom = old.acked
	if copied == nil {
		old.file = nil
		old.size, old.lines = readPos, old.linesRead
		return nil, keepFrom
	}
	old.file, old.id, old.name = copied.file, copied.id, copied.name
	// The copy holds the same bytes at the same offsets: reading goes on
	// in it from where it was.
	old.tail = newTail(old.file, readPos)
	old.size = max(copySize, readPos)
	old.lines = old.linesRead
	if readPos < copySize {
		old.lines += countEventLines(old.file, readPos, copySize)
	}
	return copied, max(keepFrom, copySize)
}

// writeAgain appends to the current file the lines of old, from keepFrom
// on, that the ring still holds, and says how many it wrote and from which
// offset of old they covered (wasEnd when none); f.mu is held. The lines
// are taken out of the ring first: writing them puts them back in, as
// lines of the new file.
func (f *File) writeAgain(old *segment, keepFrom, wasEnd int64) (rewritten int, coveredFrom int64) {
	var again [][]byte
	coveredFrom = wasEnd
	for _, l := range f.ring {
		if l.seg == old && l.off >= keepFrom {
			coveredFrom = min(coveredFrom, l.off)
			again = append(again, l.line)
		}
	}
	f.dropRing(old)
	for _, line := range again {
		if _, err := f.write(line); err != nil {
			f.opts.Log.Error("Could not write a line again after the output file was truncated.", "error", err)
			break
		}
	}
	return len(again), coveredFrom
}

// dropRing forgets the ring's lines of s; f.mu is held.
func (f *File) dropRing(s *segment) {
	kept := f.ring[:0]
	for _, l := range f.ring {
		if l.seg != s {
			kept = append(kept, l)
		}
	}
	clear(f.ring[len(kept):])
	f.ring = kept
}

// index is where s is in the chain; f.mu is held.
func (f *File) index(s *segment) int {
	for i, x := range f.segs {
		if x == s {
			return i
		}
	}
	return -1
}

// Close syncs and closes the output file and every file kept for the
// reader, and lets go of the lock. Lines are not synced one by one (a
// write(2) survives this process being killed; only the machine going
// down needs a sync), so one sync here makes a clean stop durable.
func (f *File) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil
	}
	f.closed = true
	var errs []error
	if err := f.cur.file.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		errs = append(errs, fmt.Errorf("syncing the output file: %w", err))
	}
	closed := map[*os.File]bool{}
	for _, s := range append(f.segs, f.cur) {
		if s.file != nil && !closed[s.file] {
			closed[s.file] = true
			if err := s.file.Close(); err != nil {
				errs = append(errs, fmt.Errorf("closing the output file: %w", err))
			}
		}
	}
	errs = append(errs, f.lock.Close())
	return errors.Join(errs...)
}

// fileID is a file's identity: what stays the same when it is renamed.
type fileID struct{ dev, ino uint64 }

// headBytes bounds the first line that identifies a file; collect's lines
// are far shorter.
const headBytes = 4096

// headOf is a file's fingerprint: the SHA-256 of its first line (or of its
// first headBytes), which a copy shares and which an event's random
// distinct_id makes unique; "" while it has no whole first line.
func headOf(file *os.File, size int64) string {
	if file == nil || size == 0 {
		return ""
	}
	b := make([]byte, min(size, headBytes))
	n, _ := file.ReadAt(b, 0)
	b = b[:n]
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i+1]
	} else if n < headBytes {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// countEventLines counts the whole lines of file in [from, to).
func countEventLines(file *os.File, from, to int64) int64 {
	var n int64
	buf := make([]byte, 64<<10)
	r := io.NewSectionReader(file, from, to-from)
	for {
		m, err := r.Read(buf)
		n += int64(bytes.Count(buf[:m], []byte{'\n'}))
		if err != nil {
			return n
		}
	}
}
