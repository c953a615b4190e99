package config

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// kingpin refuses any flag or command it does not know, but tbot adds flags
// and modes every release and this program must not miss a start because it
// is older than the tbot beside it. filterArgs walks the arguments with the
// same scoping rules as kingpin (global flags everywhere, the start flags of
// the selected mode, legacy's before a mode is named), drops what it does not
// know, and leaves everything it does know for kingpin to parse and judge.

// scope is the set of flags that kingpin accepts at one point of the parse.
type scope struct {
	long  map[string]flagSpec
	short map[rune]flagSpec
}

func newScope(lists ...[]flagSpec) scope {
	s := scope{long: map[string]flagSpec{}, short: map[rune]flagSpec{}}
	for _, l := range lists {
		for _, f := range l {
			s.long[f.name] = f
			if f.short != 0 {
				s.short[f.short] = f
			}
		}
	}
	return s
}

// lookupLong resolves a long flag name, including kingpin's --no-<bool> form.
func (s scope) lookupLong(name string) (flagSpec, bool) {
	if f, ok := s.long[name]; ok {
		return f, true
	}
	if base, ok := strings.CutPrefix(name, "no-"); ok {
		if f, ok := s.long[base]; ok && f.kind == kindBool {
			return f, true
		}
	}
	return flagSpec{}, false
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
	modes   map[string]modeSpec // by name and alias
	args    []string
	next    int // index of the next argument
	level   int
	scope   scope // the flags accepted where the scanner is
	out     []string
	mode    modeSpec
	skipped []string
}

func filterArgs(args []string, g grammar) (out []string, mode modeSpec, skipped []string, err error) {
	s := &argScanner{g: g, modes: map[string]modeSpec{}, args: args, scope: newScope(g.global), out: make([]string, 0, len(args))}
	for _, m := range g.modes {
		if m.name == modeUnknown || !g.hasModes {
			continue
		}
		s.modes[m.name] = m
		for _, a := range m.aliases {
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
	if f.kind != kindBool && !hasValue {
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
		if f.kind == kindBool {
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
		s.scope = newScope(s.g.global, s.g.modes[0].flags)
	case beforeMode:
		m, ok := s.modes[a]
		switch {
		case ok:
			s.out = append(s.out, a)
		case !s.g.open:
			// This release has no such mode, or no modes at all.
			return errors.New("tbot would refuse its arguments: unexpected argument after start")
		default:
			s.skipped = append(s.skipped, "mode "+safeName(a))
			m = modeSpecNamed(s.g.modes, modeUnknown)
			s.out = append(s.out, modeUnknown)
		}
		s.mode = m
		s.level = inMode
		s.scope = newScope(s.g.global, m.flags)
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
func missingValue(flag string) error {
	return fmt.Errorf("tbot would refuse its arguments: flag %s is missing its value", flag)
}

// unknownFlag is what a release that does not know a flag does: it refuses
// to start, so it sends nothing.
func unknownFlag(flag string) error {
	return fmt.Errorf("tbot would refuse its arguments: this tbot release has no flag %s", safeName(flag))
}

func modeSpecNamed(modes []modeSpec, name string) modeSpec {
	for _, m := range modes {
		if m.name == name {
			return m
		}
	}
	return modeSpec{}
}
