package config

import (
	"slices"

	"gopkg.in/yaml.v3"
)

// This file is a v1 destination's `configs`: the templates it renders, and
// what tbot refuses of them, as v12-v13 read them and as v14 and later
// migrate them into an output's own files.

// allowedTemplates are the templates a migrated destination of each output
// type may keep (v14-v18).
var allowedTemplates = map[string][]string{
	"application": {"tls_cas", "tls", "identity"},
	"database":    {"tls_cas", "identity", "mongo", "cockroach", "tls"},
	"kubernetes":  {"tls_cas", "identity", "kubernetes"},
	"ssh_host":    {"ssh_host_cert"},
	"identity":    {"tls_cas", "identity", "ssh_client"},
}

func (d destinationV1) checkTemplates(migrates bool) error {
	refuse := func(what string) error {
		return badField(d.line, "a destination's config templates "+what)
	}
	for _, t := range d.Configs {
		switch {
		case t.empty:
			return refuse("have an empty one")
		case t.several:
			return refuse("have several in one entry")
		case t.name == "ssh_host_cert" && t.principals == 0:
			return refuse("have ssh_host_cert without principals")
		}
	}
	if !migrates {
		return nil
	}
	typ := d.serviceType(true)
	formats := 0
	for i, t := range d.Configs {
		switch {
		case t.options:
			return refuse("have options, which migration does not support")
		case !slices.Contains(allowedTemplates[typ], t.name):
			return refuse("include one its output type does not support")
		case slices.ContainsFunc(d.Configs[:i], func(o templateV1) bool { return o.name == t.name }):
			return refuse("repeat one")
		case t.name == "mongo" || t.name == "cockroach" || t.name == "tls":
			formats++
		}
	}
	if typ == "database" && formats > 1 {
		return refuse("name more than one database format")
	}
	return nil
}

// templateV1 is one entry of a v1 destination's `configs`: a template's
// name, or {name: {options}}.
type templateV1 struct {
	name       string
	options    bool // options other than ssh_host_cert's principals
	principals int
	// empty: {name:} with nothing, or a name tbot does not know as a key;
	// several: more than one template in one entry.
	empty, several bool
}

// templateNames are the v1 config templates every tbot that reads v1
// files knows.
var templateNames = []string{"ssh_client", "identity", "tls", "tls_cas", "mongo", "cockroach", "kubernetes", "ssh_host_cert"}

// templatesV1 is a v1 destination's `configs`; tbot refuses an unknown
// template, and an entry that names none or several.
type templatesV1 []templateV1

// UnmarshalYAML reads each entry as tbot does: a name, or a mapping of one
// name to its options; the cases follow tbot's own, one per shape.
func (ts *templatesV1) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.SequenceNode {
		return wrongKind(n, "a list")
	}
	for _, e := range n.Content {
		var t templateV1
		switch {
		case e.Tag == "!!null":
			continue // tbot passes over an empty entry
		case e.Kind == yaml.ScalarNode:
			t.name = e.Value
		case e.Kind == yaml.MappingNode && len(e.Content) != 2:
			t.several = len(e.Content) > 2
			t.empty = len(e.Content) == 0
		case e.Kind == yaml.MappingNode:
			t.name = e.Content[0].Value
			opts := e.Content[1]
			if opts.Tag == "!!null" || !slices.Contains(templateNames, t.name) {
				t.empty = true
				break
			}
			if opts.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(opts.Content); i += 2 {
					key, value := opts.Content[i].Value, opts.Content[i+1]
					if t.name == "ssh_host_cert" && key == "principals" {
						t.principals = len(value.Content)
						continue
					}
					if t.name == "tls" && key == "ca_cert_type" && !slices.Contains([]string{"", "host", "user", "db"}, value.Value) {
						return badField(value.Line, "a tls config template has an unknown CA certificate type")
					}
					t.options = true
				}
			}
		default:
			return wrongKind(e, "a template name or a mapping")
		}
		if e.Kind == yaml.ScalarNode && !slices.Contains(templateNames, t.name) {
			return badField(e.Line, "an unrecognized config template")
		}
		*ts = append(*ts, t)
	}
	return nil
}

func (ts templatesV1) has(name string) bool {
	return slices.ContainsFunc(ts, func(t templateV1) bool { return t.name == name })
}
