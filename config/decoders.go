package config

import (
	"time"

	"gopkg.in/yaml.v3"
)

// The parts of a file that v1 and v2 share, and the small decoders that
// keep no more of a value than the event needs. They hold only what tbot
// would type-check and what the event needs; secrets are decoded into
// types that keep nothing but their presence.

type commonYAML struct {
	Onboarding      onboardingYAML `yaml:"onboarding"`
	Debug           bool           `yaml:"debug"`
	AuthServer      string         `yaml:"auth_server"`
	CertificateTTL  time.Duration  `yaml:"certificate_ttl"`
	RenewalInterval time.Duration  `yaml:"renewal_interval"`
	Oneshot         bool           `yaml:"oneshot"`
	FIPS            bool           `yaml:"fips"`
	DiagAddr        string         `yaml:"diag_addr"`
}

type onboardingYAML struct {
	Token      presence `yaml:"token"`
	JoinMethod string   `yaml:"join_method"`
	CAPins     []string `yaml:"ca_pins"`
	CAPath     string   `yaml:"ca_path"`
	// Per-method blocks; bound_keypair holds a registration secret.
	Azure        mapping `yaml:"azure"`
	Gitlab       mapping `yaml:"gitlab"`
	Terraform    mapping `yaml:"terraform"`
	BoundKeypair mapping `yaml:"bound_keypair"`
	GenericOIDC  mapping `yaml:"generic_oidc"`
	Kubernetes   mapping `yaml:"kubernetes"`
}

func (c commonYAML) view() *fileView {
	return &fileView{
		Oneshot:    c.Oneshot,
		JoinMethod: c.Onboarding.JoinMethod,
		CAPinsSet:  len(c.Onboarding.CAPins) > 0,
		CAPathSet:  c.Onboarding.CAPath != "",
	}
}

// presence decodes a scalar and keeps only whether it was non-empty: what a
// token is reduced to.
type presence bool

func (p *presence) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return wrongKind(n, "a string")
	}
	*p = n.Tag != "!!null" && n.Value != ""
	return nil
}

// mapping accepts a mapping (or nothing) and records whether one was given.
type mapping struct{ set bool }

func (m *mapping) UnmarshalYAML(n *yaml.Node) error {
	if n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return wrongKind(n, "a mapping")
	}
	m.set = true
	return nil
}

// name is a v1 destination's app or kubernetes_cluster: a name, which may
// be empty (tbot 12-13 refuse that, 14-18 take it as no request).
type name struct{ set, empty bool }

func (s *name) UnmarshalYAML(n *yaml.Node) error {
	if n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.ScalarNode {
		return wrongKind(n, "a string")
	}
	s.set = true
	s.empty = n.Value == ""
	return nil
}

// sequence accepts a list of anything (v1 `configs` mixes names and mappings).
type sequence struct{ set bool }

func (s *sequence) UnmarshalYAML(n *yaml.Node) error {
	if n.Tag == "!!null" {
		return nil
	}
	if n.Kind == yaml.SequenceNode {
		s.set = len(n.Content) > 0
		return nil
	}
	return wrongKind(n, "a list")
}

// documentRoot is the top mapping of a parsed document.
func documentRoot(doc *yaml.Node) *yaml.Node {
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		return doc.Content[0]
	}
	return doc
}

// child returns the value of key in a mapping, or nil.
func child(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}
