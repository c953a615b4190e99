// Package layout writes one log line in the text layout of tbot's own logs,
// so that whatever parses tbot's logs parses this program's too (README.md,
// "Logs"):
//
//	2026-11-26T06:00:00.123Z INFO [TBOT-TELE] Anonymous telemetry is not enabled. reason:DO_NOT_TRACK is set beforemain/beforemain.go:98
//
// that is: the time to the millisecond in RFC 3339, the level cut or padded
// to four letters, the component upper-cased in brackets and cut or padded
// to eleven columns, the message, each attribute as key:value, and last the
// caller as the file's directory and name with the line. Strings are written
// as they are, spaces included, and quoted (Go syntax) only when they hold a
// character that is not printable, such as a newline or a tab.
//
// It imports only what the Go runtime initializes first, because package
// beforemain writes its one line with it before this program's heavier
// packages (log/slog among them) are initialized; package tbotlog writes
// every other line through it.
package layout

import (
	"strconv"
	"time"
)

// Component is this program's component: the JSON logs carry it whole, the
// text logs as [TBOT-TELE], cut to the eleven columns that tbot's own
// components get, so that the message starts in the same column as in
// tbot's lines.
const Component = "tbot-telemetry"

// Widths of the level and the bracketed component in the text layout.
const (
	levelWidth     = 4
	componentWidth = 11
)

// Entry is what one log line says: its time, level, component, message,
// attributes and caller.
type Entry struct {
	// Time is when it was logged; the zero time writes none.
	Time time.Time
	// Level is the level's name in capitals: DEBUG, INFO, WARN, ERROR.
	Level string
	// Component is written in brackets; see [Component].
	Component string
	Message   string
	Attrs     []Attr
	// Caller is where the line was logged, as [Caller] writes it; empty
	// writes none.
	Caller string
}

// Attr is one key:value attribute.
type Attr struct {
	Key, Value string
}

// AppendText appends e to b as one line of the text layout, with its
// newline.
func AppendText(b []byte, e Entry) []byte {
	start := len(b)
	sep := func() {
		if len(b) > start {
			b = append(b, ' ')
		}
	}
	if !e.Time.IsZero() {
		b = AppendTime(b, e.Time)
	}
	sep()
	b = append(b, Level(e.Level)...)
	sep()
	b = AppendString(b, BracketComponent(e.Component))
	sep()
	b = AppendString(b, e.Message)
	for _, a := range e.Attrs {
		sep()
		b = AppendString(b, a.Key)
		b = append(b, ':')
		b = AppendString(b, a.Value)
	}
	if e.Caller != "" {
		sep()
		b = AppendString(b, e.Caller)
	}
	return append(b, '\n')
}

// AppendTime appends t in RFC 3339 with exactly three fractional digits, in
// t's own location (tbot writes local time; Z where that is UTC).
func AppendTime(b []byte, t time.Time) []byte {
	return t.Round(0).Truncate(time.Millisecond).AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
}

// Level is name cut or padded to four columns: DEBU, INFO, WARN, ERRO.
func Level(name string) string {
	return fit(name, levelWidth)
}

// BracketComponent is c upper-cased in brackets, padded to eleven columns,
// or cut to them with the closing bracket kept: [TBOT]      , [TBOT-TELE].
func BracketComponent(c string) string {
	s := fit("["+upper(c)+"]", componentWidth)
	if s[len(s)-1] != ' ' && s[len(s)-1] != ']' {
		s = s[:len(s)-1] + "]"
	}
	return s
}

// Caller is file (a full path) cut to its last directory and name, with
// the line number in it: tbot-telemetry/report.go:42.
func Caller(file string, lineNumber int) string {
	slashes := 0
	for i := len(file) - 1; i >= 0; i-- {
		if file[i] == '/' {
			slashes++
			if slashes == 2 {
				file = file[i+1:]
				break
			}
		}
	}
	return file + ":" + strconv.Itoa(lineNumber)
}

// AppendString appends s as it is, or quoted when it holds a character
// that is not printable (so that one line stays one line).
func AppendString(b []byte, s string) []byte {
	for _, r := range s {
		if !strconv.IsPrint(r) {
			return strconv.AppendQuote(b, s)
		}
	}
	return append(b, s...)
}

// fit pads s with spaces to width bytes, or cuts it there.
func fit(s string, width int) string {
	if len(s) >= width {
		return s[:width]
	}
	b := make([]byte, width)
	copy(b, s)
	for i := len(s); i < width; i++ {
		b[i] = ' '
	}
	return string(b)
}

// upper is s with ASCII letters in capitals (components are ASCII; this
// package may not import strings or unicode).
func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
