package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// wantRefusal fails unless err is a refusal of the reason.
func wantRefusal(t *testing.T, what string, err error, reason Reason) {
	t.Helper()
	var r *Refusal
	if !errors.As(err, &r) || r.Reason != reason {
		t.Errorf("%s: got %v, want a refusal of reason %d", what, err, reason)
	}
}

// A file of exactly MaxFileSize bytes is read; one byte more is not.
func TestFileSizeBound(t *testing.T) {
	const head = "version: v2\noneshot: true\n#"
	at := writeTemp(t, "at.yaml", head+strings.Repeat("x", MaxFileSize-len(head)))
	over := writeTemp(t, "over.yaml", head+strings.Repeat("x", MaxFileSize-len(head)+1))
	if _, err := loadAt(t, "19.0.0", []string{"start", "-c", at}, nil); err != nil {
		t.Errorf("a file of exactly %d bytes: %v", MaxFileSize, err)
	}
	_, err := loadAt(t, "19.0.0", []string{"start", "-c", over}, nil)
	wantRefusal(t, "a file one byte over", err, FileTooLarge)
	// The same bound for a config string, by its decoded size: 4 MiB
	// decoded is read (its base64 ends in padding, so the encoded length
	// alone would say 2 bytes more), one byte more is not.
	const fourMiB = 4 << 20
	atString := base64.StdEncoding.EncodeToString([]byte(head + strings.Repeat("x", fourMiB-len(head))))
	if _, err := loadAt(t, "19.0.0", []string{"start"}, Env{EnvConfigString: atString}); err != nil {
		t.Errorf("a config string of exactly 4 MiB: %v", err)
	}
	overString := base64.StdEncoding.EncodeToString([]byte(head + strings.Repeat("x", fourMiB-len(head)+1)))
	_, err = loadAt(t, "19.0.0", []string{"start"}, Env{EnvConfigString: overString})
	wantRefusal(t, "a config string one byte over", err, ConfigStringInvalid)
	big := base64.StdEncoding.EncodeToString(make([]byte, fourMiB+3))
	_, err = loadAt(t, "19.0.0", []string{"start"}, Env{EnvConfigString: big})
	wantRefusal(t, "a config string far over the bound", err, ConfigStringInvalid)
}

// tbot's parser follows @file arguments 16 deep, no deeper.
func TestArgFileDepth(t *testing.T) {
	dir := t.TempDir()
	chain := func(depth int) string {
		last := filepath.Join(dir, fmt.Sprintf("d%d-%d", depth, depth))
		writeTemp2(t, last, "--oneshot\n")
		for i := depth - 1; i >= 1; i-- {
			p := filepath.Join(dir, fmt.Sprintf("d%d-%d", depth, i))
			writeTemp2(t, p, "@"+last+"\n")
			last = p
		}
		return "@" + last
	}
	if v, err := loadAt(t, "19.0.0", []string{"start", chain(maxArgFileExpansions)}, nil); err != nil || !v.Oneshot {
		t.Errorf("%d nested @files: %v", maxArgFileExpansions, err)
	}
	_, err := loadAt(t, "19.0.0", []string{"start", chain(maxArgFileExpansions + 1)}, nil)
	wantRefusal(t, "one @file deeper", err, ArgFile)
}

func writeTemp2(t *testing.T, path, content string) {
	t.Helper()
	if err := writeFileAt(path, content); err != nil {
		t.Fatal(err)
	}
}

// Storage: what a flag replaces is never checked; what is left is.
func TestStorageReplacedByAFlag(t *testing.T) {
	v1 := writeTemp(t, "v1.yaml", "storage:\n  directory: \"\"\n")
	v2 := writeTemp(t, "v2.yaml", "version: v2\nstorage:\n  type: directory\n")
	for _, tt := range []struct {
		version string
		args    []string
		refused bool
	}{
		{"13.1.3", []string{"start", "-c", v1}, true},
		{"13.1.3", []string{"start", "-c", v1, "--data-dir", "/var/lib/bot"}, false},
		{"17.7.7", []string{"start", "-c", v2}, true},
		{"17.7.7", []string{"start", "-c", v2, "--data-dir", "/var/lib/bot"}, false},
		{"17.7.7", []string{"start", "identity", "--destination", "/opt/out", "-c", v2, "--storage", "memory://"}, false},
		{"17.7.7", []string{"start", "identity", "--destination", "/opt/out", "--storage", "file://host/var/lib/bot"}, true},
	} {
		_, err := loadAt(t, tt.version, tt.args, nil)
		if (err != nil) != tt.refused {
			t.Errorf("%s %q: got %v, want refused %v", tt.version, tt.args, err, tt.refused)
		}
	}
}

