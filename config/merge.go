package config

import (
	"github.com/tbot-telemetry/tbot-telemetry/release"
)

// This file merges the command line over the file as the release does
// (docs/release-lines.md, "Flags over the file"), then makes the checks the
// release makes of its merged configuration before it sends.

// View is what the start event is derived from: tbot's configuration after
// it merged its flags over its file, by the rules of its release.
type View struct {
	// Release is the tbot whose rules made the view; it says what its
	// event reports when no join method is set.
	Release release.Release
	// Oneshot is true when tbot would run once and exit.
	Oneshot bool
	// JoinMethod is the configured join method: one that the release
	// accepts, or, for a release that never checked it (12.1-13), one that
	// some release accepts; empty when nothing configures one.
	JoinMethod string
	// Counted holds the type of every entry the release's event counts, as
	// a v2 file spells it (v1 destinations by the output type of the same
	// access).
	Counted []string
}

// Load reads the configuration file the invocation names (if any) and
// merges the invocation over it as the invocation's release of tbot does.
func (inv *Invocation) Load() (*View, error) {
	file := &fileView{}
	var data []byte
	var err error
	switch {
	case inv.ConfigString != "":
		data, err = decodeConfigString(inv.ConfigString)
	case inv.ConfigPath != "":
		data, err = readConfigFile(inv.ConfigPath)
	}
	if err != nil {
		return nil, err
	}
	if data != nil {
		if file, err = parseFile(data, inv.Release); err != nil {
			return nil, err
		}
	}
	return merge(inv, file)
}

// merge applies the release's rules for flags over the file, then the
// checks it makes of the result before it sends.
func merge(inv *Invocation, file *fileView) (*View, error) {
	rel := inv.Release
	v := &View{Release: rel, Oneshot: file.Oneshot}
	if inv.OneshotSet && (rel.Has(release.NoFlagsWin) || inv.Oneshot) {
		v.Oneshot = inv.Oneshot
	}
	method, err := mergeOnboarding(inv, file)
	if err != nil {
		return nil, err
	}
	v.JoinMethod = method

	// What the flags replace is never checked; what is left is, as the
	// release checks its merged configuration before it sends.
	outputs, services := file.Outputs, file.Services
	if inv.DestinationDir {
		identity := []entry{{typ: "identity"}}
		if rel.Has(release.DestinationDirKeepsOutputs) {
			services = identity
		} else {
			outputs = identity
		}
	}
	if inv.mode != nil {
		services = append(append([]entry{}, services...), *inv.mode)
	}
	if file.StorageErr != nil && !inv.DataDir {
		return nil, file.StorageErr
	}
	all := append(append([]entry{}, services...), outputs...)
	if err := checkEntries(all, rel, checkContext{Oneshot: v.Oneshot}); err != nil {
		return nil, err
	}
	counted := outputs
	if rel.Has(release.CountsServices) {
		counted = all
	}
	v.Counted = make([]string, 0, len(counted))
	for _, e := range counted {
		v.Counted = append(v.Counted, e.typ)
	}
	return v, nil
}

// mergeOnboarding is the join method once the flags are merged: any
// onboarding flag replaces the file's whole onboarding block (where
// --join-method has a default, giving that default is not noticed). It
// refuses what the release refuses of the merged onboarding, and what this
// program never sends.
func mergeOnboarding(inv *Invocation, file *fileView) (string, error) {
	rel := inv.Release
	method, caPins, caPath := file.JoinMethod, file.CAPinsSet, file.CAPathSet
	flagMethod, flagDefault := inv.JoinMethod, ""
	if rel.Has(release.JoinMethodFlagDefaultsToToken) {
		flagDefault = "token"
	}
	if flagMethod == "" {
		flagMethod = flagDefault
	}
	if inv.TokenSet || inv.CAPinsSet || flagMethod != flagDefault {
		method, caPins, caPath = flagMethod, inv.CAPinsSet, false
	}
	if err := checkCAOptions(inv, file.Insecure, caPins, caPath); err != nil {
		return "", err
	}
	if method == "" || rel.AcceptsJoinMethod(method) {
		return method, nil
	}
	switch {
	case rel.Open || !rel.Has(release.ChecksJoinMethod):
		// A release that may be newer than the table, or one that sent
		// the file's method unchecked (12.1-13): a method some release
		// accepts is sent, any other text never is.
		if release.AnyReleaseAccepts(method) {
			return method, nil
		}
		return "", refuse(JoinMethodUnknown, "")
	}
	return "", refuse(JoinMethodRefused, "")
}

// checkCAOptions refuses the CA options the release refuses together:
// ca_pins with ca_path, and insecure with either.
func checkCAOptions(inv *Invocation, fileInsecure, caPins, caPath bool) error {
	rel := inv.Release
	if !rel.Has(release.ChecksCAPinsAndPath) {
		return nil
	}
	// Before the CLI checked --insecure too, it was applied after the
	// checks; the file's `insecure: true` was checked all along.
	insecure := fileInsecure
	switch {
	case inv.InsecureSet && inv.Insecure && rel.Has(release.ChecksInsecureFlag):
		insecure = true
	case inv.InsecureSet && !inv.Insecure && rel.Has(release.NoFlagsWin):
		insecure = false // --no-insecure over the file's `insecure: true`
	}
	switch {
	case caPins && caPath:
		return refuse(CAConflict, "").with("ca_pins and ca_path together")
	case insecure && (caPins || caPath):
		return refuse(CAConflict, "").with("insecure together with a CA pin or path")
	}
	return nil
}

// checkEntries makes each entry's own checks, and the release's checks
// across entries.
func checkEntries(all []entry, rel release.Release, c checkContext) error {
	names := map[string]bool{}
	for _, e := range all {
		if e.check != nil {
			if err := e.check(c); err != nil {
				return err
			}
		}
		if e.name == "" || !rel.Has(release.UniqueEntryNames) {
			continue
		}
		if names[e.name] {
			return badField(e.line, "two entries have the same name")
		}
		names[e.name] = true
	}
	return nil
}
