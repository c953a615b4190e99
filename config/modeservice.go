package config

import (
	"net/url"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/tbot-telemetry/tbot-telemetry/release"
)

// This file builds the service that a `start <mode>` adds, from the mode's
// flags, so that its type's requirements are checked as they are for an
// entry of the file: tbot builds the same service and checks it the same
// way before it sends.

// modeEntry is the entry the mode adds, or nil for a mode that adds none.
func modeEntry(mode *release.Mode, values flagValues, rel release.Release) (*entry, error) {
	if mode.Adds == nil {
		return nil, nil
	}
	fields := map[string]any{"type": mode.Adds.Name}
	for _, u := range mode.Flags {
		if u.Fills == "" {
			continue
		}
		v := values.of(u.Flag)
		if v == nil || !v.set {
			continue
		}
		if err := fill(fields, u.Fills, v, rel); err != nil {
			return nil, err
		}
	}
	var node yaml.Node
	if err := node.Encode(fields); err != nil {
		return nil, err
	}
	e := &entry{typ: mode.Adds.Name}
	if t, ok := rel.ServiceType(mode.Adds.Name); ok {
		reqs := rel.Requirements(t)
		e.check = func(c checkContext) error {
			return checkRequirements(&node, reqs, c, "the "+mode.Name+" mode's service")
		}
	}
	return e, nil
}

// fill sets the key a flag fills in the service's fields.
func fill(fields map[string]any, key string, v *flagValue, rel release.Release) error {
	switch {
	case key == "destination":
		d, err := destinationFromURI(v.text(), "--"+v.flag.Name, rel)
		if err != nil {
			return err
		}
		fields[key] = d
	case strings.HasSuffix(key, "[]"):
		fields[strings.TrimSuffix(key, "[]")] = *v.strs
	case strings.Contains(key, "[]."):
		// One selector per value: selectors[].name, selectors[].labels.
		list, sub, _ := strings.Cut(key, "[].")
		existing, _ := fields[list].([]any)
		for _, s := range *v.strs {
			existing = append(existing, map[string]any{sub: selectorValue(sub, s)})
		}
		fields[list] = existing
	case strings.Contains(key, "."):
		parent, sub, _ := strings.Cut(key, ".")
		m, _ := fields[parent].(map[string]any)
		if m == nil {
			m = map[string]any{}
		}
		if v.strs != nil && len(*v.strs) > 0 {
			m[sub] = selectorValue(sub, (*v.strs)[len(*v.strs)-1])
		} else {
			m[sub] = v.text()
		}
		fields[parent] = m
	case v.strs != nil:
		fields[key] = *v.strs
	default:
		fields[key] = v.text()
	}
	return nil
}

// selectorValue is a selector's name as given, or its labels: the flag's
// "k=v,k2=v2" as a mapping of each key to its values.
func selectorValue(sub, s string) any {
	if sub != "labels" {
		return s
	}
	labels := map[string]any{}
	for _, pair := range strings.Split(s, ",") {
		k, val, _ := strings.Cut(pair, "=")
		labels[k] = []any{val}
	}
	return labels
}

// destinationFromURI is the destination a --destination or --storage URI
// names, as tbot reads it: a path or file:///path is a directory, memory://
// memory, kubernetes-secret:///name a secret (where the release takes one);
// any other scheme is refused. The refusal never quotes the value.
func destinationFromURI(s, flag string, rel release.Release) (map[string]any, error) {
	if !strings.Contains(s, "://") {
		return map[string]any{"type": "directory", "path": s}, nil
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
	case u.Scheme == "file" && u.Host == "":
		return map[string]any{"type": "directory", "path": u.Path}, nil
	case u.Scheme == "memory" && u.Host == "" && (u.Path == "" || u.Path == "/"):
		return map[string]any{"type": "memory"}, nil
	case u.Scheme == "kubernetes-secret" && u.Host == "" && rel.Has(release.DataDirTakesKubernetesSecret):
		return map[string]any{"type": "kubernetes_secret", "name": strings.TrimPrefix(u.Path, "/")}, nil
	}
	return nil, refuse(StorageURI, flag)
}
