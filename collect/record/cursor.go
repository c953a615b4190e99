package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// CursorPath is where the queue's progress is kept: beside the output file
// at path, so that the two move together. It names, for every file not yet
// fully acknowledged, its identity, its first line's fingerprint and the
// offset up to which PostHog acknowledged it.
func CursorPath(path string) string { return path + ".posthog-offset" }

// cursorVersion is the offset file's format. Version 1 was a bare number:
// the acknowledged offset in the file at the path.
const cursorVersion = 2

// cursor is the offset file's content.
type cursor struct {
	Version int           `json:"version"`
	Files   []cursorEntry `json:"files"`
}

// sizeUnknown is cursorEntry.Size when the offset file did not say it
// (version 1).
const sizeUnknown = -1

// cursorEntry is one file of the queue, oldest first; the file at the path
// is the last.
type cursorEntry struct {
	Name   string `json:"name"` // its base name when last seen
	Device uint64 `json:"device"`
	Inode  uint64 `json:"inode"`
	Head   string `json:"head"`   // headOf it, "" while it had no whole line
	Offset int64  `json:"offset"` // acknowledged up to here
	Size   int64  `json:"size"`   // its size then, to tell what a lost file held
}

func (e cursorEntry) id() fileID { return fileID{dev: e.Device, ino: e.Inode} }

// Save writes the offset file when anything in it changed. It replaces the
// file whole (a temporary file renamed over it), so that a crash leaves
// the old content or the new, never a torn one.
func (f *File) Save() error {
	f.mu.Lock()
	c := cursor{Version: cursorVersion}
	for _, s := range f.segs {
		if s.file == nil || (s.done && s.acked >= s.size) {
			continue
		}
		c.Files = append(c.Files, cursorEntry{Name: s.name, Device: s.id.dev, Inode: s.id.ino,
			Head: s.head, Offset: s.acked, Size: s.size})
	}
	b, err := json.Marshal(c)
	if err != nil || bytes.Equal(b, f.saved) {
		f.mu.Unlock()
		return err
	}
	f.mu.Unlock()
	b = append(b, '\n')
	path := CursorPath(f.path)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("writing the acknowledged offsets: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("saving the acknowledged offsets: %w", err)
	}
	f.mu.Lock()
	f.saved = b[:len(b)-1]
	f.mu.Unlock()
	return nil
}

// readCursor reads the offset file; missing is true when there is none.
func readCursor(path string) (c cursor, missing bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return cursor{}, true, nil
	}
	if err != nil {
		return cursor{}, false, fmt.Errorf("reading the offset file: %w", err)
	}
	b = bytes.TrimSpace(b)
	if n, err := strconv.ParseInt(string(b), 10, 64); err == nil && n >= 0 {
		// Version 1: the offset in the file at the path, whatever it is.
		return cursor{Version: 1, Files: []cursorEntry{{Offset: n}}}, false, nil
	}
	if err := json.Unmarshal(b, &c); err != nil || c.Version != cursorVersion {
		return cursor{}, false, errors.New("the offset file is not one this program wrote")
	}
	for _, e := range c.Files {
		if e.Offset < 0 || e.Size < e.Offset {
			return cursor{}, false, errors.New("the offset file holds an offset out of range")
		}
	}
	return c, false, nil
}

// resume takes up where the last run left off: it reads the offset file,
// finds in the folder each file it names that still has lines to forward,
// and sets where the reader starts in each; f.mu need not be held (Open
// has not returned yet).
func (f *File) resume() {
	cur := f.cur
	c, missing, err := readCursor(CursorPath(f.path))
	switch {
	case err != nil:
		f.opts.Log.Warn("The offset file is unusable; forwarding the whole output file again (PostHog counts each event once, by its uuid).",
			"reason", err.Error())
		c = cursor{}
	case missing && cur.size > 0:
		f.opts.Log.Warn("No offset file beside the output file; forwarding the whole file (PostHog counts each event once, by its uuid).",
			"offset_file", filepath.Base(CursorPath(f.path)))
	}
	if c.Version == 1 {
		// The offset of whatever file is at the path; its size then is
		// not known.
		c.Files[0].Device, c.Files[0].Inode, c.Files[0].Head = cur.id.dev, cur.id.ino, cur.head
		c.Files[0].Size = sizeUnknown
	}

	var segs []*segment
	seen := map[fileID]bool{cur.id: true}
	for _, e := range c.Files {
		if e.id() == cur.id {
			segs = append(segs, f.resumeCurrent(e)...)
			continue
		}
		if s := f.resumeMoved(e, seen); s != nil {
			segs = append(segs, s)
		}
	}
	f.segs = append(segs, cur)
	for _, s := range f.segs {
		if s != cur {
			s.done = true
		}
		s.lines = countEventLines(s.file, s.start, s.size)
	}
}

