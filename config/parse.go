package config

import (
	"bytes"
	"errors"
	"io"

	"gopkg.in/yaml.v3"

	"github.com/tbot-telemetry/tbot-telemetry/release"
)

// fileView is what a configuration file says that the event needs.
type fileView struct {
	Oneshot    bool
	JoinMethod string
	CAPinsSet  bool
	CAPathSet  bool
	Insecure   bool
	// Outputs holds v2 outputs and v1 destinations (by the output type tbot
	// migrated them into, or would have); Services the v2 services.
	Outputs  []entry
	Services []entry
	// StorageErr is what the release refuses in the file's storage once it
	// has merged its flags, unless a flag replaced it.
	StorageErr error
}

// entry is one output, service or v1 destination: its type as a v2 file
// spells it, its name where it has one, and what the release refuses in it
// once it has merged its flags over the file (nil when nothing), which
// matters only if no flag replaced it.
type entry struct {
	typ   string
	name  string
	line  int
	check func(checkContext) error
}

// checkContext is what an entry's checks need of the merged configuration.
type checkContext struct {
	Oneshot bool
}

// refusing is an entry check that refuses with err whatever the merged
// configuration says (nil when err is nil).
func refusing(err error) func(checkContext) error {
	if err == nil {
		return nil
	}
	return func(checkContext) error { return err }
}

// parseFile decodes a configuration file as the given release of tbot does:
// the version first (where the release reads one), then the whole file as
// that version, with yaml.v3 (tbot's parser), strictly or leniently as to
// unknown keys as that release is, and with the checks that release makes
// before it sends its event.
func parseFile(data []byte, rel release.Release) (*fileView, error) {
	v, err := parseFileAs(data, rel)
	var r *Refusal
	if errors.As(err, &r) && looksLikeTemplate(data) {
		// A Helm or Go template that was never rendered fails in ways that
		// name a wrong type or a cut-off line; say what it most likely is.
		r.Hint = "the file looks like an unrendered template: it still has {{ }} in it"
	}
	return v, err
}

// looksLikeTemplate tells whether a file still holds template actions.
func looksLikeTemplate(data []byte) bool {
	open := bytes.Index(data, []byte("{{"))
	return open >= 0 && bytes.Contains(data[open:], []byte("}}"))
}

func parseFileAs(data []byte, rel release.Release) (*fileView, error) {
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, refuse(FileEmpty, "")
		}
		return nil, describeYAMLError(err, data)
	}
	var header struct {
		Version string `yaml:"version"`
	}
	if rel.Has(release.ReadsVersionKey) {
		if err := doc.Decode(&header); err != nil {
			return nil, describeYAMLError(err, data)
		}
	}
	switch header.Version {
	case "", "v1":
		if !rel.Has(release.ReadsV1) {
			return nil, refuse(V1NotRead, "")
		}
		return parseV1(&doc, rel)
	case "v2":
		if !rel.Has(release.ReadsV2) {
			return nil, refuse(UnknownVersion, "")
		}
		return parseV2(&doc, rel)
	}
	return nil, refuse(UnknownVersion, "")
}
