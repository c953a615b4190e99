package config

import (
	"regexp"
	"strings"
	"sync"

	"github.com/tbot-telemetry/tbot-telemetry/release"
)

// kingpin refuses any flag or command it does not know, but tbot adds flags
// and modes every release and this program must not miss a start because it
// is older than the tbot beside it. filterArgs walks the arguments with the
// same scoping rules as kingpin (global flags everywhere, the start flags of
// the selected mode, legacy's before a mode is named), drops what it does not
// know, and leaves everything it does know for kingpin to parse and judge.

// scope is the set of flags that kingpin accepts at one point of the parse.
type scope struct {
	long  map[string]*release.Flag
	short map[rune]*release.Flag
}

func newScope(lists ...[]release.FlagUse) scope {
	s := scope{long: map[string]*release.Flag{}, short: map[rune]*release.Flag{}}
	for _, l := range lists {
		for _, u := range l {
			s.long[u.Flag.Name] = u.Flag
			if u.Flag.Short != 0 {
				s.short[rune(u.Flag.Short)] = u.Flag
			}
		}
	}
	return s
}

// lookupLong resolves a long flag name, including kingpin's --no-<bool> form.
func (s scope) lookupLong(name string) (*release.Flag, bool) {
	if f, ok := s.long[name]; ok {
		return f, true
	}
	if base, ok := strings.CutPrefix(name, "no-"); ok {
		if f, ok := s.long[base]; ok && f.Kind == release.Bool {
			return f, true
		}
	}
	return nil, false
}

// helpFlags make tbot print something and exit: no start.
var helpFlags = map[string]bool{"help": true, "help-long": true, "help-man": true}

