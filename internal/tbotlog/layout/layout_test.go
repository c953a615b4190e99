package layout

import (
	"testing"
	"time"
)

// One line of tbot's text layout, as README.md ("Logs") shows it: the
// time to the millisecond, the level in four columns, the component in
// brackets in eleven, the message, key:value attributes and the caller.
func TestAppendText(t *testing.T) {
	at := time.Date(2026, 11, 26, 6, 0, 3, 125_999_999, time.UTC)
	for _, tt := range []struct {
		entry Entry
		want  string
	}{
		{Entry{Time: at, Level: "WARN", Component: Component, Message: "Failed to send anonymous telemetry.",
			Attrs:  []Attr{{Key: "error", Value: "[deadline_exceeded: no answer within the deadline]"}},
			Caller: "tbot-telemetry/report.go:63"},
			"2026-11-26T06:00:03.125Z WARN [TBOT-TELE] Failed to send anonymous telemetry. error:[deadline_exceeded: no answer within the deadline] tbot-telemetry/report.go:63\n"},
		{Entry{Time: at, Level: "INFO", Component: "tbot", Message: "m"},
			"2026-11-26T06:00:03.125Z INFO [TBOT]      m\n"},
		{Entry{Level: "DEBUG", Component: "tbot:identity", Message: "no time, no caller", Attrs: []Attr{{Key: "k", Value: ""}, {Key: "n", Value: "3"}}},
			"DEBU [TBOT:IDEN] no time, no caller k: n:3\n"},
		{Entry{Time: at, Level: "ERROR", Component: "a", Message: "two\nlines", Attrs: []Attr{{Key: "raw", Value: `"a b"`}, {Key: "tab", Value: "a\tb"}}},
			"2026-11-26T06:00:03.125Z ERRO [A]         \"two\\nlines\" raw:\"a b\" tab:\"a\\tb\"\n"},
	} {
		if got := string(AppendText([]byte("> "), tt.entry)); got != "> "+tt.want {
			t.Errorf("got  %q\nwant %q", got, "> "+tt.want)
		}
	}
}

// tbot writes local time: the clock's zone is kept, Z only for UTC; the
// milliseconds are cut, not rounded.
func TestAppendTime(t *testing.T) {
	for in, want := range map[time.Time]string{
		time.Date(2026, 11, 26, 7, 0, 0, 999_999_999, time.FixedZone("CET", 3600)): "2026-11-26T07:00:00.999+01:00",
		time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC):                              "2026-11-26T06:00:00.000Z",
		time.Date(2026, 11, 26, 6, 0, 0, 1_000_000, time.UTC):                      "2026-11-26T06:00:00.001Z",
	} {
		if got := string(AppendTime(nil, in)); got != want {
			t.Errorf("AppendTime(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestLevelAndComponent(t *testing.T) {
	for in, want := range map[string]string{"DEBUG": "DEBU", "INFO": "INFO", "WARN": "WARN", "ERROR": "ERRO", "X": "X   "} {
		if got := Level(in); got != want {
			t.Errorf("Level(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"tbot-telemetry": "[TBOT-TELE]", "tbot:identity": "[TBOT:IDEN]", "tbot": "[TBOT]     ", "abcdefghi": "[ABCDEFGHI]",
		"abcdefghij": "[ABCDEFGHI]", "azAZ09-": "[AZAZ09-]  ", "": "[]         ",
	} {
		if got := BracketComponent(in); got != want {
			t.Errorf("BracketComponent(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCaller(t *testing.T) {
	for file, want := range map[string]string{
		"/home/u/src/tbot-telemetry/cmd/tbot-telemetry/report.go": "tbot-telemetry/report.go:42",
		"beforemain/beforemain.go":                                "beforemain/beforemain.go:42",
		"report.go":                                               "report.go:42",
		"/tmp/x.go":                                               "tmp/x.go:42",
	} {
		if got := Caller(file, 42); got != want {
			t.Errorf("Caller(%q, 42) = %q, want %q", file, got, want)
		}
	}
}

// A string is written as it is, spaces and all, unless it holds a
// character that is not printable: then it is quoted, so that one entry
// stays one line.
func TestAppendString(t *testing.T) {
	for in, want := range map[string]string{
		"plain words":   "plain words",
		"naïve ✓":       "naïve ✓",
		"new\nline":     `"new\nline"`,
		"tab\there":     `"tab\there"`,
		"bell\a":        `"bell\a"`,
		"soft\u00adhyp": `"soft\u00adhyp"`,
		"":              "",
	} {
		if got := string(AppendString(nil, in)); got != want {
			t.Errorf("AppendString(%q) = %s, want %s", in, got, want)
		}
	}
}

// Every part of a line that comes from outside (keys, values, the caller)
// is quoted when it is not printable, so that one entry stays one line;
// a quoted string keeps its printable non-ASCII as it is.
func TestAppendTextQuotesEveryPart(t *testing.T) {
	e := Entry{Level: "INFO", Component: "tbot", Message: "naïve\n",
		Attrs: []Attr{{Key: "two\nlines", Value: "v"}}, Caller: "dir/we\tird.go:1"}
	want := `INFO [TBOT]      "naïve\n" "two\nlines":v "dir/we\tird.go:1"` + "\n"
	if got := string(AppendText(nil, e)); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}
