package record

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
)

// MaxEventLineBytes bounds a line that is read; collect's lines are a few
// hundred bytes, and a longer one is not an event: it comes back empty,
// to be skipped.
const MaxEventLineBytes = 64 << 10

// segment is one file of the queue: the output file, or one moved away or
// copied that still holds lines not yet acknowledged.
type segment struct {
	file *os.File // nil once nothing of it is left to read (truncated, no copy)
	id   fileID
	name string // its base name when last seen
	head string // headOf it
	done bool   // no more lines will be written to it

	size  int64 // the bytes known in it
	start int64 // where counting began: the acknowledged offset when it was taken up
	lines int64 // whole lines in [start, size)

	tail       *tail // the reader in it; nil until the reader gets there
	linesRead  int64 // lines read from start
	acked      int64 // the offset up to which every line is acknowledged
	linesAcked int64 // lines acknowledged from start
}

// readPos is where the reader is in s.
func (s *segment) readPos() int64 {
	if s.tail != nil {
		return s.tail.pos
	}
	return s.start
}

// Position is where a line read by Next ends, for Acknowledge.
type Position struct {
	seg *segment
	end int64
}

// Offset is the offset just past the line in its file.
func (p Position) Offset() int64 { return p.end }

// Next returns the next whole line (without its newline) and where it
// ends; ok is false when every line written so far has been read. Lines
// come in the order they were written, file after file.
func (f *File) Next() (line []byte, pos Position, ok bool, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for f.r < len(f.segs) {
		s := f.segs[f.r]
		if s.file != nil {
			if s.tail == nil {
				s.tail = newTail(s.file, s.start)
			}
			line, end, ok, err := s.tail.next()
			if err != nil {
				return nil, Position{}, false, err
			}
			if ok {
				s.linesRead++
				if end > s.size { // written by someone else
					s.size = end
					s.lines++
				}
				return line, Position{seg: s, end: end}, true, nil
			}
		}
		if s == f.cur || !s.done {
			return nil, Position{}, false, nil
		}
		if s.file != nil && s.tail.pos < s.size {
			// Shorter than what was written to it: cut under us.
			f.opts.Log.Error("A moved output file was cut short before it was forwarded; its last lines will not reach PostHog.",
				"file", s.name, "lost_bytes", s.size-s.tail.pos)
			s.size, s.lines = s.tail.pos, s.linesRead
		}
		f.r++
	}
	return nil, Position{}, false, nil
}

// Acknowledge records that the line ending at pos, and every line before
// it, are done with (forwarded, or skipped). Lines must be acknowledged in
// the order Next returned them. A file moved away is let go of once all of
// it is acknowledged.
func (f *File) Acknowledge(pos Position) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := pos.seg
	if s == nil || pos.end <= s.acked {
		return
	}
	s.acked = pos.end
	s.linesAcked++
	for f.r > 0 && len(f.segs) > 1 {
		first := f.segs[0]
		if first == f.cur || first.acked < first.size {
			break
		}
		if first.file != nil && first.file != f.cur.file {
			first.file.Close()
		}
		f.segs = f.segs[1:]
		f.r--
	}
}

// Backlog is what is not yet acknowledged, in bytes and in lines, across
// every file of the queue.
func (f *File) Backlog() (bytes, lines int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.segs {
		bytes += s.size - s.acked
		lines += s.lines - s.linesAcked
	}
	return bytes, lines
}

// Acknowledged is the acknowledged offset in the file at the path now.
func (f *File) Acknowledged() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cur.acked
}

// tail reads whole lines from a file that grows at its end. A line counts
// only once its newline is there.
type tail struct {
	r        *bufio.Reader
	pos      int64  // the offset just past what r has returned
	partial  []byte // the start of a line whose newline has not come yet
	overlong bool   // the line being read is longer than MaxEventLineBytes
}

func newTail(file *os.File, offset int64) *tail {
	// A section reader reads with ReadAt, which sees what was appended
	// after an earlier read met the end of the file.
	return &tail{r: bufio.NewReader(io.NewSectionReader(file, offset, 1<<62)), pos: offset}
}

// next returns the next whole line without its newline and the offset just
// past it; ok is false when no whole line is there yet. A line longer than
// MaxEventLineBytes comes back empty.
func (t *tail) next() (line []byte, end int64, ok bool, err error) {
	for {
		chunk, err := t.r.ReadSlice('\n')
		t.pos += int64(len(chunk))
		if len(t.partial)+len(chunk) > MaxEventLineBytes {
			t.overlong, t.partial = true, t.partial[:0]
		} else if !t.overlong {
			t.partial = append(t.partial, chunk...)
		}
		switch {
		case err == nil:
			line = append([]byte(nil), t.partial[:max(0, len(t.partial)-1)]...)
			if t.overlong {
				line = []byte{}
			}
			t.partial, t.overlong = t.partial[:0], false
			return line, t.pos, true, nil
		case errors.Is(err, bufio.ErrBufferFull):
		case errors.Is(err, io.EOF):
			return nil, 0, false, nil
		default:
			return nil, 0, false, fmt.Errorf("reading the output file: %w", err)
		}
	}
}