// printableName is how a passed-over flag or mode may appear in a debug line:
// a name, never a value that was mistaken for one.
// It is compiled on first use: most runs pass nothing over.
var printableName = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^-{0,2}[A-Za-z0-9][A-Za-z0-9/_-]{0,39}$`)
})

func safeName(s string) string {
	if printableName().MatchString(s) {
		return s
	}
	return "(unprintable)"
}

// The three places an argument can be in: before the command, between
// `start` and its mode, and after the mode (or after `start`, for the
// releases without modes).
const (
	beforeCommand = iota
	beforeMode
	inMode
)

// argScanner walks tbot's arguments once, keeping what kingpin should see.
type argScanner struct {
	g       grammar
	modes   map[string]*release.Mode // by name and alias
	args    []string
	next    int // index of the next argument
	level   int
	scope   scope // the flags accepted where the scanner is
	out     []string
	mode    *release.Mode
	skipped []string
}

// filterArgs returns the arguments kingpin should see, the mode they name
// (nil where they name none), and the names of what it passed over.
func filterArgs(args []string, g grammar) (out []string, mode *release.Mode, skipped []string, err error) {
	s := &argScanner{g: g, modes: map[string]*release.Mode{}, args: args, scope: newScope(g.global), out: make([]string, 0, len(args))}
	for _, m := range g.modes {
		if m.Name == modeUnknown || !g.hasModes {
			continue
		}
		s.modes[m.Name] = m
		for _, a := range m.Aliases {
			s.modes[a] = m
		}
	}
	for s.next < len(args) {
		a := args[s.next]
		s.next++
		switch {
		case a == "--":
			// kingpin reads everything after -- as positional; tbot's start
			// modes take none, so kingpin will refuse them as tbot does.
			s.out = append(s.out, args[s.next-1:]...)
			return s.out, s.mode, s.skipped, nil
		case strings.HasPrefix(a, "--"):
			err = s.longFlag(a)
		case strings.HasPrefix(a, "-") && len(a) > 1:
			err = s.shortFlags(a)
		default:
			err = s.positional(a)
		}
		if err != nil {
			return nil, s.mode, nil, err
		}
	}
	if s.level == beforeCommand {
		// tbot with no command prints its usage.
		return nil, s.mode, nil, ErrNotStart
	}
	return s.out, s.mode, s.skipped, nil
}

// longFlag handles --name, --name=value and --name value.
func (s *argScanner) longFlag(a string) error {
	name, _, hasValue := strings.Cut(a[2:], "=")
	if helpFlags[name] || strings.HasPrefix(name, "completion-") {
		return ErrNotStart
	}
	f, ok := s.scope.lookupLong(name)
	if !ok {
		return s.unknown("--"+name, !hasValue)
	}
	s.out = append(s.out, a)
	if f.Kind != release.Bool && !hasValue {
		if !s.valueFollows() {
			return missingValue("--" + name)
		}
		s.take()
	}
	return nil
}

// shortFlags splits a cluster of short flags (-dc path, -cpath) into the
// separate forms kingpin accepts.
func (s *argScanner) shortFlags(a string) error {
	runes := []rune(a[1:])
	for j, r := range runes {
		f, ok := s.scope.short[r]
		if !ok {
			return s.unknown("-"+string(r), len(runes) == 1)
		}
		s.out = append(s.out, "-"+string(r))
		if f.Kind == release.Bool {
			continue
		}
		if rest := string(runes[j+1:]); rest != "" {
			s.out = append(s.out, rest)
		} else if s.valueFollows() {
			s.take()
		} else {
			return missingValue("-" + string(r))
		}
		return nil
	}
	return nil
}

// positional handles the command, the mode, and anything after them.
func (s *argScanner) positional(a string) error {
	switch s.level {
	case beforeCommand:
		if a != "start" {
			return ErrNotStart
		}
		s.out = append(s.out, a)
		s.level = beforeMode
		s.scope = newScope(s.g.global, s.g.flags(s.g.modes[0]))
	case beforeMode:
		m, ok := s.modes[a]
		switch {
		case ok:
			s.out = append(s.out, a)
		case !s.g.open:
			// This release has no such mode, or no modes at all.
			return refuse(UnexpectedArgument, "").with("after start")
		default:
			s.skipped = append(s.skipped, "mode "+safeName(a))
			m, _ = s.g.modeNamed(modeUnknown)
			s.out = append(s.out, modeUnknown)
		}
		s.mode = m
		s.level = inMode
		s.scope = newScope(s.g.global, s.g.flags(m))
	default:
		s.out = append(s.out, a)
	}
	return nil
}

// unknown handles a flag the release does not know: a closed release
// refuses it; an open one passes it over, with the value that follows it
// when it may take one and that value is not the next command or mode.
func (s *argScanner) unknown(flag string, mayTakeValue bool) error {
	if !s.g.open {
		return unknownFlag(flag)
	}
	s.skipped = append(s.skipped, safeName(flag))
	if mayTakeValue && s.valueFollows() && !s.isCommandOrMode(s.args[s.next]) {
		s.next++
	}
	return nil
}

// valueFollows tells whether the next argument can be a flag's value.
func (s *argScanner) valueFollows() bool {
	if s.next >= len(s.args) {
		return false
	}
	a := s.args[s.next]
	return a == "-" || !strings.HasPrefix(a, "-")
}

// take keeps the next argument as the value of the flag just kept.
func (s *argScanner) take() {
	s.out = append(s.out, s.args[s.next])
	s.next++
}

// isCommandOrMode tells whether a positional argument after an unknown flag
// is the next command or mode rather than that flag's value.
func (s *argScanner) isCommandOrMode(a string) bool {
	switch s.level {
	case beforeCommand:
		return tbotCommands[a]
	case beforeMode:
		_, ok := s.modes[a]
		return ok
	}
	return false
}

// missingValue is checked here rather than left to kingpin, which, where a
// default command exists, drops a flag that lacks its value without a word.
func missingValue(flag string) error { return refuse(MissingValue, flag) }

// unknownFlag is what a release that does not know a flag does: it refuses
// to start, so it sends nothing.
func unknownFlag(flag string) error { return refuse(UnknownFlag, flag) }
