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
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tbot-telemetry/tbot-telemetry/release"
)

// MaxFileSize bounds what is read of a configuration file; no tbot file
// comes near it, so anything larger is refused rather than parsed.
const MaxFileSize = 4 << 20

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
// spells it, and what the release refuses in it once it has merged its
// flags over the file (nil when nothing), which matters only if no flag
// replaced it.
type entry struct {
	typ string
	err error
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

// parseFile decodes a configuration file as the given release of tbot does:
// the version first (where the release reads one), then the whole file as
// that version, with yaml.v3 (tbot's parser), strictly or leniently as to
// unknown keys as that release is, and with the checks that release makes
// before it sends its event.
func parseFile(data []byte, rel release.Release) (*fileView, error) {
	v, err := parseFileAs(data, rel)
	if err != nil && looksLikeTemplate(data) {
		// A Helm or Go template that was never rendered fails in ways that
		// name a wrong type or a cut-off line; say what it most likely is.
		return nil, fmt.Errorf("%w (the file looks like an unrendered template: it still has {{ }} in it)", err)
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
			return nil, errors.New("config file is empty")
		}
		return nil, fmt.Errorf("config file is not valid YAML: %s", describeYAMLError(err))
	}
	var header versionHeader
	if rel.ReadsVersionKey {
		if err := doc.Decode(&header); err != nil {
			return nil, fmt.Errorf("config file: %s", describeYAMLError(err))
		}
	}
	switch header.Version {
	case "", "v1":
		if !rel.ReadsV1 {
			return nil, errors.New("config file is a v1 file, which this tbot release no longer reads")
		}
		if err := checkV1Keys(&doc, rel); err != nil {
			return nil, err
		}
		var f fileV1
		if err := doc.Decode(&f); err != nil {
			return nil, fmt.Errorf("config file: %s", describeYAMLError(err))
		}
		v, err := f.view(rel)
		if err == nil && !rel.MigratesV1 {
			v.Outputs = append(v.Outputs, nullDestinations(&doc)...)
		}
		return v, err
	case "v2":
		if !rel.ReadsV2 {
			return nil, errors.New("config file has an unrecognized config version")
		}
		if err := checkV2Keys(&doc, rel); err != nil {
			return nil, err
		}
		if err := checkNullEntries(&doc); err != nil {
			return nil, err
		}
		var f fileV2
		if err := doc.Decode(&f); err != nil {
			return nil, fmt.Errorf("config file: %s", describeYAMLError(err))
		}
		return f.view(rel)
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
		return kindError(n, "a mapping")
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
	return kindError(n, "a string or a mapping")
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
		return fmt.Errorf("line %d: memory must not be false", n.Line)
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
	if !rel.MigratesV1 {
		return nil
	}
	line := d.line
	switch {
	case d.Directory.set && d.Memory.set:
		return fmt.Errorf("config file: line %d: a destination has both directory and memory", line)
	case !d.Directory.set && !d.Memory.set && !(storage && line == 0):
		return fmt.Errorf("config file: line %d: a destination has neither directory nor memory", line)
	case storage:
		return nil
	case d.requests(true) > 1:
		return fmt.Errorf("config file: line %d: a destination makes more than one special certificate request", line)
	}
	return d.checkTemplates(true)
}

// laterCheck refuses what the release refuses in a v1 destination, or
// storage, once its flags are merged over the file; an entry that a flag
// replaced (--destination-dir, --data-dir) is never checked.
func (d destinationV1) laterCheck(rel release.Release, storage bool) error {
	line, migrates := d.line, rel.MigratesV1
	switch {
	case !migrates && d.Directory.set && d.Memory.set:
		return fmt.Errorf("config file: line %d: a destination has both directory and memory", line)
	case !migrates && !storage && !d.Directory.set && !d.Memory.set:
		return fmt.Errorf("config file: line %d: a destination has neither directory nor memory", line)
	case d.Directory.set && !d.Directory.hasPath:
		return fmt.Errorf("config file: line %d: a destination directory has no path", line)
	case d.Directory.set && d.Directory.badMode:
		return fmt.Errorf("config file: line %d: a destination directory has a symlinks or acls mode tbot does not know", line)
	case storage:
		return nil
	case !migrates && d.requests(false) > 1:
		return fmt.Errorf("config file: line %d: a destination makes more than one special certificate request", line)
	case d.Database.set && d.Database.Service == "":
		return fmt.Errorf("config file: line %d: a database destination has no service", line)
	case !migrates && (d.App.empty || d.KubernetesCluster.empty):
		return fmt.Errorf("config file: line %d: a destination names an empty app or kubernetes cluster", line)
	case !migrates && d.requests(false) > 0 && d.Cluster != "":
		return fmt.Errorf("config file: line %d: cluster is only for ssh certificates", line)
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
		return fmt.Errorf("config file: line %d: a destination's config templates %s", d.line, what)
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

func (f fileV1) view(rel release.Release) (*fileView, error) {
	if f.Outputs.set && rel.MigratesV1 {
		return nil, errors.New("config file: a file without version v2 has outputs")
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
		v.Outputs = append(v.Outputs, entry{typ: d.serviceType(rel.MigratesV1), err: d.laterCheck(rel, false)})
	}
	return v, nil
}

func (c commonYAML) view() *fileView {
	return &fileView{
		Oneshot:    c.Oneshot,
		JoinMethod: c.Onboarding.JoinMethod,
		CAPinsSet:  len(c.Onboarding.CAPins) > 0,
		CAPathSet:  c.Onboarding.CAPath != "",
	}
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

type serviceYAML struct {
	Type        string        `yaml:"type"`
	Destination destinationV2 `yaml:"destination"`
	Roles       []string      `yaml:"roles"`
	// What tbot requires of the classic output types before it sends.
	AppName           string   `yaml:"app_name"`
	Service           string   `yaml:"service"`
	Format            string   `yaml:"format"`
	KubernetesCluster string   `yaml:"kubernetes_cluster"`
	Principals        []string `yaml:"principals"`
	line              int
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
		return kindError(n, "a list")
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
		return kindError(n, "a mapping")
	}
	type plain struct {
		Type string `yaml:"type"`
		Path string `yaml:"path"`
		Name string `yaml:"name"`
	}
	var p plain
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
	return fmt.Errorf("config file: line %d: a destination has no type this tbot release knows", d.line)
}

// laterCheck refuses, once the flags are merged, a directory without a path
// and a secret without a name.
func (d destinationV2) laterCheck() error {
	switch {
	case d.set && d.Type == "directory" && d.Path == "":
		return fmt.Errorf("config file: line %d: a directory destination has no path", d.line)
	case d.set && d.Type == "kubernetes_secret" && d.Name == "":
		return fmt.Errorf("config file: line %d: a kubernetes_secret destination has no name", d.line)
	}
	return nil
}

// outputsNeedingDestination are the output types that every tbot that
// knows them refuses without a destination.
var outputsNeedingDestination = []string{"identity", "application", "database", "kubernetes", "ssh_host", "spiffe-svid"}

// laterCheck refuses what the release refuses in one output or service
// once it has merged its flags over the file (an entry a flag replaced is
// never checked).
func (s serviceYAML) laterCheck(list string, rel release.Release) error {
	if err := s.Destination.laterCheck(); err != nil {
		return err
	}
	if rel.RefusesRoles && len(s.Roles) > 0 {
		return fmt.Errorf("config file: line %d: an entry of %s lists roles, which this tbot release refuses", s.line, list)
	}
	var missing string
	switch {
	case slices.Contains(outputsNeedingDestination, s.Type) && !s.Destination.set:
		missing = "destination"
	case s.Type == "application" && s.AppName == "":
		missing = "app_name"
	case s.Type == "database" && s.Service == "":
		missing = "service"
	case s.Type == "database" && !slices.Contains([]string{"", "tls", "mongo", "cockroach"}, s.Format):
		missing = "format tbot knows"
	case s.Type == "kubernetes" && s.KubernetesCluster == "":
		missing = "kubernetes_cluster"
	case s.Type == "ssh_host" && len(s.Principals) == 0:
		missing = "principals"
	}
	if missing != "" {
		return fmt.Errorf("config file: line %d: an entry of %s of type %s has no %s", s.line, list, s.Type, missing)
	}
	return nil
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

func (f fileV2) view(rel release.Release) (*fileView, error) {
	if err := f.Storage.readCheck(rel.Open); err != nil {
		return nil, err
	}
	v := f.commonYAML.view()
	v.Insecure = f.Insecure
	v.StorageErr = f.Storage.laterCheck()
	for _, list := range []struct {
		name  string
		from  []serviceYAML
		known []string
		to    *[]entry
	}{{"outputs", f.Outputs, rel.OutputTypes, &v.Outputs}, {"services", f.Services, rel.ServiceTypes, &v.Services}} {
		for _, s := range list.from {
			if s.Type == "" {
				return nil, fmt.Errorf("config file: line %d: an entry of %s has no type", s.line, list.name)
			}
			if !release.Knows(list.known, s.Type) && !rel.Open {
				return nil, fmt.Errorf("config file: line %d: an entry of %s has a type this tbot release does not know", s.line, list.name)
			}
			if err := s.Destination.readCheck(rel.Open); err != nil {
				return nil, err
			}
			*list.to = append(*list.to, entry{typ: s.Type, err: s.laterCheck(list.name, rel)})
		}
	}
	return v, nil
}

// checkV1Keys refuses unknown keys where the release decodes v1 files
// strictly: at the top, in onboarding, in storage and in each destination.
func checkV1Keys(doc *yaml.Node, rel release.Release) error {
	if !rel.StrictV1 {
		return nil
	}
	root := documentRoot(doc)
	if err := knownKeys(root, rel.V1Keys, "the top level"); err != nil {
		return err
	}
	if err := knownKeys(child(root, "onboarding"), rel.OnboardingKeys, "onboarding"); err != nil {
		return err
	}
	if err := knownKeys(child(root, "storage"), []string{"directory", "memory"}, "storage"); err != nil {
		return err
	}
	if dests := child(root, "destinations"); dests != nil && dests.Kind == yaml.SequenceNode {
		for _, d := range dests.Content {
			if err := knownKeys(d, rel.DestinationKeys, "a destination"); err != nil {
				return err
			}
			if err := knownKeys(child(d, "database"), []string{"service", "database", "username"}, "a destination's database"); err != nil {
				return err
			}
		}
	}
	return nil
}

// nullDestinations are the empty entries of a v1 `destinations` list, which
// tbot 12-13 keep as nil destinations and crash on when they check them.
func nullDestinations(doc *yaml.Node) []entry {
	var out []entry
	if dests := child(documentRoot(doc), "destinations"); dests != nil && dests.Kind == yaml.SequenceNode {
		for _, d := range dests.Content {
			if d.Tag == "!!null" {
				out = append(out, entry{typ: "identity", err: fmt.Errorf(
					"config file: line %d: an empty destination, which this tbot release cannot start with", d.Line)})
			}
		}
	}
	return out
}

// checkNullEntries refuses an empty entry of outputs or services: tbot
// reads it as an entry of type "", which it does not know.
func checkNullEntries(doc *yaml.Node) error {
	for _, list := range []string{"outputs", "services"} {
		if entries := child(documentRoot(doc), list); entries != nil && entries.Kind == yaml.SequenceNode {
			for _, e := range entries.Content {
				if e.Tag == "!!null" {
					return fmt.Errorf("config file: line %d: an entry of %s has no type", e.Line, list)
				}
			}
		}
	}
	return nil
}

// checkV2Keys refuses unknown keys where the release decodes v2 files
// strictly: at the top and in onboarding (entries of outputs and services
// were always read leniently).
func checkV2Keys(doc *yaml.Node, rel release.Release) error {
	if !rel.StrictV2 {
		return nil
	}
	root := documentRoot(doc)
	if err := knownKeys(root, rel.V2Keys, "the top level"); err != nil {
		return err
	}
	return knownKeys(child(root, "onboarding"), rel.OnboardingKeys, "onboarding")
}

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

// knownKeys refuses a key of mapping m outside known. The error names the
// place and the line, never the key, which is text the user wrote.
func knownKeys(m *yaml.Node, known []string, where string) error {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; !slices.Contains(known, k.Value) {
			return fmt.Errorf("config file: line %d: %s has a key this tbot release does not know", k.Line, where)
		}
	}
	return nil
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

// name is a v1 destination's app or kubernetes_cluster: a name, which may
// be empty (tbot 12-13 refuse that, 14-18 take it as no request).
type name struct{ set, empty bool }

func (s *name) UnmarshalYAML(n *yaml.Node) error {
	if n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.ScalarNode {
		return kindError(n, "a string")
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
	return kindError(n, "a list")
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

func (ts *templatesV1) UnmarshalYAML(n *yaml.Node) error {
	if n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		return kindError(n, "a list")
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
						return fmt.Errorf("line %d: a tls config template has an unknown CA certificate type", value.Line)
					}
					t.options = true
				}
			}
		default:
			return kindError(e, "a template name or a mapping")
		}
		if e.Kind == yaml.ScalarNode && !slices.Contains(templateNames, t.name) {
			return fmt.Errorf("line %d: an unrecognized config template", e.Line)
		}
		*ts = append(*ts, t)
	}
	return nil
}

func (ts templatesV1) has(name string) bool {
	return slices.ContainsFunc(ts, func(t templateV1) bool { return t.name == name })
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
