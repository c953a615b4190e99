package forward

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
)

// tail reads whole lines from a file that grows at its end. A line counts
// only once its newline is there: the receiver writes each line with one
// write, but a reader may still see the first part of it before the rest.
type tail struct {
	r        *bufio.Reader
	pos      int64  // the offset just past what r has returned
	partial  []byte // the start of a line whose newline has not come yet
	overlong bool   // the line being read is longer than MaxLineBytes
}

func newTail(file *os.File, offset int64) *tail {
	// A section reader reads with ReadAt, which sees what was appended
	// after an earlier read met the end of the file.
	return &tail{r: bufio.NewReader(io.NewSectionReader(file, offset, 1<<62)), pos: offset}
}

// next returns the next whole line without its newline and the offset just
// past it; ok is false when no whole line is there yet. A line longer than
// MaxLineBytes comes back empty, to be skipped.
func (t *tail) next() (line []byte, end int64, ok bool, err error) {
	for {
		chunk, err := t.r.ReadSlice('\n')
		t.pos += int64(len(chunk))
		if len(t.partial)+len(chunk) > MaxLineBytes {
			t.overlong, t.partial = true, t.partial[:0]
		} else if !t.overlong {
			t.partial = append(t.partial, chunk...)
		}
		switch {
		case err == nil:
			line = append([]byte(nil), t.partial[:max(0, len(t.partial)-1)]...)
			if t.overlong {
				line = nil
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
