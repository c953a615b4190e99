package config

import (
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tbot-telemetry/tbot-telemetry/release"
)

// This file checks an entry of outputs or services against what its type
// requires in the release (release.Requirement): the checks each type of
// tbot makes of itself before tbot sends its event. It reads the entry's
// YAML node, so that a type this program models only by its requirements
// needs no schema of its own; values are only ever compared, never kept.

// checkRequirements refuses an entry (node) that fails one of reqs; what
// names the entry in the refusal ("an entry of services of type
// database-tunnel").
func checkRequirements(node *yaml.Node, reqs []release.Requirement, c checkContext, what string) error {
	for _, req := range reqs {
		if err := checkRequirement(node, req, c, what); err != nil {
			return err
		}
	}
	return nil
}

// checkRequirement is one requirement; see release.RequirementKind for what
// each kind means.
func checkRequirement(node *yaml.Node, req release.Requirement, c checkContext, what string) error {
	line := node.Line
	missing := func(field string) error { return refuse(MissingField, field).at(line).with(what) }
	bad := func(words string) error { return badField(line, what+" "+words) }
	switch req.Kind {
	case release.NeedsString, release.NeedsList, release.NeedsValue:
		for _, f := range req.Fields {
			n := field(node, f)
			switch {
			case !isSet(n):
				return missing(f)
			case req.Kind == release.NeedsString && n.Kind != yaml.ScalarNode:
				return wrongKind(n, "a string")
			case req.Kind == release.NeedsList && n.Kind != yaml.SequenceNode:
				return wrongKind(n, "a list")
			}
		}
	case release.NeedsOneOfValues:
		if n := field(node, req.Fields[0]); isSet(n) && (n.Kind != yaml.ScalarNode || !slices.Contains(req.Values, n.Value)) {
			return bad("has a " + req.Fields[0] + " tbot does not know")
		}
	case release.RefusesField:
		if isSet(field(node, req.Fields[0])) {
			return refuse(FieldRefused, req.Fields[0]).at(line).with(what)
		}
	case release.NeedsAtMostOne:
		set := 0
		for _, f := range req.Fields {
			if isSet(field(node, f)) {
				set++
			}
		}
		if set > 1 {
			return bad("sets more than one of " + strings.Join(req.Fields, ", "))
		}
	case release.NeedsDirectory:
		if d := field(node, "destination"); isSet(d) && scalar(field(d, "type")) != "directory" {
			return bad("needs a directory destination")
		}
	case release.NeedsURL:
		if n := field(node, req.Fields[0]); isSet(n) {
			if _, err := url.Parse(scalar(n)); err != nil {
				return bad("has a " + req.Fields[0] + " that is not a URL")
			}
		}
	case release.NeedsARN:
		n := field(node, req.Fields[0])
		if !isSet(n) {
			return missing(req.Fields[0])
		}
		if !isARN(scalar(n)) {
			return bad("has a " + req.Fields[0] + " that is not an ARN")
		}
	case release.NeedsSelector:
		for _, f := range req.Fields {
			if n := field(node, f); isSet(n) {
				return checkSelector(n, bad)
			}
		}
		return missing(req.Fields[0])
	case release.NeedsSelectors:
		n := field(node, req.Fields[0])
		if !isSet(n) || n.Kind != yaml.SequenceNode {
			return missing(req.Fields[0])
		}
		for _, s := range n.Content {
			if err := checkSelector(s, bad); err != nil {
				return err
			}
		}
	case release.NeedsAWSSession:
		return checkAWSSession(node, req, bad)
	case release.NeedsLifetime:
		return checkLifetime(node, req, c, bad)
	case release.NeedsAbsolutePath:
		n := field(node, req.Fields[0])
		if !isSet(n) {
			return missing(req.Fields[0])
		}
		if !strings.HasPrefix(scalar(n), "/") {
			return bad("has a " + req.Fields[0] + " that is not an absolute path")
		}
	case release.NeedsListWhenSet:
		if n := field(node, req.Fields[0]); isSet(n) && n.Kind != yaml.SequenceNode {
			return wrongKind(n, "a list")
		}
	case release.NeedsIPs, release.NeedsHostPorts:
		n := field(node, req.Fields[0])
		if !isSet(n) {
			return nil
		}
		if n.Kind != yaml.SequenceNode {
			return wrongKind(n, "a list")
		}
		for _, v := range n.Content {
			if !validAddress(scalar(v), req.Kind == release.NeedsHostPorts) {
				return bad("has a " + req.Fields[0] + " entry that is not an address")
			}
		}
	}
	return nil
}

