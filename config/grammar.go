package config

import (
	"github.com/tbot-telemetry/tbot-telemetry/release"
)

// This file puts the command line of one release together from the release
// table: its global flags and the modes of its `start` with their flags.
// The scanner in filter.go walks the arguments by it, and the parser in
// args.go builds a kingpin application from it.

// modeUnknown stands for a mode newer than this program: it still starts
// one service, of a type no release in the table knows.
const modeUnknown = "unknown-mode"

// tbotCommands are tbot's other top-level commands; none of them starts the
// bot, so none sends the event. Knowing them lets an unknown flag before the
// command be told from the command itself.
var tbotCommands = map[string]bool{
	"start": true, "version": true, "init": true, "migrate": true, "configure": true, "db": true,
	"proxy": true, "keypair": true, "spiffe-inspect": true, "tpm": true, "install": true,
	"copy-binaries": true, "wait": true, "help": true, "kube": true, "ssh-proxy-command": true,
	"ssh-multiplexer-proxy-command": true, "cert-inspect": true, "mcp": true,
}

// grammar is the command line of one release: its global flags and the
// modes of its `start` (one, legacy, for the releases without modes). A
// mode's flags are put together only for the mode an invocation names
// (flags), not for every mode: that would be most of a report's work.
type grammar struct {
	rel    release.Release
	global []release.FlagUse
	// modes: legacy first.
	modes []*release.Mode
	// hasModes: `start <mode>` exists; without it, any word after start is
	// refused.
	hasModes bool
	// open: flags and modes the table does not know are passed over (the
	// tbot may be newer than the table); otherwise they are refused, as
	// that release refuses them.
	open bool
}

// legacyMode stands for `start` in the releases without modes.
var legacyMode = &release.Mode{Name: release.LegacyMode}

// unknownMode is a mode this program has never heard of: it still starts
// one service, and its flags are read as leniently as the shared ones allow:
// those of every modern mode, and the destination and listener that most
// modes take (none of them required).
var unknownMode = &release.Mode{Name: modeUnknown, Adds: &release.ServiceType{Name: modeUnknown},
	Flags: []release.FlagUse{{Flag: release.FlagDestination}, {Flag: release.FlagReaderUser},
		{Flag: release.FlagReaderGroup}, {Flag: release.FlagListen}}}

// grammarFor builds the command line of a release from the release table.
func grammarFor(rel release.Release) grammar {
	g := grammar{rel: rel, open: rel.Open, global: rel.GlobalFlags()}
	modes := rel.Modes()
	if modes == nil {
		g.modes = []*release.Mode{legacyMode}
		return g
	}
	g.hasModes = true
	for _, m := range modes {
		if m.Name == release.LegacyMode {
			g.modes = append([]*release.Mode{m}, g.modes...)
		} else {
			g.modes = append(g.modes, m)
		}
	}
	if rel.Open {
		g.modes = append(g.modes, unknownMode)
	}
	return g
}

// flags returns every flag a mode of g takes.
func (g grammar) flags(m *release.Mode) []release.FlagUse {
	switch m {
	case legacyMode:
		return g.rel.StartFlags()
	case unknownMode:
		return append(g.rel.ModeFlags(), m.Flags...)
	}
	return g.rel.FlagsOf(m)
}

// modeNamed returns the mode of g with the name, or false.
func (g grammar) modeNamed(name string) (*release.Mode, bool) {
	for _, m := range g.modes {
		if m.Name == name {
			return m, true
		}
	}
	return nil, false
}
