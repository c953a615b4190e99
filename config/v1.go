package config

import (
	"slices"

	"gopkg.in/yaml.v3"

	"github.com/tbot-telemetry/tbot-telemetry/release"
)

// This file is the v1 file format (Teleport 10-13): its schema, and the
// checks tbot makes of its destinations: v12-v13 as they read it, v14 and
// later as they migrate it into v2 outputs (docs/release-lines.md).

// parseV1 reads a v1 file as the release reads it.
func parseV1(doc *yaml.Node, rel release.Release) (*fileView, error) {
	if err := checkV1Keys(doc, rel); err != nil {
		return nil, err
	}
	var f fileV1
	if err := doc.Decode(&f); err != nil {
		return nil, describeYAMLError(err, nil)
	}
	v, err := f.view(rel)
	if err == nil && !rel.Has(release.MigratesV1) {
		v.Outputs = append(v.Outputs, nullDestinations(doc)...)
	}
	return v, err
}

type fileV1 struct {
	commonYAML   `yaml:",inline"`
	Storage      destinationV1   `yaml:"storage"`
	Destinations []destinationV1 `yaml:"destinations"`
	// Outputs is only looked for: from v14 on, a file without a version
	// that has outputs is refused rather than migrated.
	Outputs sequence `yaml:"outputs"`
}

type destinationV1 struct {
	Directory         directoryV1 `yaml:"directory"`
	Memory            memoryV1    `yaml:"memory"`
	Roles             []string    `yaml:"roles"`
	Configs           templatesV1 `yaml:"configs"`
	App               name        `yaml:"app"`
	Database          databaseV1  `yaml:"database"`
	KubernetesCluster name        `yaml:"kubernetes_cluster"`
	Cluster           string      `yaml:"cluster"`
	line              int
}

func (d *destinationV1) UnmarshalYAML(n *yaml.Node) error {
	type plain destinationV1 // without this method, to decode the fields
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*d = destinationV1(p)
	d.line = n.Line
	return nil
}

// databaseV1 is a v1 destination's database request; tbot requires its
// service.
type databaseV1 struct {
	set     bool
	Service string `yaml:"service"`
}

func (d *databaseV1) UnmarshalYAML(n *yaml.Node) error {
	if n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return wrongKind(n, "a mapping")
	}
	type plain struct {
		Service string `yaml:"service"`
	}
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	d.set, d.Service = true, p.Service
	return nil
}

// directoryV1 is a v1 `directory:`, a path or {path, symlinks, acls}.
type directoryV1 struct {
	set     bool
	hasPath bool
	badMode bool // symlinks or acls of a value tbot does not know
}

func (d *directoryV1) UnmarshalYAML(n *yaml.Node) error {
	switch {
	case n.Tag == "!!null":
		return nil
	case n.Kind == yaml.ScalarNode:
		d.set, d.hasPath = true, n.Value != ""
		return nil
	case n.Kind == yaml.MappingNode:
		var p struct {
			Path     string `yaml:"path"`
			Symlinks string `yaml:"symlinks"`
			ACLs     string `yaml:"acls"`
		}
		if err := n.Decode(&p); err != nil {
			return err
		}
		d.set, d.hasPath = true, p.Path != ""
		d.badMode = !slices.Contains([]string{"", "insecure", "try-secure", "secure"}, p.Symlinks) ||
			!slices.Contains([]string{"", "off", "try", "required"}, p.ACLs)
		return nil
	}
	return wrongKind(n, "a string or a mapping")
}

// memoryV1 is a v1 `memory:`: true or a mapping; false is refused.
type memoryV1 struct{ set bool }

func (m *memoryV1) UnmarshalYAML(n *yaml.Node) error {
	if n.Tag == "!!null" {
		return nil
	}
	if n.Kind == yaml.MappingNode {
		m.set = true
		return nil
	}
	var b bool
	if err := n.Decode(&b); err != nil {
		return err
	}
	if !b {
		return badField(n.Line, "memory must not be false")
	}
	m.set = true
	return nil
}

// serviceType is the output type tbot (v14-v18) migrated a v1 destination
// into, which gives access of the same kind; v12-v13 counted the
// destination itself by the same request.
func (d destinationV1) serviceType(migrates bool) string {
	switch {
	case d.App.set && !(migrates && d.App.empty):
		return "application"
	case d.Database.set:
		return "database"
	case d.KubernetesCluster.set && !(migrates && d.KubernetesCluster.empty):
		return "kubernetes"
	case migrates && d.Configs.has("ssh_host_cert"):
		return "ssh_host"
	}
	return "identity"
}