// field returns the node of a (dotted) key of a mapping, or nil.
func field(m *yaml.Node, path string) *yaml.Node {
	for _, key := range strings.Split(path, ".") {
		m = child(m, key)
	}
	return m
}

// isSet reports whether a node holds a value: present, not null, not empty.
func isSet(n *yaml.Node) bool {
	switch {
	case n == nil || n.Tag == "!!null":
		return false
	case n.Kind == yaml.ScalarNode:
		return n.Value != ""
	case n.Kind == yaml.AliasNode:
		return isSet(n.Alias)
	}
	return len(n.Content) > 0
}

// scalar is a scalar node's value, "" for anything else.
func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return ""
	}
	return n.Value
}

// checkSelector refuses a selector that does not have exactly one of name
// and labels, or a label without values.
func checkSelector(n *yaml.Node, bad func(string) error) error {
	name, labels := isSet(field(n, "name")), field(n, "labels")
	switch {
	case n.Kind != yaml.MappingNode:
		return wrongKind(n, "a mapping")
	case name == isSet(labels):
		return bad("has a selector without exactly one of name and labels")
	case labels != nil && labels.Kind == yaml.MappingNode:
		for i := 1; i < len(labels.Content); i += 2 {
			if !isSet(labels.Content[i]) {
				return bad("has a selector label without values")
			}
		}
	}
	return nil
}

// isARN is what AWS's ARN parser accepts: arn:partition:service:region:
// account:resource, with the first three not empty.
func isARN(s string) bool {
	parts := strings.SplitN(s, ":", 6)
	return len(parts) == 6 && parts[0] == "arn" && parts[1] != "" && parts[2] != ""
}

// validAddress is an IP address, or host:port when withPort.
func validAddress(s string, withPort bool) bool {
	if !withPort {
		return net.ParseIP(s) != nil
	}
	_, _, err := net.SplitHostPort(s)
	return err == nil
}

// duration decodes a duration as tbot's typed decoder does, reporting
// whether it was set and whether it decoded.
func duration(n *yaml.Node) (d time.Duration, set, ok bool) {
	if !isSet(n) {
		return 0, false, true
	}
	return d, true, n.Decode(&d) == nil
}

// checkAWSSession is the session lifetimes of workload-identity-aws-
// roles-anywhere.
func checkAWSSession(node *yaml.Node, req release.Requirement, bad func(string) error) error {
	sessionDuration, set, ok := duration(field(node, req.Fields[0]))
	if !set {
		sessionDuration = 6 * time.Hour
	}
	renewal, renewalSet, renewalOK := duration(field(node, req.Fields[1]))
	if !renewalSet {
		renewal = time.Hour
	}
	switch {
	case !ok || !renewalOK:
		return bad("has a session lifetime that is not a duration")
	case sessionDuration > 12*time.Hour:
		return bad("has a session_duration over 12h")
	case renewal >= sessionDuration:
		return bad("has a session_renewal_interval not shorter than its session_duration")
	}
	return nil
}

// checkLifetime is an entry's own credential lifetime.
func checkLifetime(node *yaml.Node, req release.Requirement, c checkContext, bad func(string) error) error {
	ttl, ttlSet, ttlOK := duration(field(node, "credential_ttl"))
	interval, intervalSet, intervalOK := duration(field(node, "renewal_interval"))
	switch {
	case !ttlOK || !intervalOK:
		return bad("has a credential lifetime that is not a duration")
	case !ttlSet && !intervalSet:
		return nil
	case ttlSet != intervalSet:
		return bad("sets only one of credential_ttl and renewal_interval")
	case ttl < 0 || interval < 0:
		return bad("has a negative credential lifetime")
	case ttl < interval && !c.Oneshot:
		return bad("has a credential_ttl shorter than its renewal_interval")
	}
	if len(req.Values) > 0 {
		if limit, err := time.ParseDuration(req.Values[0]); err == nil && ttl > limit {
			return bad("has a credential_ttl over " + req.Values[0])
		}
	}
	return nil
}
