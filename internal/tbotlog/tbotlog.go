// Package tbotlog logs the way tbot logs, in its text and its JSON layouts,
// so that a pipeline that reads tbot's logs reads this program's too
// (README.md, "Logs"). Package layout below it holds the text layout itself.
//
// Text, one line per record:
//
//	2026-11-26T06:00:00.123Z WARN [TBOT-TELE] Failed to send anonymous telemetry. error:[deadline exceeded] tbot-telemetry/report.go:57
//
// JSON, one object per record, keys in this order:
//
//	{"timestamp":"2026-11-26T06:00:00Z","level":"warning","caller":"tbot-telemetry/report.go:57","message":"Failed to send anonymous telemetry.","component":"tbot-telemetry","error":"deadline exceeded"}
//
// Levels are lower case in JSON, with "warning" for WARN; the JSON time has
// whole seconds, the text time milliseconds, both in the process's local
// time. Errors are written as their message (in brackets in text).
package tbotlog

import (
	"context"
	"encoding"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tbot-telemetry/tbot-telemetry/internal/tbotlog/layout"
)

// Formats this package writes.
const (
	FormatText = "text"
	FormatJSON = "json"
)

// ComponentKey is the attribute that names the component, as in tbot.
const ComponentKey = "component"

// Options say how a logger from [New] writes.
type Options struct {
	// Format is FormatJSON or FormatText (the default).
	Format string
	// Level is the lowest level written; nil means info.
	Level slog.Leveler
	// Now stamps each line; nil leaves slog's own time.Now.
	Now func() time.Time
}

// New returns a logger that writes to w as o says, with this program's
// component.
func New(w io.Writer, o Options) *slog.Logger {
	var h slog.Handler
	if o.Format == FormatJSON {
		h = NewJSONHandler(w, o.Level)
	} else {
		h = NewTextHandler(w, o.Level)
	}
	if o.Now != nil {
		h = clocked{h, o.Now}
	}
	return slog.New(h).With(ComponentKey, layout.Component)
}

// clocked stamps records with its own clock (the program's, injected).
type clocked struct {
	slog.Handler
	now func() time.Time
}

func (c clocked) Handle(ctx context.Context, r slog.Record) error {
	r.Time = c.now()
	return c.Handler.Handle(ctx, r)
}

func (c clocked) WithAttrs(attrs []slog.Attr) slog.Handler {
	return clocked{c.Handler.WithAttrs(attrs), c.now}
}

func (c clocked) WithGroup(name string) slog.Handler {
	return clocked{c.Handler.WithGroup(name), c.now}
}

// NewJSONHandler writes records as tbot's JSON lines.
func NewJSONHandler(w io.Writer, level slog.Leveler) slog.Handler {
	return slog.NewJSONHandler(w, &slog.HandlerOptions{
		AddSource:   true,
		Level:       level,
		ReplaceAttr: jsonAttr,
	})
}

// jsonAttr renames slog's built-in keys to tbot's and writes their values as
// tbot does. The built-ins are told apart from attributes of the same name
// by their value's type (they are never in a group).
func jsonAttr(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 {
		switch a.Key {
		case slog.TimeKey:
			if a.Value.Kind() == slog.KindTime {
				return slog.String("timestamp", a.Value.Time().Format(time.RFC3339))
			}
		case slog.LevelKey:
			if l, ok := a.Value.Any().(slog.Level); ok {
				return slog.String("level", jsonLevel(l))
			}
		case slog.MessageKey:
			if a.Value.Kind() == slog.KindString {
				return slog.String("message", a.Value.String())
			}
		case slog.SourceKey:
			if s, ok := a.Value.Any().(*slog.Source); ok {
				return slog.String("caller", layout.Caller(s.File, s.Line))
			}
		}
	}
	if a.Value.Kind() == slog.KindAny {
		switch v := a.Value.Any().(type) {
		case error:
			a.Value = slog.StringValue(v.Error())
		case fmt.Stringer:
			a.Value = slog.StringValue(v.String())
		}
	}
	return a
}

func jsonLevel(l slog.Level) string {
	switch l {
	case slog.LevelDebug:
		return "debug"
	case slog.LevelInfo:
		return "info"
	case slog.LevelWarn:
		return "warning"
	case slog.LevelError:
		return "error"
	}
	return strings.ToLower(l.String())
}