// readCheck refuses what the release refuses in a v1 destination (or in
// storage, which has only the sink) as it reads the file: v14-v18 migrate
// it into an output then; v12-v13 leave every check to the merged
// configuration (laterCheck).
func (d destinationV1) readCheck(rel release.Release, storage bool) error {
	if !rel.Has(release.MigratesV1) {
		return nil
	}
	line := d.line
	switch {
	case d.Directory.set && d.Memory.set:
		return badField(line, "a destination has both directory and memory")
	case !d.Directory.set && !d.Memory.set && !(storage && line == 0):
		return badField(line, "a destination has neither directory nor memory")
	case storage:
		return nil
	case d.requests(true) > 1:
		return badField(line, "a destination makes more than one special certificate request")
	}
	return d.checkTemplates(true)
}

// laterCheck refuses what the release refuses in a v1 destination, or
// storage, once its flags are merged over the file; an entry that a flag
// replaced (--destination-dir, --data-dir) is never checked. It is one
// flat switch over v12-v13's and the migration's rules, in the order tbot
// checks them, so that the first refusal is tbot's first.
func (d destinationV1) laterCheck(rel release.Release, storage bool) error {
	line, migrates := d.line, rel.Has(release.MigratesV1)
	switch {
	case !migrates && d.Directory.set && d.Memory.set:
		return badField(line, "a destination has both directory and memory")
	case !migrates && !storage && !d.Directory.set && !d.Memory.set:
		return badField(line, "a destination has neither directory nor memory")
	case d.Directory.set && !d.Directory.hasPath:
		return badField(line, "a destination directory has no path")
	case d.Directory.set && d.Directory.badMode:
		return badField(line, "a destination directory has a symlinks or acls mode tbot does not know")
	case storage:
		return nil
	case !migrates && d.requests(false) > 1:
		return badField(line, "a destination makes more than one special certificate request")
	case d.Database.set && d.Database.Service == "":
		return badField(line, "a database destination has no service")
	case !migrates && (d.App.empty || d.KubernetesCluster.empty):
		return badField(line, "a destination names an empty app or kubernetes cluster")
	case !migrates && d.requests(false) > 0 && d.Cluster != "":
		return badField(line, "cluster is only for ssh certificates")
	case !migrates:
		return d.checkTemplates(false)
	}
	return nil
}

// requests counts a destination's special certificate requests: app,
// database and kubernetes_cluster, and for the v14-v18 migration also
// ssh_host_cert, where an empty name is no request.
func (d destinationV1) requests(migrates bool) int {
	n := 0
	for _, set := range []bool{
		d.App.set && !(migrates && d.App.empty),
		d.Database.set,
		d.KubernetesCluster.set && !(migrates && d.KubernetesCluster.empty),
		migrates && d.Configs.has("ssh_host_cert"),
	} {
		if set {
			n++
		}
	}
	return n
}

func (f fileV1) view(rel release.Release) (*fileView, error) {
	if f.Outputs.set && rel.Has(release.MigratesV1) {
		return nil, badField(0, "a file without version v2 has outputs")
	}
	if err := f.Storage.readCheck(rel, true); err != nil {
		return nil, err
	}
	v := f.commonYAML.view()
	v.StorageErr = f.Storage.laterCheck(rel, true)
	for _, d := range f.Destinations {
		if err := d.readCheck(rel, false); err != nil {
			return nil, err
		}
		v.Outputs = append(v.Outputs, entry{typ: d.serviceType(rel.Has(release.MigratesV1)), line: d.line, check: refusing(d.laterCheck(rel, false))})
	}
	return v, nil
}

// nullDestinations are the empty entries of a v1 `destinations` list, which
// tbot 12-13 keep as nil destinations and crash on when they check them.
func nullDestinations(doc *yaml.Node) []entry {
	var out []entry
	if dests := child(documentRoot(doc), "destinations"); dests != nil && dests.Kind == yaml.SequenceNode {
		for _, d := range dests.Content {
			if d.Tag == "!!null" {
				out = append(out, entry{typ: "identity", line: d.Line,
					check: refusing(badField(d.Line, "an empty destination, which this tbot release cannot start with"))})
			}
		}
	}
	return out
}
