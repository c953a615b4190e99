package config

import (
	"errors"

	"github.com/tbot-telemetry/tbot-telemetry/release"
)

// View is what the start event is derived from: tbot's configuration after
// it merged its flags over its file, by the rules of its release.
type View struct {
	// Release is the tbot whose rules made the view; its line says what its
	// event reports when no join method is set.
	Release release.Release
	// Oneshot is true when tbot would run once and exit.
	Oneshot bool
	// JoinMethod is the configured join method, one that the release
	// accepts; empty when nothing configures one.
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

// merge applies the release's rules for flags over the file
// (docs/release-lines.md), then the checks it makes on the result before it
// sends.
func merge(inv *Invocation, file *fileView) (*View, error) {
	rel := inv.Release
	v := &View{Release: rel, Oneshot: file.Oneshot}
	if inv.OneshotSet && (rel.NoOneshotWins || inv.Oneshot) {
		v.Oneshot = inv.Oneshot
	}

	// Any onboarding flag replaces the file's whole onboarding block. Where
	// --join-method has a default, giving that default is not noticed.
	joinMethod, caPins, caPath := file.JoinMethod, file.CAPinsSet, file.CAPathSet
	flagMethod := inv.JoinMethod
	if flagMethod == "" {
		flagMethod = rel.JoinMethodFlagDefault
	}
	if inv.TokenSet || inv.CAPinsSet || flagMethod != rel.JoinMethodFlagDefault {
		joinMethod, caPins, caPath = flagMethod, inv.CAPinsSet, false
	}
	if rel.ChecksCAPinsAndPath && caPins && caPath {
		return nil, errors.New("tbot would refuse its configuration: ca_pins and ca_path together")
	}
	// Until v17 --insecure was applied after the checks; the file's
	// `insecure: true` was checked all along.
	insecure := file.Insecure || (inv.Insecure && rel.ChecksInsecureFlag)
	if rel.ChecksCAPinsAndPath && insecure && (caPins || caPath) {
		return nil, errors.New("tbot would refuse its configuration: insecure together with a CA pin or path")
	}
	if joinMethod != "" && !release.Knows(rel.JoinMethods, joinMethod) {
		if !rel.Open || !release.AnyLineAccepts(joinMethod) {
			return nil, joinMethodRefusal(rel)
		}
	}
	v.JoinMethod = joinMethod

	// What the flags replace is never checked; what is left is, as the
	// release checks its merged configuration before it sends.
	outputs, services := file.Outputs, file.Services
	if inv.DestinationDir {
		switch rel.DestinationDir {
		case release.ReplacesDestinations, release.ReplacesOutputs:
			outputs = []entry{{typ: "identity"}}
		case release.ReplacesServicesKeepsOutputs:
			services = []entry{{typ: "identity"}}
		}
	}
	if inv.ServiceType != "" {
		services = append(append([]entry{}, services...), entry{typ: inv.ServiceType})
	}
	if file.StorageErr != nil && !inv.DataDir {
		return nil, file.StorageErr
	}
	for _, e := range append(append([]entry{}, services...), outputs...) {
		if e.err != nil {
			return nil, e.err
		}
	}
	counted := outputs
	if rel.Counts == release.CountsServices {
		counted = append(append([]entry{}, services...), outputs...)
	}
	v.Counted = make([]string, 0, len(counted))
	for _, e := range counted {
		v.Counted = append(v.Counted, e.typ)
	}
	return v, nil
}

// joinMethodRefusal says why a join method is not sent, without the
// method itself: it is text the user wrote, and may be a pasted secret.
func joinMethodRefusal(rel release.Release) error {
	switch {
	case rel.Open:
		return errors.New("the join method is not one that any tbot release accepts; nothing of it is sent")
	case rel.ChecksJoinMethod:
		return errors.New("tbot would refuse the join method: this tbot release does not accept it")
	}
	// v12-v13 sent a file's join method unchecked; this program sends no
	// text that is not a known join method.
	return errors.New("the join method is not one that this tbot release accepts; not sending it")
}
