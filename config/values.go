package config

import (
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/xhit/go-str2duration/v2"

	"github.com/tbot-telemetry/tbot-telemetry/release"
)

// This file holds the parsed values of tbot's flags: kingpin's values with
// tbot's parser's behaviour (any flag may be repeated, a bool has its
// --no-<name> form, a duration is parsed as tbot parses it), and the
// variables that stand for the flags.

// flagValue holds one parsed flag.
type flagValue struct {
	flag    *release.Flag
	set     bool     // given on the command line
	given   []string // every value given on the command line, in order
	str     *string
	boolean *bool
	strs    *[]string
	dur     *time.Duration
}

// text is the flag's value as a string, "" for a flag that takes none.
func (v *flagValue) text() string {
	if v.str == nil {
		return ""
	}
	return *v.str
}

// flagValues holds the flags of the global scope and the selected mode.
type flagValues []*flagValue

type flagAdder interface {
	Flag(name, help string) *kingpin.FlagClause
}

// register adds flags to a kingpin command and returns their values.
func register(cmd flagAdder, uses []release.FlagUse) flagValues {
	values := make(flagValues, 0, len(uses))
	for _, u := range uses {
		f := u.Flag
		v := &flagValue{flag: f}
		clause := cmd.Flag(f.Name, "").IsSetByUser(&v.set)
		if f.Short != 0 {
			clause = clause.Short(rune(f.Short))
		}
		if u.Required {
			clause = clause.Required()
		}
		// tbot's parser lets any flag be repeated (the last one wins, a
		// list grows), which kingpin allows only for values that say so.
		switch f.Kind {
		case release.Bool:
			v.boolean = new(bool)
			clause.SetValue(&repeatableBool{p: v.boolean})
		case release.Strings:
			v.strs = new([]string)
			clause.SetValue(&repeatableStrings{p: v.strs})
		case release.Duration:
			v.dur = new(time.Duration)
			clause.SetValue(&durationValue{flag: f.Name, d: v.dur})
		default:
			v.str = new(string)
			clause.SetValue(&repeatableString{p: v.str, all: &v.given})
		}
		values = append(values, v)
	}
	return values
}

// reading returns the value of the flag that this program reads for r, or
// nil where the command has none.
func (vs flagValues) reading(r release.Reading) *flagValue {
	for _, v := range vs {
		if v.flag.Reads == r {
			return v
		}
	}
	return nil
}

// of returns the value of a flag, or nil where the command has none.
func (vs flagValues) of(f *release.Flag) *flagValue {
	for _, v := range vs {
		if v.flag == f {
			return v
		}
	}
	return nil
}

// applyEnv fills flags that the command line left unset from the variables
// the release binds them to; like kingpin, it refuses a bool that does not
// parse.
func (vs flagValues) applyEnv(env Env, rel release.Release) error {
	for _, v := range vs {
		name := rel.Binds(v.flag)
		if name == "" || v.set {
			continue
		}
		val, ok := env.lookup(name)
		if !ok {
			continue
		}
		switch v.flag.Kind {
		case release.Bool:
			b, err := strconv.ParseBool(val)
			if err != nil {
				return refuse(EnvNotBool, name)
			}
			*v.boolean = b
		case release.Strings:
			*v.strs = append(*v.strs, val)
		case release.Duration:
			d, err := str2duration.ParseDuration(val)
			if err != nil {
				return refuse(BadFlagValue, "--"+v.flag.Name)
			}
			*v.dur = d
		default:
			*v.str = val
		}
	}
	return nil
}

// durationValue parses a duration as kingpin does, with an error that names
// the flag rather than quoting the value.
type durationValue struct {
	flag string
	d    *time.Duration
}

func (v *durationValue) Set(s string) error {
	d, err := str2duration.ParseDuration(s)
	if err != nil {
		return refuse(BadFlagValue, "--"+v.flag)
	}
	*v.d = d
	return nil
}

func (v *durationValue) String() string { return v.d.String() }

// IsCumulative lets the flag be repeated, as tbot's parser does.
func (v *durationValue) IsCumulative() bool { return true }

// repeatableString is a string flag that may be given more than once; the
// last value wins, and every value given is kept for the checks that tbot's
// parser makes of each (an enum refuses a bad one even if a good one
// follows).
type repeatableString struct {
	p   *string
	all *[]string
}

func (v *repeatableString) Set(s string) error {
	*v.p = s
	*v.all = append(*v.all, s)
	return nil
}
func (v *repeatableString) String() string     { return *v.p }
func (v *repeatableString) IsCumulative() bool { return true }

// repeatableStrings is a list flag (--ca-pin): each value is added.
type repeatableStrings struct{ p *[]string }

func (v *repeatableStrings) Set(s string) error { *v.p = append(*v.p, s); return nil }
func (v *repeatableStrings) String() string     { return strings.Join(*v.p, ",") }
func (v *repeatableStrings) IsCumulative() bool { return true }

// repeatableBool is a bool flag, with kingpin's --no-<flag> form, that may
// be given more than once; the last one wins.
type repeatableBool struct{ p *bool }

func (v *repeatableBool) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	*v.p = b
	return nil
}
func (v *repeatableBool) String() string     { return strconv.FormatBool(*v.p) }
func (v *repeatableBool) IsBoolFlag() bool   { return true }
func (v *repeatableBool) IsCumulative() bool { return true }
