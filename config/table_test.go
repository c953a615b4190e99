package config

import (
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/tbot-telemetry/tbot-telemetry/release"
)

// This file holds config to the release table: for every name the table
// gives a release (a join method, a type under each list, a key, a flag, a
// mode), a start that uses it must load at the version where the table
// says it arrives, and must be refused at the patch before, where that
// release refuses what it does not know. A name the table holds and config
// ignores, or enforces by another rule, fails here. The facts themselves
// are held to the pull requests by release/boundaries_test.go.

// previous is a version just before v on its branch: the patch before, or
// the last patch of the minor before. It reports false at a branch's start.
func previous(v release.Version) (string, bool) {
	switch {
	case v.Pre != "" || (v.Minor == 0 && v.Patch == 0) || v.String() == "12.1.0":
		return "", false
	case v.Patch > 0:
		v.Patch--
	default:
		v.Minor, v.Patch = v.Minor-1, 99
	}
	return v.String(), true
}

// boundaryPair runs check at every version a fact's availability names,
// and at the patch before it; want says whether the fact holds there.
func boundaryPair(t *testing.T, name string, a release.Avail, check func(t *testing.T, version string, want bool)) {
	t.Helper()
	for _, list := range []struct {
		versions []release.Version
		from     bool
	}{{a.Firsts(), true}, {a.Lasts(), false}} {
		for _, v := range list.versions {
			t.Run(name+"@"+v.String(), func(t *testing.T) {
				check(t, v.String(), list.from)
				if before, ok := previous(v); ok {
					check(t, before, !list.from)
				}
			})
		}
	}
}

// loads reports whether config loads a start at a version.
func loads(t *testing.T, version string, args []string, env Env) error {
	t.Helper()
	_, err := loadAt(t, version, args, env)
	return err
}

func wantLoad(t *testing.T, version string, want bool, args []string, env Env) {
	t.Helper()
	err := loads(t, version, args, env)
	if (err == nil) != want {
		t.Errorf("%s %q: got error %v, want loaded %v", version, args, err, want)
	}
}

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTableJoinMethodsAreEnforced(t *testing.T) {
	for _, m := range release.Facts().JoinMethods {
		boundaryPair(t, m.Name, m.Avail, func(t *testing.T, version string, want bool) {
			if release.For(version).Open && !want {
				return // an open release sends a method some release accepts
			}
			wantLoad(t, version, want, []string{"start", "--join-method", m.Name}, nil)
			// The file's method, where the release checks it.
			if release.For(version).Has(release.ChecksJoinMethod) {
				f := writeTemp(t, "join.yaml", "version: v2\nonboarding:\n  join_method: "+m.Name+"\n")
				wantLoad(t, version, want, []string{"start", "-c", f}, nil)
			}
		})
	}
}

