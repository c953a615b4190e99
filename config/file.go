package config

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"
)

// MaxFileSize bounds what is read of a configuration file; no tbot file
// comes near it, so anything larger is refused rather than parsed.
const MaxFileSize = 4 << 20

// fileView is what a configuration file says that the event needs.
type fileView struct {
	Oneshot    bool
	JoinMethod string
	TokenSet   bool
	AddressSet bool
	JoinURI    joinURI
	// Outputs holds v2 outputs and v1 destinations (as tbot migrated them);
	// Services the v2 services. Each entry is a service type.
	Outputs  []string
	Services []string
}

// readConfigFile reads a configuration file, refusing what is not a regular
// file (a FIFO would block, a device would never end) and what is too large.
// Its errors never name the path.
func readConfigFile(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, describeFSError(err)
	}
	if info.IsDir() {
		return nil, errors.New("config file is a directory")
	}
	if !info.Mode().IsRegular() {
		return nil, errors.New("config file is not a regular file")
	}
	if info.Size() > MaxFileSize {
		return nil, errors.New("config file is larger than 4 MiB")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, describeFSError(err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, describeFSError(err)
	}
	if len(data) > MaxFileSize {
		return nil, errors.New("config file is larger than 4 MiB")
	}
	return data, nil
}

func describeFSError(err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return errors.New("config file does not exist")
	case errors.Is(err, fs.ErrPermission):
		return errors.New("config file is not readable: permission denied")
	case errors.Is(err, syscall.ELOOP):
		return errors.New("config file is a symlink loop")
	}
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		return fmt.Errorf("config file cannot be read: %w", pathErr.Err)
	}
	return errors.New("config file cannot be read")
}

// decodeConfigString decodes tbot's --config-string (TBOT_CONFIG): standard,
// padded base64 of the YAML.
func decodeConfigString(s string) ([]byte, error) {
	if base64.StdEncoding.DecodedLen(len(s)) > MaxFileSize {
		return nil, errors.New("config string is larger than 4 MiB")
	}
	data, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, errors.New("config string is not valid base64")
	}
	return data, nil
}

// parseFile decodes a configuration file as tbot does: the version first,
// then the whole file as that version, with yaml.v3 (tbot's parser) and
// leniently as to unknown keys.
func parseFile(data []byte) (*fileView, error) {
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("config file is empty")
		}
		return nil, fmt.Errorf("config file is not valid YAML: %s", describeYAMLError(err))
	}
	var header versionHeader
	if err := doc.Decode(&header); err != nil {
		return nil, fmt.Errorf("config file: %s", describeYAMLError(err))
	}
	switch header.Version {
	case "", "v1":
		var f fileV1
		if err := doc.Decode(&f); err != nil {
			return nil, fmt.Errorf("config file: %s", describeYAMLError(err))
		}
		return f.view(), nil
	case "v2":
		var f fileV2
		if err := doc.Decode(&f); err != nil {
			return nil, fmt.Errorf("config file: %s", describeYAMLError(err))
		}
		return f.view()
	default:
		return nil, errors.New("config file has an unrecognized config version")
	}
}

type versionHeader struct {
	Version string `yaml:"version"`
}

// The typed shapes below hold only what tbot would type-check and what the
// event needs; secrets are decoded into types that keep nothing but their
// presence.

type commonYAML struct {
	Onboarding      onboardingYAML `yaml:"onboarding"`
	Storage         mapping        `yaml:"storage"`
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

type fileV1 struct {
	commonYAML   `yaml:",inline"`
	Destinations []destinationV1 `yaml:"destinations"`
}

type destinationV1 struct {
	Directory         scalarOrMapping `yaml:"directory"`
	Memory            boolOrMapping   `yaml:"memory"`
	Roles             []string        `yaml:"roles"`
	Configs           sequence        `yaml:"configs"`
	App               scalarOrMapping `yaml:"app"`
	Database          mapping         `yaml:"database"`
	KubernetesCluster scalarOrMapping `yaml:"kubernetes_cluster"`
	Cluster           string          `yaml:"cluster"`
}

// serviceType is the output type tbot (v14-v18) migrated a v1 destination
// into, which gives access of the same kind.
func (d destinationV1) serviceType() string {
	switch {
	case d.App.set:
		return "application"
	case d.Database.set:
		return "database"
	case d.KubernetesCluster.set:
		return "kubernetes"
	}
	return "identity"
}

func (f fileV1) view() *fileView {
	v := f.commonYAML.view()
	for _, d := range f.Destinations {
		v.Outputs = append(v.Outputs, d.serviceType())
	}
	return v
}

func (c commonYAML) view() *fileView {
	return &fileView{
		Oneshot:    c.Oneshot,
		JoinMethod: c.Onboarding.JoinMethod,
		TokenSet:   bool(c.Onboarding.Token),
		AddressSet: c.AuthServer != "",
	}
}

type fileV2 struct {
	commonYAML    `yaml:",inline"`
	ProxyServer   string        `yaml:"proxy_server"`
	CredentialTTL time.Duration `yaml:"credential_ttl"`
	Insecure      bool          `yaml:"insecure"`
	JoinURI       joinURIYAML   `yaml:"join_uri"`
	Outputs       []serviceYAML `yaml:"outputs"`
	Services      []serviceYAML `yaml:"services"`
}

type serviceYAML struct {
	Type        string   `yaml:"type"`
	Destination mapping  `yaml:"destination"`
	Roles       []string `yaml:"roles"`
	line        int
}

func (s *serviceYAML) UnmarshalYAML(n *yaml.Node) error {
	type plain serviceYAML // without this method, to decode the fields
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*s = serviceYAML(p)
	s.line = n.Line
	return nil
}

func (f fileV2) view() (*fileView, error) {
	v := f.commonYAML.view()
	v.AddressSet = v.AddressSet || f.ProxyServer != ""
	v.JoinURI = joinURI(f.JoinURI)
	for _, list := range []struct {
		name string
		from []serviceYAML
		to   *[]string
	}{{"outputs", f.Outputs, &v.Outputs}, {"services", f.Services, &v.Services}} {
		for _, s := range list.from {
			if s.Type == "" {
				return nil, fmt.Errorf("config file: line %d: an entry of %s has no type", s.line, list.name)
			}
			*list.to = append(*list.to, s.Type)
		}
	}
	return v, nil
}

// presence decodes a scalar and keeps only whether it was non-empty: what a
// token is reduced to.
type presence bool

func (p *presence) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return kindError(n, "a string")
	}
	*p = n.Tag != "!!null" && n.Value != ""
	return nil
}