// resumeCurrent takes up the file at the path where e left it. When it is
// no longer what e describes (truncated or replaced while collect was
// stopped), it is read from its start, after the rest of its copy if one
// is in the folder.
func (f *File) resumeCurrent(e cursorEntry) []*segment {
	cur := f.cur
	fits := e.Offset <= cur.size && (e.Head == "" || e.Head == cur.head) && atEventLineEnd(cur.file, e.Offset)
	if fits {
		cur.start, cur.acked = e.Offset, e.Offset
		return nil
	}
	if e.Size != sizeUnknown && e.Offset >= e.Size {
		// Everything in it was acknowledged at the stop: nothing can have
		// been lost, whatever was done to it since.
		f.opts.Log.Info("The output file was truncated or replaced while collect was stopped, after all of it was forwarded; forwarding it from its start.")
		return nil
	}
	if e.Head != "" {
		if found, size := f.findCopy(e.Head, cur.id, e.Offset); found != nil && size > e.Offset {
			found.start, found.acked = e.Offset, e.Offset
			f.opts.Log.Warn("The output file was truncated while collect was stopped; forwarding the rest of its copy first, then the file from its start.",
				"copy", found.name)
			return []*segment{found}
		}
	}
	if e.Size == sizeUnknown {
		f.opts.Log.Warn("The output file is not the one the offset file describes (truncated or replaced while collect was stopped); forwarding it from its start.")
		return nil
	}
	f.opts.Log.Warn("The output file is not the one the offset file describes (truncated or replaced while collect was stopped); forwarding it from its start.",
		"lost_bytes", e.Size-e.Offset)
	return nil
}

// resumeMoved finds the file e describes in the output file's folder, by
// identity, else a copy of it by its first line; nil when it has nothing
// left to forward, or is gone (which is said loudly).
func (f *File) resumeMoved(e cursorEntry, seen map[fileID]bool) *segment {
	dir := filepath.Dir(f.path)
	var found *segment
	var size int64
	if info, err := os.Stat(filepath.Join(dir, e.Name)); err == nil && idOf(info) == e.id() && !seen[e.id()] {
		found, size = openFound(filepath.Join(dir, e.Name), e.Head)
	}
	if found == nil {
		found, size = f.findByID(e, seen)
	}
	if found == nil && e.Head != "" {
		found, size = f.findCopy(e.Head, fileID{}, e.Offset)
		if found != nil && seen[found.id] {
			found.file.Close()
			found = nil
		}
	}
	switch {
	case found == nil && e.Offset < e.Size:
		f.opts.Log.Error("A moved output file with events not yet forwarded is no longer in the output file's folder; they will not reach PostHog.",
			"file", e.Name, "lost_bytes", e.Size-e.Offset)
		return nil
	case found == nil:
		return nil
	case size <= e.Offset:
		found.file.Close()
		return nil
	}
	seen[found.id] = true
	found.start, found.acked = e.Offset, e.Offset
	f.opts.Log.Info("Forwarding the rest of a moved output file first.", "file", found.name, "backlog_bytes", size-e.Offset)
	return found
}

// findByID looks in the output file's folder for the file e names by its
// identity, its first line matching.
func (f *File) findByID(e cursorEntry, seen map[fileID]bool) (*segment, int64) {
	dir := filepath.Dir(f.path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, 0
	}
	for _, d := range entries {
		if !d.Type().IsRegular() {
			continue
		}
		info, err := d.Info()
		if err != nil || idOf(info) != e.id() || seen[e.id()] {
			continue
		}
		if s, size := openFound(filepath.Join(dir, d.Name()), e.Head); s != nil {
			return s, size
		}
	}
	return nil, 0
}

// findCopy looks in the output file's folder for the longest file other
// than not whose first line has the fingerprint head and that reaches at
// least from: a copy of the file head identifies.
func (f *File) findCopy(head string, not fileID, from int64) (*segment, int64) {
	if head == "" {
		return nil, 0
	}
	dir := filepath.Dir(f.path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, 0
	}
	var best *segment
	var bestSize int64
	for _, d := range entries {
		if !d.Type().IsRegular() {
			continue
		}
		info, err := d.Info()
		if err != nil || idOf(info) == not || info.Size() < from || info.Size() <= bestSize {
			continue
		}
		if s, size := openFound(filepath.Join(dir, d.Name()), head); s != nil {
			if best != nil {
				best.file.Close()
			}
			best, bestSize = s, size
		}
	}
	return best, bestSize
}

// openFound opens a file found in the folder for reading, when its first
// line has the fingerprint head (any, when head is "").
func openFound(path, head string) (*segment, int64) {
	file, err := os.Open(path)
	if err != nil {
		return nil, 0
	}
	info, err := file.Stat()
	if err != nil || !info.Mode().IsRegular() {
		file.Close()
		return nil, 0
	}
	h := headOf(file, info.Size())
	if head != "" && h != head {
		file.Close()
		return nil, 0
	}
	return &segment{file: file, id: idOf(info), name: filepath.Base(path), head: h, size: info.Size(), done: true}, info.Size()
}

// atEventLineEnd tells whether offset can be one this program saved for file:
// 0, or just past a newline.
func atEventLineEnd(file *os.File, offset int64) bool {
	if offset == 0 {
		return true
	}
	var b [1]byte
	_, err := file.ReadAt(b[:], offset-1)
	return err == nil && b[0] == '\n'
}