// entryOf is the one service of testdata/v2/service-<type>.yaml, a valid
// entry of that type, as YAML.
func entryOf(t *testing.T, typ string) string {
	t.Helper()
	data, err := os.ReadFile(testdata("v2/service-" + strings.NewReplacer("/", "-", "_", "-").Replace(typ) + ".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	out, err := yaml.Marshal([]*yaml.Node{child(documentRoot(&doc), "services").Content[0]})
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestTableTypesAreEnforced(t *testing.T) {
	for _, typ := range release.Facts().ServiceTypes {
		for _, list := range []struct {
			name  string
			avail release.Avail
		}{{"outputs", typ.Output}, {"services", typ.Service}} {
			file := writeTemp(t, "entry.yaml", "version: v2\n"+list.name+":\n"+indent(entryOf(t, typ.Name)))
			boundaryPair(t, typ.Name+" under "+list.name, list.avail, func(t *testing.T, version string, want bool) {
				if release.For(version).Open && !want {
					return // an open release passes over a type it does not know
				}
				wantLoad(t, version, want, []string{"start", "-c", file}, nil)
			})
		}
	}
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n  ") + "\n"
}

// keyFile is a file of the right version with the key at its place, set to
// null, which every key's type takes.
func keyFile(place release.KeyPlace, key string) string {
	switch place {
	case release.V1Top:
		return key + ": ~\n"
	case release.V2Top:
		return "version: v2\n" + key + ": ~\n"
	case release.Onboarding:
		return "onboarding:\n  " + key + ": ~\n"
	case release.V1Storage:
		return "storage:\n  " + key + ": ~\n"
	case release.V1Destination:
		return "destinations:\n  - memory: true\n    " + key + ": ~\n"
	}
	return "destinations:\n  - memory: true\n    database: {service: s, " + key + ": ~}\n"
}

func TestTableKeysAreEnforced(t *testing.T) {
	for _, k := range release.Facts().Keys {
		switch {
		case k.Name == "version" || (k.Place == release.V2Top && k.Name == "onboarding"):
			continue // what says which version the file is
		case k.Place == release.V1Destination && k.Name == "memory", k.Place == release.V1Database && k.Name == "service":
			continue // what the probe's entry is made of
		}
		for _, version := range []string{"v1", "v2"} {
			if k.Place == release.Onboarding || version == "v1" && k.Place != release.V2Top || version == "v2" && k.Place == release.V2Top {
				content := keyFile(k.Place, k.Name)
				if k.Place == release.Onboarding && version == "v2" {
					content = "version: v2\n" + content
				}
				file := writeTemp(t, "key.yaml", content)
				boundaryPair(t, version+" "+k.Name, k.Avail, func(t *testing.T, v string, want bool) {
					rel := release.For(v)
					strict := rel.Has(release.StrictV1)
					if strings.HasPrefix(content, "version: v2") {
						strict = rel.Has(release.StrictV2)
						if !rel.Has(release.ReadsV2) {
							return
						}
					}
					if !strict || rel.Open {
						return // a lenient release refuses no key
					}
					if version == "v1" && !rel.Has(release.ReadsV1) {
						return
					}
					wantLoad(t, v, want, []string{"start", "-c", file}, nil)
				})
			}
		}
	}
}

// flagArgs is a use of a flag that tbot takes, with a value it takes.
func flagArgs(t *testing.T, f *release.Flag) []string {
	t.Helper()
	values := map[*release.Flag]string{
		release.FlagConfig:        writeTemp(t, "tbot.yaml", "oneshot: true\n"),
		release.FlagConfigString:  base64.StdEncoding.EncodeToString([]byte("oneshot: true\n")),
		release.FlagLogFormat:     "json",
		release.FlagJoinMethod:    "token",
		release.FlagTraceExporter: "grpc://127.0.0.1:1",
	}
	switch {
	case f == release.FlagTrace:
		return []string{"--trace", "--trace-exporter", "grpc://127.0.0.1:1"}
	case f.Kind == release.Bool:
		return []string{"--" + f.Name}
	case f.Kind == release.Duration:
		return []string{"--" + f.Name, "1h"}
	case values[f] != "":
		return []string{"--" + f.Name, values[f]}
	}
	return []string{"--" + f.Name, "/var/lib/value"}
}

func TestTableFlagsAreEnforced(t *testing.T) {
	groups := []struct {
		name  string
		uses  []release.FlagUse
		start func(version string) []string
	}{
		{"global", release.Facts().GlobalFlags, func(string) []string { return []string{"start"} }},
		{"start", release.Facts().StartFlags, func(string) []string { return []string{"start"} }},
		{"modes", release.Facts().ModeFlags, func(string) []string { return []string{"start", "identity", "--destination", "/opt/out"} }},
	}
	for _, g := range groups {
		for _, u := range g.uses {
			boundaryPair(t, g.name+" --"+u.Flag.Name, u.Avail, func(t *testing.T, version string, want bool) {
				rel := release.For(version)
				if rel.Open && !want {
					return // an open release passes over a flag it does not know
				}
				if g.name == "modes" && !rel.Has(release.StartModes) {
					return
				}
				if !want && slices.ContainsFunc(rel.GlobalFlags(), func(g release.FlagUse) bool { return g.Flag == u.Flag }) {
					want = true // it left start to become global, and is still taken after it
				}
				args := append(g.start(version), flagArgs(t, u.Flag)...)
				if g.name == "global" {
					// Before the command: the place only a global flag has.
					args = append(flagArgs(t, u.Flag), g.start(version)...)
				}
				wantLoad(t, version, want, args, nil)
			})
		}
	}
}

// modeArgs is a start of the mode with a value for each flag it requires,
// and a selector where its service needs one.
func modeArgs(m *release.Mode) []string {
	args := []string{"start", m.Name}
	values := map[string]string{"listen": "tcp://127.0.0.1:1", "audience": "a", "role-arn": "arn:aws:iam::1:role/r",
		"profile-arn": "arn:aws:rolesanywhere:us-east-1:1:profile/p", "trust-anchor-arn": "arn:aws:rolesanywhere:us-east-1:1:trust-anchor/t"}
	selector := false
	for _, u := range m.Flags {
		if u.Required {
			v := values[u.Flag.Name]
			if v == "" {
				v = "/opt/" + u.Flag.Name
			}
			args = append(args, "--"+u.Flag.Name, v)
		}
		selector = selector || strings.HasPrefix(u.Fills, "selector")
	}
	if selector {
		args = append(args, "--name-selector", "n")
	}
	if m.Name == "spiffe-svid" {
		args = append(args, "--svid-path", "/svc")
	}
	return args
}

func TestTableModesAreEnforced(t *testing.T) {
	for _, m := range release.Facts().Modes {
		boundaryPair(t, m.Name, m.Avail, func(t *testing.T, version string, want bool) {
			if release.For(version).Open && !want {
				return // an open release counts a mode it does not know
			}
			wantLoad(t, version, want, modeArgs(m), nil)
		})
	}
}

// Every kind of requirement the table can hold is one config checks: a
// kind config does not know would pass every entry.
func TestEveryRequirementKindIsChecked(t *testing.T) {
	failing := map[release.RequirementKind]string{
		release.NeedsString:       "listen: [a]",
		release.NeedsList:         "principals: a",
		release.NeedsValue:        "destination: {}",
		release.NeedsOneOfValues:  "format: xml",
		release.RefusesField:      "roles: [a]",
		release.NeedsAtMostOne:    "roles: [a]\ndelegation_session_id: d",
		release.NeedsDirectory:    "destination: {type: memory}",
		release.NeedsURL:          "listen: \"%zz\"",
		release.NeedsARN:          "role_arn: not-an-arn",
		release.NeedsSelector:     "selector: {name: a, labels: {b: [c]}}",
		release.NeedsSelectors:    "selectors: []",
		release.NeedsAWSSession:   "session_duration: 13h",
		release.NeedsLifetime:     "credential_ttl: 1h",
		release.NeedsAbsolutePath: "svid: {path: relative}",
		release.NeedsIPs:          "svid: {sans: {ip: [not-an-ip]}}",
		release.NeedsHostPorts:    "upstream_nameservers: [no-port]",
		release.NeedsListWhenSet:  "roles: access",
	}
	fields := map[release.RequirementKind][]string{
		release.NeedsString: {"listen"}, release.NeedsList: {"principals"}, release.NeedsValue: {"destination"},
		release.NeedsOneOfValues: {"format"}, release.RefusesField: {"roles"}, release.NeedsAtMostOne: {"roles", "delegation_session_id"},
		release.NeedsURL: {"listen"}, release.NeedsARN: {"role_arn"}, release.NeedsSelector: {"selector"},
		release.NeedsSelectors: {"selectors"}, release.NeedsAbsolutePath: {"svid.path"}, release.NeedsIPs: {"svid.sans.ip"},
		release.NeedsHostPorts: {"upstream_nameservers"}, release.NeedsListWhenSet: {"roles"},
		release.NeedsAWSSession: {"session_duration", "session_renewal_interval"},
	}
	for kind := release.RequirementKind(0); kind < release.NumRequirementKinds; kind++ {
		entry, ok := failing[kind]
		if !ok {
			t.Errorf("requirement kind %d has no failing entry in this test", kind)
			continue
		}
		var node yaml.Node
		if err := yaml.Unmarshal([]byte(entry), &node); err != nil {
			t.Fatal(err)
		}
		req := release.Requirement{Kind: kind, Fields: fields[kind], Values: []string{"tls"}}
		if kind == release.NeedsLifetime {
			req.Values = []string{"24h"}
		}
		err := checkRequirement(documentRoot(&node), req, checkContext{}, "an entry")
		var r *Refusal
		if !errors.As(err, &r) {
			t.Errorf("kind %d: %q passed, want a refusal", kind, entry)
		}
	}
}

// The names a mode's flags fill in its service are names its type's
// requirements read, or the destination: a fill that nothing reads is a
// flag config would not hold to tbot's checks.
func TestModeFillsAreRead(t *testing.T) {
	for _, m := range release.Facts().Modes {
		if m.Adds == nil {
			continue
		}
		var read []string
		for _, r := range m.Adds.Requires {
			read = append(read, r.Fields...)
		}
		for _, u := range m.Flags {
			if u.Fills == "" || u.Fills == "destination" {
				continue
			}
			key := strings.TrimSuffix(strings.SplitN(strings.SplitN(u.Fills, "[]", 2)[0], ".", 2)[0], "[]")
			if !slices.ContainsFunc(read, func(f string) bool { return f == key || strings.HasPrefix(f, key+".") }) {
				t.Errorf("mode %s: --%s fills %s, which no requirement of %s reads", m.Name, u.Flag.Name, u.Fills, m.Adds.Name)
			}
		}
	}
}
