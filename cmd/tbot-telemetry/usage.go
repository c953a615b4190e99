package main

import (
	"errors"
	"regexp"
	"strings"
)

// misuse is a wrong use of this program's own command line: report exits
// 2 for it, and exec says so and still runs PROGRAM.
type misuse struct {
	flag    string // the flag at fault, if one is
	value   string // the value given to it, if it matters
	problem string // a sentence saying what was wrong
	hint    string // what to do instead, only where there is something to say
}

func (m *misuse) Error() string { return m.problem }

// maxShownValue bounds how much of a wrong value a usage error repeats.
const maxShownValue = 64

// log writes m as one error line in the format the arguments ask for.
func (m *misuse) log(sys *system, args []string, extra string) {
	attrs := []any{}
	if m.flag != "" {
		attrs = append(attrs, "flag", m.flag)
	}
	if m.flag != "" && m.value != "" {
		v := m.value
		if len(v) > maxShownValue {
			v = v[:maxShownValue] + "…"
		}
		attrs = append(attrs, "value", v)
	}
	if m.hint != "" {
		attrs = append(attrs, "hint", m.hint)
	}
	newClockedLogger(sys.stderr, usageLogFormat(args), false, sys.now).Error(m.problem+extra, attrs...)
}

// usageLogFormat is the log format the arguments ask for, whether they are
// this program's (--log-format) or tbot's: a usage error comes before they
// are read properly, and should still come in the format asked for.
func usageLogFormat(args []string) string {
	for i, a := range args {
		if a == "--log-format=json" || (a == "--log-format" && i+1 < len(args) && args[i+1] == "json") {
			return "json"
		}
	}
	return "text"
}

var (
	kingpinUnknownFlag = regexp.MustCompile(`^unknown (?:long|short) flag '([^']*)'$`)
	kingpinNeedsValue  = regexp.MustCompile(`^expected argument for flag '([^']*)'$`)
	kingpinUnknownCmd  = regexp.MustCompile(`^expected command but got "(.*)"$`)
)

// commandNames are this program's commands, for the hint about an unknown
// one.
const commandNames = "report, exec, collect, version"

// parseMisuse says what was wrong with the command line in the words of
// this program, from kingpin's error or splitPassThrough's.
func parseMisuse(command string, err error) *misuse {
	var m *misuse
	if errors.As(err, &m) {
		return m
	}
	msg := err.Error()
	if f := kingpinUnknownFlag.FindStringSubmatch(msg); f != nil {
		return unknownFlag(command, f[1])
	}
	if f := kingpinNeedsValue.FindStringSubmatch(msg); f != nil {
		return &misuse{flag: f[1], problem: f[1] + " needs a value."}
	}
	if c := kingpinUnknownCmd.FindStringSubmatch(msg); c != nil {
		return &misuse{problem: "Unknown command " + c[1] + ".", hint: "commands: " + commandNames}
	}
	switch msg {
	case "required argument 'program' not provided":
		return &misuse{problem: "exec needs PROGRAM.", hint: "tbot-telemetry exec [FLAGS] -- PROGRAM [ARGS...]"}
	case "command not specified":
		return &misuse{problem: "No command given.", hint: "commands: " + commandNames}
	}
	return &misuse{problem: strings.ToUpper(msg[:1]) + msg[1:] + "."}
}

// unknownFlag is a flag that command does not have. Before report's or
// exec's arguments it may be one of tbot's own, which go after --.
func unknownFlag(command, flag string) *misuse {
	m := &misuse{flag: flag, problem: "Unknown flag " + flag + "."}
	switch command {
	case "report", "exec":
		m.hint = "tbot-telemetry " + command + " --help lists this program's flags; tbot's own arguments go after --"
	case "":
	default:
		m.hint = "tbot-telemetry " + command + " --help lists its flags"
	}
	return m
}

// validate checks the values of the flags (ownflags.Values.Check) and sets
// the deadline they give.
func (f *eventFlags) validate() *misuse {
	d, p := f.Check()
	if p != nil {
		return &misuse{flag: p.Flag, value: p.Value, problem: p.Message, hint: p.Hint}
	}
	f.deadline = d
	return nil
}

// commandOf is the command named in args, as splitPassThrough finds it.
func commandOf(args []string) string {
	for _, a := range args {
		if a == "--" || !strings.HasPrefix(a, "-") {
			if a == "--" {
				return ""
			}
			return a
		}
	}
	return ""
}
