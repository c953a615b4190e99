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

// entryCheck is the entry under a requirement: its node, the requirement,
// the merged configuration, and how the entry is named in a refusal.
type entryCheck struct {
	node *yaml.Node
	req  release.Requirement
	ctx  checkContext
	what string
}

func (e entryCheck) missing(field string) error {
	return refuse(MissingField, field).at(e.node.Line).with(e.what)
}

func (e entryCheck) bad(words string) error { return badField(e.node.Line, e.what+" "+words) }

// first is the node of the requirement's first field.
func (e entryCheck) first() *yaml.Node { return field(e.node, e.req.Fields[0]) }

// checkers holds the check of each kind of requirement; see
// release.RequirementKind for what each means.
var checkers = map[release.RequirementKind]func(entryCheck) error{
	release.NeedsString:       checkSet,
	release.NeedsList:         checkSet,
	release.NeedsValue:        checkSet,
	release.NeedsOneOfValues:  checkOneOfValues,
	release.RefusesField:      checkRefused,
	release.NeedsAtMostOne:    checkAtMostOne,
	release.NeedsDirectory:    checkDirectory,
	release.NeedsURL:          checkURL,
	release.NeedsARN:          checkARN,
	release.NeedsSelector:     checkOneSelector,
	release.NeedsSelectors:    checkSelectors,
	release.NeedsAWSSession:   checkAWSSession,
	release.NeedsLifetime:     checkLifetime,
	release.NeedsAbsolutePath: checkAbsolutePath,
	release.NeedsIPs:          checkAddresses,
	release.NeedsHostPorts:    checkAddresses,
	release.NeedsListWhenSet:  checkListWhenSet,
}

// checkRequirement is one requirement. A kind without a checker refuses,
// so that a kind added to the table and not here cannot pass entries
// silently (TestEveryRequirementKindIsChecked also finds it).
func checkRequirement(node *yaml.Node, req release.Requirement, c checkContext, what string) error {
	check, ok := checkers[req.Kind]
	if !ok {
		return badField(node.Line, what+" has a requirement this program cannot check")
	}
	return check(entryCheck{node: node, req: req, ctx: c, what: what})
}

func checkSet(e entryCheck) error {
	for _, f := range e.req.Fields {
		n := field(e.node, f)
		switch {
		case !isSet(n):
			return e.missing(f)
		case e.req.Kind == release.NeedsString && n.Kind != yaml.ScalarNode:
			return wrongKind(n, "a string")
		case e.req.Kind == release.NeedsList && n.Kind != yaml.SequenceNode:
			return wrongKind(n, "a list")
		}
	}
	return nil
}

func checkOneOfValues(e entryCheck) error {
	if n := e.first(); isSet(n) && (n.Kind != yaml.ScalarNode || !slices.Contains(e.req.Values, n.Value)) {
		return e.bad("has a " + e.req.Fields[0] + " tbot does not know")
	}
	return nil
}

func checkRefused(e entryCheck) error {
	if isSet(e.first()) {
		return refuse(FieldRefused, e.req.Fields[0]).at(e.node.Line).with(e.what)
	}
	return nil
}

func checkAtMostOne(e entryCheck) error {
	set := 0
	for _, f := range e.req.Fields {
		if isSet(field(e.node, f)) {
			set++
		}
	}
	if set > 1 {
		return e.bad("sets more than one of " + strings.Join(e.req.Fields, ", "))
	}
	return nil
}

func checkDirectory(e entryCheck) error {
	if d := field(e.node, "destination"); isSet(d) && scalar(field(d, "type")) != "directory" {
		return e.bad("needs a directory destination")
	}
	return nil
}

func checkURL(e entryCheck) error {
	if n := e.first(); isSet(n) {
		if _, err := url.Parse(scalar(n)); err != nil {
			return e.bad("has a " + e.req.Fields[0] + " that is not a URL")
		}
	}
	return nil
}

// checkARN is what AWS's ARN parser accepts: arn:partition:service:region:
// account:resource, with the first three not empty.
func checkARN(e entryCheck) error {
	n := e.first()
	if !isSet(n) {
		return e.missing(e.req.Fields[0])
	}
	parts := strings.SplitN(scalar(n), ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] == "" {
		return e.bad("has a " + e.req.Fields[0] + " that is not an ARN")
	}
	return nil
}

func checkOneSelector(e entryCheck) error {
	for _, f := range e.req.Fields {
		if n := field(e.node, f); isSet(n) {
			return checkSelector(n, e.bad)
		}
	}
	return e.missing(e.req.Fields[0])
}

func checkSelectors(e entryCheck) error {
	n := e.first()
	if !isSet(n) || n.Kind != yaml.SequenceNode {
		return e.missing(e.req.Fields[0])
	}
	for _, s := range n.Content {
		if err := checkSelector(s, e.bad); err != nil {
			return err
		}
	}
	return nil
}

func checkAbsolutePath(e entryCheck) error {
	n := e.first()
	if !isSet(n) {
		return e.missing(e.req.Fields[0])
	}
	if !strings.HasPrefix(scalar(n), "/") {
		return e.bad("has a " + e.req.Fields[0] + " that is not an absolute path")
	}
	return nil
}

func checkListWhenSet(e entryCheck) error {
	if n := e.first(); isSet(n) && n.Kind != yaml.SequenceNode {
		return wrongKind(n, "a list")
	}
	return nil
}

// checkAddresses is a list of IP addresses, or of host:port.
func checkAddresses(e entryCheck) error {
	n := e.first()
	if !isSet(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		return wrongKind(n, "a list")
	}
	for _, v := range n.Content {
		ok := net.ParseIP(scalar(v)) != nil
		if e.req.Kind == release.NeedsHostPorts {
			_, _, err := net.SplitHostPort(scalar(v))
			ok = err == nil
		}
		if !ok {
			return e.bad("has a " + e.req.Fields[0] + " entry that is not an address")
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
func checkAWSSession(e entryCheck) error {
	sessionDuration, set, ok := duration(e.first())
	if !set {
		sessionDuration = 6 * time.Hour
	}
	renewal, renewalSet, renewalOK := duration(field(e.node, e.req.Fields[1]))
	if !renewalSet {
		renewal = time.Hour
	}
	switch {
	case !ok || !renewalOK:
		return e.bad("has a session lifetime that is not a duration")
	case sessionDuration > 12*time.Hour:
		return e.bad("has a session_duration over 12h")
	case renewal >= sessionDuration:
		return e.bad("has a session_renewal_interval not shorter than its session_duration")
	}
	return nil
}

// checkLifetime is an entry's own credential lifetime.
func checkLifetime(e entryCheck) error {
	ttl, ttlSet, ttlOK := duration(field(e.node, "credential_ttl"))
	interval, intervalSet, intervalOK := duration(field(e.node, "renewal_interval"))
	switch {
	case !ttlOK || !intervalOK:
		return e.bad("has a credential lifetime that is not a duration")
	case !ttlSet && !intervalSet:
		return nil
	case ttlSet != intervalSet:
		return e.bad("sets only one of credential_ttl and renewal_interval")
	case ttl < 0 || interval < 0:
		return e.bad("has a negative credential lifetime")
	case ttl < interval && !e.ctx.Oneshot:
		return e.bad("has a credential_ttl shorter than its renewal_interval")
	}
	if len(e.req.Values) > 0 {
		if limit, err := time.ParseDuration(e.req.Values[0]); err == nil && ttl > limit {
			return e.bad("has a credential_ttl over " + e.req.Values[0])
		}
	}
	return nil
}
