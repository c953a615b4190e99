package config

import (
	"time"

	"gopkg.in/yaml.v3"
)

// The parts of a file that v1 and v2 share, and the small decoders that
// keep no more of a value than the event needs. They hold only what tbot
// would type-check and what the event needs; secrets are decoded into
// types that keep nothing of them.

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
	Token      opaqueScalar `yaml:"token"`
	JoinMethod string       `yaml:"join_method"`
	CAPins     []string     `yaml:"ca_pins"`
	CAPath     string       `yaml:"ca_path"`
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

// The decoders below never see a null (`key: ~` or `key:`): yaml.v3 calls
// no Unmarshaler for a null node and leaves the zero value, as it does in
// tbot's own decoding.

// opaqueScalar accepts a scalar and keeps nothing of it: a token is type-checked
// as tbot's decoder checks it, and never kept.
type opaqueScalar struct{}

func (*opaqueScalar) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return wrongKind(n, "a string")
	}
	return nil
}

// mapping accepts a mapping and keeps nothing of it: an onboarding block
// of a join method is type-checked only.
type mapping struct{}

func (*mapping) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return wrongKind(n, "a mapping")
	}
	return nil
}

// name is a v1 destination's app or kubernetes_cluster: a name, which may
// be empty (tbot 12-13 refuse that, 14-18 take it as no request).
type name struct{ set, empty bool }

func (s *name) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return wrongKind(n, "a string")
	}
	s.set = true
	s.empty = n.Value == ""
	return nil
}

// sequence accepts a list of anything (v1 `configs` mixes names and
// mappings) and keeps whether it holds an entry.
type sequence struct{ set bool }

func (s *sequence) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.SequenceNode {
		return wrongKind(n, "a list")
	}
	s.set = len(n.Content) > 0
	return nil
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
