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

func filterArgs(args []string, g grammar) (out []string, mode modeSpec, skipped []string, err error) {
	modes := g.modes
	byName := map[string]modeSpec{}
	for _, m := range modes {
		if m.name == modeUnknown || !g.hasModes {
			continue
		}
		byName[m.name] = m
		for _, a := range m.aliases {
			byName[a] = m
		}
	}

	const (
		beforeCommand = iota
		beforeMode
		inMode
	)
	level := beforeCommand
	current := newScope(g.global)
	out = make([]string, 0, len(args))

	// isMeaningful tells whether a positional argument after an unknown flag
	// is the next command or mode rather than that flag's value.
	isMeaningful := func(a string) bool {
		switch level {
		case beforeCommand:
			return tbotCommands[a]
		case beforeMode:
			_, ok := byName[a]
			return ok
		}
		return false
	}
	isValue := func(a string) bool { return a == "-" || !strings.HasPrefix(a, "-") }

	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			// kingpin reads everything after -- as positional; tbot's start
			// modes take none, so kingpin will refuse them as tbot does.
			out = append(out, args[i:]...)
			return out, mode, skipped, nil

		case strings.HasPrefix(a, "--"):
			name, _, hasValue := strings.Cut(a[2:], "=")
			if helpFlags[name] || strings.HasPrefix(name, "completion-") {
				return nil, mode, nil, ErrNotStart
			}
			f, ok := current.lookupLong(name)
			if !ok && !g.open {
				return nil, mode, nil, unknownFlag("--" + name)
			}
			if !ok {
				skipped = append(skipped, safeName("--"+name))
				if !hasValue && i+1 < len(args) && isValue(args[i+1]) && !isMeaningful(args[i+1]) {
					i++
				}
				continue
			}
			out = append(out, a)
			if f.kind != kindBool && !hasValue {
				if i+1 >= len(args) || !isValue(args[i+1]) {
					return nil, mode, nil, missingValue("--" + name)
				}
				out = append(out, args[i+1])
				i++
			}

		case strings.HasPrefix(a, "-") && len(a) > 1:
			// A cluster of short flags (-dc path, -cpath) is split into the
			// separate forms kingpin accepts, minus the letters it would not.
			runes := []rune(a[1:])
			for j := 0; j < len(runes); j++ {
				f, ok := current.short[runes[j]]
				if !ok && !g.open {
					return nil, mode, nil, unknownFlag("-" + string(runes[j]))
				}
				if !ok {
					skipped = append(skipped, safeName("-"+string(runes[j])))
					if len(runes) == 1 && i+1 < len(args) && isValue(args[i+1]) && !isMeaningful(args[i+1]) {
						i++
					}
					break
				}
				if f.kind == kindBool {
					out = append(out, "-"+string(runes[j]))
					continue
				}
				out = append(out, "-"+string(runes[j]))
				if rest := string(runes[j+1:]); rest != "" {
					out = append(out, rest)
				} else if i+1 < len(args) && isValue(args[i+1]) {
					out = append(out, args[i+1])
					i++
				} else {
					return nil, mode, nil, missingValue("-" + string(runes[j]))
				}
				break
			}

		default:
			switch level {
			case beforeCommand:
				if a != "start" {
					return nil, mode, nil, ErrNotStart
				}
				out = append(out, a)
				level = beforeMode
				current = newScope(g.global, modes[0].flags)
			case beforeMode:
				m, ok := byName[a]
				if !ok && !g.open {
					// This release has no such mode, or no modes at all.
					return nil, mode, nil, errors.New("tbot would refuse its arguments: unexpected argument after start")
				}
				if ok {
					out = append(out, a)
				} else {
					skipped = append(skipped, "mode "+safeName(a))
					m = modeSpecNamed(modes, modeUnknown)
					out = append(out, modeUnknown)
				}
				mode = m
				level = inMode
				current = newScope(g.global, m.flags)
			default:
				out = append(out, a)
			}
		}
	}
	if level == beforeCommand {
		// tbot with no command prints its usage.
		return nil, mode, nil, ErrNotStart
	}
	return out, mode, skipped, nil
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
