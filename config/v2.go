package config

import (
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tbot-telemetry/tbot-telemetry/release"
)

// This file is the v2 file format (Teleport 14 and later): its schema, and
// the checks tbot makes of its storage, outputs and services. What each
// type requires of its entries is the release table's (requirements.go
// checks it).

// parseV2 reads a v2 file as the release reads it.
func parseV2(doc *yaml.Node, rel release.Release) (*fileView, error) {
	if err := checkV2Keys(doc, rel); err != nil {
		return nil, err
	}
	if err := checkNullEntries(doc); err != nil {
		return nil, err
	}
	var f fileV2
	if err := doc.Decode(&f); err != nil {
		return nil, describeYAMLError(err, nil)
	}
	return f.view(rel)
}

type fileV2 struct {
	commonYAML    `yaml:",inline"`
	Storage       destinationV2 `yaml:"storage"`
	ProxyServer   string        `yaml:"proxy_server"`
	CredentialTTL time.Duration `yaml:"credential_ttl"`
	Insecure      bool          `yaml:"insecure"`
	// JoinURI is decoded for its type alone: tbot applies it only after
	// its event is on its way (docs/release-lines.md).
	JoinURI  string    `yaml:"join_uri"`
	Outputs  entriesV2 `yaml:"outputs"`
	Services entriesV2 `yaml:"services"`
}

// serviceYAML is one entry of outputs or services: its type and
// destination, and its node, which the type's requirements read.
type serviceYAML struct {
	Type        string
	Name        string
	Destination destinationV2
	node        *yaml.Node
}

func (s *serviceYAML) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return wrongKind(n, "a mapping")
	}
	var p struct {
		Type        string        `yaml:"type"`
		Name        string        `yaml:"name"`
		Destination destinationV2 `yaml:"destination"`
	}
	if err := n.Decode(&p); err != nil {
		return err
	}
	*s = serviceYAML{Type: p.Type, Name: p.Name, Destination: p.Destination, node: n}
	return nil
}

// entriesV2 is a v2 `outputs` or `services` list. tbot reads it entry by
// entry from whatever node it is given, so a scalar there is an empty list,
// and a mapping is a list of entries that are not mappings.
type entriesV2 []serviceYAML

func (es *entriesV2) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		return nil
	case yaml.MappingNode:
		return wrongKind(n, "a list")
	}
	var list []serviceYAML
	if err := n.Decode(&list); err != nil {
		return err
	}
	*es = list
	return nil
}

// destinationV2 is a v2 destination (of an output, or storage):
// {type: directory, path}, {type: memory} or {type: kubernetes_secret, name}.
type destinationV2 struct {
	set  bool
	Type string `yaml:"type"`
	Path string `yaml:"path"`
	Name string `yaml:"name"`
	line int
}

func (d *destinationV2) UnmarshalYAML(n *yaml.Node) error {
	if n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return wrongKind(n, "a mapping")
	}
	var p struct {
		Type string `yaml:"type"`
		Path string `yaml:"path"`
		Name string `yaml:"name"`
	}
	if err := n.Decode(&p); err != nil {
		return err
	}
	*d = destinationV2{set: true, Type: p.Type, Path: p.Path, Name: p.Name, line: n.Line}
	return nil
}

// readCheck refuses, as tbot (v14 on) reads the file, a destination of no
// type it knows. A tbot newer than the table may know more types.
func (d destinationV2) readCheck(open bool) error {
	if !d.set {
		return nil
	}
	switch d.Type {
	case "directory", "memory", "kubernetes_secret":
		return nil
	case "":
	default:
		if open {
			return nil
		}
	}
	return badField(d.line, "a destination has no type this tbot release knows")
}

// laterCheck refuses, once the flags are merged, a directory without a path
// and a secret without a name.
func (d destinationV2) laterCheck() error {
	switch {
	case d.set && d.Type == "directory" && d.Path == "":
		return badField(d.line, "a directory destination has no path")
	case d.set && d.Type == "kubernetes_secret" && d.Name == "":
		return badField(d.line, "a kubernetes_secret destination has no name")
	}
	return nil
}

func (f fileV2) view(rel release.Release) (*fileView, error) {
	if err := f.Storage.readCheck(rel.Open); err != nil {
		return nil, err
	}
	v := f.commonYAML.view()
	v.Insecure = f.Insecure
	v.StorageErr = f.Storage.laterCheck()
	for _, list := range []struct {
		name   string
		from   []serviceYAML
		lookup func(string) (*release.ServiceType, bool)
		to     *[]entry
	}{{"outputs", f.Outputs, rel.OutputType, &v.Outputs}, {"services", f.Services, rel.ServiceType, &v.Services}} {
		for _, s := range list.from {
			e, err := s.entry(list.name, list.lookup, rel)
			if err != nil {
				return nil, err
			}
			*list.to = append(*list.to, e)
		}
	}
	return v, nil
}

// entry reads one entry of a list as the release does: its type must be
// one the release takes under that list (a release that may be newer than
// the table passes over one it does not know), its destination of a known
// type; what its type requires is checked once the flags are merged.
func (s serviceYAML) entry(list string, lookup func(string) (*release.ServiceType, bool), rel release.Release) (entry, error) {
	line := s.node.Line
	if s.Type == "" {
		return entry{}, refuse(NoType, list).at(line)
	}
	t, known := lookup(s.Type)
	if !known && !rel.Open {
		return entry{}, refuse(UnknownType, s.Type).at(line).with(list)
	}
	if err := s.Destination.readCheck(rel.Open); err != nil {
		return entry{}, err
	}
	e := entry{typ: s.Type, name: s.Name, line: line}
	e.check = func(c checkContext) error {
		if err := s.Destination.laterCheck(); err != nil {
			return err
		}
		if t == nil {
			return nil
		}
		return checkRequirements(s.node, rel.Requirements(t), c, "an entry of "+list+" of type "+s.Type)
	}
	return e, nil
}

// checkNullEntries refuses an empty entry of outputs or services: tbot
// reads it as an entry of type "", which it does not know.
func checkNullEntries(doc *yaml.Node) error {
	for _, list := range []string{"outputs", "services"} {
		if entries := child(documentRoot(doc), list); entries != nil && entries.Kind == yaml.SequenceNode {
			for _, e := range entries.Content {
				if e.Tag == "!!null" {
					return refuse(NoType, list).at(e.Line)
				}
			}
		}
	}
	return nil
}