// joinURIYAML decodes a join URI and keeps only its join method.
type joinURIYAML joinURI

func (j *joinURIYAML) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return kindError(n, "a string")
	}
	if n.Tag == "!!null" || n.Value == "" {
		return nil
	}
	u, err := parseJoinURI(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: join_uri: %w", n.Line, err)
	}
	*j = joinURIYAML(u)
	return nil
}

// mapping accepts a mapping (or nothing) and records whether one was given.
type mapping struct{ set bool }

func (m *mapping) UnmarshalYAML(n *yaml.Node) error {
	if n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return kindError(n, "a mapping")
	}
	m.set = true
	return nil
}

// scalarOrMapping accepts the two spellings tbot allows for a v1 directory,
// app or kubernetes_cluster: a name, or a mapping.
type scalarOrMapping struct{ set bool }

func (s *scalarOrMapping) UnmarshalYAML(n *yaml.Node) error {
	if n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.ScalarNode && n.Kind != yaml.MappingNode {
		return kindError(n, "a string or a mapping")
	}
	s.set = n.Kind == yaml.MappingNode || n.Value != ""
	return nil
}

// boolOrMapping accepts v1's `memory: true` and `memory: {}`.
type boolOrMapping struct{}

func (boolOrMapping) UnmarshalYAML(n *yaml.Node) error {
	if n.Tag == "!!null" || n.Kind == yaml.MappingNode {
		return nil
	}
	var b bool
	return n.Decode(&b)
}

// sequence accepts a list of anything (v1 `configs` mixes names and mappings).
type sequence struct{}

func (sequence) UnmarshalYAML(n *yaml.Node) error {
	if n.Tag == "!!null" || n.Kind == yaml.SequenceNode {
		return nil
	}
	return kindError(n, "a list")
}

func kindError(n *yaml.Node, want string) error {
	return fmt.Errorf("line %d: wrong value type (expected %s)", n.Line, want)
}

// The patterns of yaml.v3's messages, compiled only when one is described.
var (
	yamlTypeError = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile("^line (\\d+): cannot unmarshal (!!\\w+)(?: `(?s:.*)`)? into (.+)$")
	})
	yamlQuoted = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile("'[^']*'|\"[^\"]*\"|`[^`]*`") })
)

// describeYAMLError rewrites yaml.v3's errors, which quote values from the
// file (a token, a path), into ones that keep only the line and the kind of
// problem.
func describeYAMLError(err error) string {
	var typeErr *yaml.TypeError
	if errors.As(err, &typeErr) {
		msgs := make([]string, 0, len(typeErr.Errors))
		for _, e := range typeErr.Errors {
			if m := yamlTypeError().FindStringSubmatch(e); m != nil {
				msgs = append(msgs, fmt.Sprintf("line %s: wrong value type (%s where %s was expected)", m[1], m[2], goTypeWord(m[3])))
			} else {
				msgs = append(msgs, yamlQuoted().ReplaceAllString(e, "…"))
			}
			if len(msgs) == 3 {
				break
			}
		}
		return strings.Join(msgs, "; ")
	}
	return yamlQuoted().ReplaceAllString(strings.TrimPrefix(err.Error(), "yaml: "), "…")
}

// goTypeWord names a Go type in the words of a YAML user.
func goTypeWord(t string) string {
	switch {
	case t == "bool":
		return "a boolean"
	case t == "string":
		return "a string"
	case t == "time.Duration":
		return "a duration"
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "int") || strings.HasPrefix(t, "uint") || strings.HasPrefix(t, "float"):
		return "a number"
	}
	return "a mapping"
}