// textLevel is the level's name as the text layout starts from.
func textLevel(l slog.Level) string {
	switch l {
	case slog.LevelDebug:
		return "DEBUG"
	case slog.LevelInfo:
		return "INFO"
	case slog.LevelWarn:
		return "WARN"
	case slog.LevelError:
		return "ERROR"
	}
	return l.String()
}

// TextHandler writes records as tbot's text lines (package layout).
type TextHandler struct {
	out       *lockedWriter
	level     slog.Leveler
	component string
	attrs     []layout.Attr // from WithAttrs, already written out
	prefix    string        // group names from WithGroup, each with a dot
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

// NewTextHandler writes records to w, each in one write.
func NewTextHandler(w io.Writer, level slog.Leveler) *TextHandler {
	if level == nil {
		level = slog.LevelInfo
	}
	return &TextHandler{out: &lockedWriter{w: w}, level: level}
}

// Enabled reports whether level is logged.
func (h *TextHandler) Enabled(_ context.Context, level slog.Level) bool {
	return level >= h.level.Level()
}

// WithAttrs returns a handler that writes attrs on every line; a component
// attribute sets the component instead.
func (h *TextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	h2 := *h
	h2.attrs = append([]layout.Attr(nil), h.attrs...)
	for _, a := range attrs {
		if a.Key == ComponentKey && h.prefix == "" {
			h2.component = a.Value.String()
			continue
		}
		h2.attrs = appendAttr(h2.attrs, h.prefix, a)
	}
	return &h2
}

// WithGroup returns a handler that prefixes the keys of later attributes
// with name and a dot.
func (h *TextHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.prefix += name + "."
	return &h2
}

// Handle writes r as one line.
func (h *TextHandler) Handle(_ context.Context, r slog.Record) error {
	entry := layout.Entry{
		Time:      r.Time,
		Level:     textLevel(r.Level),
		Component: h.component,
		Message:   r.Message,
		// Capped at its length, so that the record's own attributes go
		// to a new array: appended into h.attrs's spare room, lines
		// logged at once would write over one another's.
		Attrs: h.attrs[:len(h.attrs):len(h.attrs)],
	}
	componentSet := false
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == ComponentKey && h.prefix == "" {
			// A record's own component wins over the logger's, once.
			if !componentSet {
				entry.Component, componentSet = a.Value.String(), true
			}
			return true
		}
		entry.Attrs = appendAttr(entry.Attrs, h.prefix, a)
		return true
	})
	if r.PC != 0 {
		f, _ := runtime.CallersFrames([]uintptr{r.PC}).Next()
		entry.Caller = layout.Caller(f.File, f.Line)
	}
	buf := layout.AppendText(make([]byte, 0, 256), entry)
	h.out.mu.Lock()
	defer h.out.mu.Unlock()
	_, err := h.out.w.Write(buf)
	return err
}

// appendAttr appends a, its group's members each on their own, with keys
// prefixed by their groups; empty attributes and groups are left out.
func appendAttr(attrs []layout.Attr, prefix string, a slog.Attr) []layout.Attr {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return attrs
	}
	if a.Value.Kind() == slog.KindGroup {
		if a.Key != "" {
			prefix += a.Key + "."
		}
		for _, m := range a.Value.Group() {
			attrs = appendAttr(attrs, prefix, m)
		}
		return attrs
	}
	return append(attrs, layout.Attr{Key: prefix + a.Key, Value: textValue(a.Value)})
}

// textValue writes v as tbot's text logs do: errors in brackets, times like
// the line's own, byte slices always quoted (a quoted string is printable,
// so layout writes it as it is).
func textValue(v slog.Value) string {
	switch v.Kind() {
	case slog.KindString:
		return v.String()
	case slog.KindTime:
		return string(layout.AppendTime(nil, v.Time()))
	case slog.KindInt64:
		return strconv.FormatInt(v.Int64(), 10)
	case slog.KindUint64:
		return strconv.FormatUint(v.Uint64(), 10)
	case slog.KindFloat64:
		return strconv.FormatFloat(v.Float64(), 'g', -1, 64)
	case slog.KindBool:
		return strconv.FormatBool(v.Bool())
	case slog.KindDuration:
		return v.Duration().String()
	}
	switch x := v.Any().(type) {
	case error:
		return "[" + x.Error() + "]"
	case encoding.TextMarshaler:
		data, err := x.MarshalText()
		if err != nil {
			return "!ERROR:" + err.Error()
		}
		return string(data)
	case []byte:
		return strconv.Quote(string(x))
	default:
		return fmt.Sprintf("%+v", x)
	}
}
