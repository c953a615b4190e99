package tbotlog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// handle logs one record at info through h, at the golden files' clock and
// without a caller (PC 0), so that the whole line can be written out.
func handle(t *testing.T, h slog.Handler, msg string, attrs ...slog.Attr) {
	t.Helper()
	r := slog.NewRecord(at, slog.LevelInfo, msg, 0)
	r.AddAttrs(attrs...)
	if err := h.Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
}

const textAt = "2026-11-26T07:00:00.123+01:00"

// Only a component at the top level names the line's component; inside a
// group it is an attribute like any other. Of a record's own components
// the first wins, and the rest are not written.
func TestTextComponent(t *testing.T) {
	var out bytes.Buffer
	h := NewTextHandler(&out, nil).WithAttrs([]slog.Attr{slog.String(ComponentKey, "tbot")})
	handle(t, h.WithGroup("g").WithAttrs([]slog.Attr{slog.String(ComponentKey, "x")}), "m", slog.String(ComponentKey, "y"))
	handle(t, h, "m", slog.String(ComponentKey, "first"), slog.String(ComponentKey, "second"))
	want := textAt + " INFO [TBOT]      m g.component:x g.component:y\n" +
		textAt + " INFO [FIRST]     m\n"
	if out.String() != want {
		t.Errorf("got\n%swant\n%s", out.String(), want)
	}
}

// Empty attributes and empty groups are left out, an inline group's
// members are written without a prefix, and so are the attributes of a
// handler given an empty group name.
func TestTextEmptiesAndInlineGroups(t *testing.T) {
	var out bytes.Buffer
	h := NewTextHandler(&out, nil)
	handle(t, h, "m", slog.Attr{}, slog.Group("", "k", "v"), slog.Group("empty"), slog.Int("n", 1))
	handle(t, h.WithGroup(""), "m", slog.String("k", "v"))
	want := textAt + " INFO []          m k:v n:1\n" +
		textAt + " INFO []          m k:v\n"
	if out.String() != want {
		t.Errorf("got\n%swant\n%s", out.String(), want)
	}
}

// asText has a text form and no String; failingText's text form fails.
type (
	asText      struct{}
	failingText struct{}
)

func (asText) MarshalText() ([]byte, error)      { return []byte("as text"), nil }
func (failingText) MarshalText() ([]byte, error) { return nil, errors.New("no text") }

// A value with a text form is written as that text, and one whose text
// form fails says so rather than writing nothing.
func TestTextMarshalerValues(t *testing.T) {
	var out bytes.Buffer
	handle(t, NewTextHandler(&out, nil), "m", slog.Any("t", asText{}), slog.Any("bad", failingText{}))
	if want := textAt + " INFO []          m t:as text bad:!ERROR:no text\n"; out.String() != want {
		t.Errorf("got  %qwant %q", out.String(), want)
	}
}

// point is written by its String in JSON, not as its fields.
type point struct{ X, Y int }

func (p point) String() string { return fmt.Sprintf("(%d,%d)", p.X, p.Y) }

// In JSON, a Stringer is its String, an attribute named msg inside a group
// keeps its name (only slog's own message becomes message), and a level
// between the four named ones is written in lower case as slog names it.
func TestJSONValuesAndLevels(t *testing.T) {
	var out bytes.Buffer
	log := New(&out, Options{Format: FormatJSON, Level: slog.LevelDebug})
	log.WithGroup("g").Info("m", "msg", "x", "p", point{1, 2})
	log.Log(context.Background(), slog.LevelWarn+2, "between warn and error")
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines: %s", len(lines), out.String())
	}
	if want := `"message":"m","component":"tbot-telemetry","g":{"msg":"x","p":"(1,2)"}}`; !strings.HasSuffix(lines[0], want) {
		t.Errorf("got  %s\nwant it to end %s", lines[0], want)
	}
	if want := `"level":"warn+2"`; !strings.Contains(lines[1], want) {
		t.Errorf("got  %s\nwant %s", lines[1], want)
	}
}

// Lines logged at once through one logger with attributes each keep their
// own attributes: the logger's attributes are shared, what a record adds
// is not.
func TestTextConcurrentRecordsKeepTheirAttrs(t *testing.T) {
	var out bytes.Buffer
	log := New(&out, Options{}).With("a", 1, "b", 2, "c", 3)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				n := strconv.Itoa(g*1000 + i)
				log.Info("line "+n, "n", n)
			}
		}()
	}
	wg.Wait()
	for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		_, rest, _ := strings.Cut(line, "] line ")
		n, _, _ := strings.Cut(rest, " ")
		if !strings.Contains(line, " a:1 b:2 c:3 n:"+n+" ") {
			t.Fatalf("line %s carries another line's attribute: %s", n, line)
		}
	}
}

// Two loggers made from one each write their own attributes, even when
// the one they came from has room for more.
func TestTextSiblingLoggersKeepTheirAttrs(t *testing.T) {
	var out bytes.Buffer
	base := NewTextHandler(&out, nil).WithAttrs([]slog.Attr{slog.Int("a", 1), slog.Int("b", 2), slog.Int("c", 3)})
	x := base.WithAttrs([]slog.Attr{slog.String("x", "1")})
	y := base.WithAttrs([]slog.Attr{slog.String("y", "1")})
	handle(t, x, "m")
	handle(t, y, "m")
	want := textAt + " INFO []          m a:1 b:2 c:3 x:1\n" +
		textAt + " INFO []          m a:1 b:2 c:3 y:1\n"
	if out.String() != want {
		t.Errorf("got\n%swant\n%s", out.String(), want)
	}
}

// lazy is a value resolved only when a line is written.
type lazy string

func (l lazy) LogValue() slog.Value { return slog.StringValue("resolved " + string(l)) }

// The kinds of value the golden files do not show, written out: unsigned
// integers in decimal, floats as short as they are, a LogValuer resolved,
// and a level between the named ones as slog names it, cut to four
// columns.
func TestTextValuesAndLevels(t *testing.T) {
	var out bytes.Buffer
	h := NewTextHandler(&out, slog.LevelDebug)
	handle(t, h, "m", slog.Uint64("u", 255), slog.Float64("f", 1.5), slog.Float64("g", 1e-7), slog.Any("l", lazy("x")))
	r := slog.NewRecord(at, slog.LevelWarn+2, "between", 0)
	if err := h.Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	want := textAt + " INFO []          m u:255 f:1.5 g:1e-07 l:resolved x\n" +
		textAt + " WARN []          between\n"
	if out.String() != want {
		t.Errorf("got\n%swant\n%s", out.String(), want)
	}
}