// The CA options, as the merged onboarding has them.
func TestCAOptions(t *testing.T) {
	path := writeTemp(t, "path.yaml", "version: v2\nonboarding:\n  ca_path: /ca.pem\n")
	insecurePath := writeTemp(t, "insecure.yaml", "version: v2\ninsecure: true\nonboarding:\n  ca_path: /ca.pem\n")
	// A flag replaces the whole onboarding, ca_path with it.
	if _, err := loadAt(t, "15.4.9", []string{"start", "-c", path, "--ca-pin", "sha256:a"}, nil); err != nil {
		t.Errorf("--ca-pin over a file's ca_path: %v", err)
	}
	_, err := loadAt(t, "15.4.9", []string{"start", "-c", insecurePath}, nil)
	wantRefusal(t, "insecure with ca_path", err, CAConflict)
}

// The variables: the first of a repeated name, an empty one unset.
func TestEnv(t *testing.T) {
	env := EnvFromList([]string{"TBOT_DEBUG=1", "PATH=/bin", "TBOT_DEBUG=0", "NOEQUALS"})
	if env.Get("TBOT_DEBUG") != "1" || env.Get("PATH") != "/bin" || len(env) != 2 {
		t.Errorf("got %v; want the first TBOT_DEBUG, PATH, nothing else", env)
	}
	if _, err := loadAt(t, "19.0.0", []string{"start"}, Env{EnvDebug: ""}); err != nil {
		t.Errorf("an empty TBOT_DEBUG: %v", err)
	}
}

// What the v1 migration and the v12-v13 checks refuse of a destination.
func TestV1Destinations(t *testing.T) {
	tests := []struct {
		name, version, file string
		counted             []string // nil: refused
	}{
		{"two special requests, migrated", "16.0.0",
			"destinations:\n  - memory: true\n    app: a\n    database: {service: s}\n", nil},
		{"a database without a service", "16.0.0", "destinations:\n  - memory: true\n    database: {username: u}\n", nil},
		{"ssh_host_cert makes an ssh_host output", "16.0.0",
			"destinations:\n  - memory: true\n    configs:\n      - ssh_host_cert:\n          principals: [host.example.com]\n", []string{"ssh_host"}},
		{"ssh_host_cert without principals, 13", "13.1.3", "destinations:\n  - memory: true\n    configs: [ssh_host_cert]\n", nil},
		{"ssh_host_cert without principals, migrated", "16.0.0", "destinations:\n  - memory: true\n    configs: [ssh_host_cert]\n", nil},
		{"an empty entry of outputs", "18.0.0", "version: v2\noutputs:\n  -\n", nil},
		{"a directory destination without a path", "18.0.0", "version: v2\noutputs:\n  - type: identity\n    destination: {type: directory}\n", nil},
	}
	for _, tt := range tests {
		f := writeTemp(t, "tbot.yaml", tt.file)
		v, err := loadAt(t, tt.version, []string{"start", "-c", f}, nil)
		switch {
		case tt.counted == nil && err == nil:
			t.Errorf("%s: got %v, want refused", tt.name, v.Counted)
		case tt.counted != nil && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.counted != nil && strings.Join(v.Counted, ",") != strings.Join(tt.counted, ","):
			t.Errorf("%s: counted %v, want %v", tt.name, v.Counted, tt.counted)
		}
	}
}

// The bounds of the checks of a few types, at the value where they turn.
func TestTypeCheckBounds(t *testing.T) {
	const dest = "    destination: {type: directory, path: /opt/out}\n"
	const arns = "    role_arn: arn:aws:iam::1:role/r\n    profile_arn: arn:aws:rolesanywhere:us-east-1:1:profile/p\n    trust_anchor_arn: arn:aws:rolesanywhere:us-east-1:1:trust-anchor/t\n"
	tests := []struct {
		name, entry string
		ok          bool
	}{
		{"a key agent with roles alone", "  - type: identity/key-agent\n    roles: [a]\n" + dest, true},
		{"an ARN of five parts", "  - type: workload-identity-aws-roles-anywhere\n    selector: {name: w}\n" +
			"    role_arn: arn:aws:iam::role\n    profile_arn: arn:aws:x:y:1:p\n    trust_anchor_arn: arn:aws:x:y:1:t\n" + dest, false},
		{"a renewal as long as its session", "  - type: workload-identity-aws-roles-anywhere\n    selector: {name: w}\n" + arns +
			"    session_duration: 2h\n    session_renewal_interval: 2h\n" + dest, false},
		{"a renewal shorter than its session", "  - type: workload-identity-aws-roles-anywhere\n    selector: {name: w}\n" + arns +
			"    session_duration: 2h\n    session_renewal_interval: 1h59m\n" + dest, true},
		{"a 12h session", "  - type: workload-identity-aws-roles-anywhere\n    selector: {name: w}\n" + arns +
			"    session_duration: 12h\n" + dest, true},
	}
	for _, tt := range tests {
		f := writeTemp(t, "tbot.yaml", "version: v2\nservices:\n"+tt.entry)
		_, err := loadAt(t, "18.8.3", []string{"start", "-c", f}, nil)
		if (err == nil) != tt.ok {
			t.Errorf("%s: got %v, want loaded %v", tt.name, err, tt.ok)
		}
	}
}

func writeFileAt(path, content string) error { return os.WriteFile(path, []byte(content), 0o600) }
