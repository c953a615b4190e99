package config

import (
	"encoding/base64"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tbot-telemetry/tbot-telemetry/release"
)

func testdata(name string) string { return filepath.Join("..", "testdata", name) }

// load parses args and loads the file, as report does for a tbot of
// unknown version: by the newest rules, open to what is newer.
func load(t *testing.T, args []string, env Env) (*View, error) {
	t.Helper()
	return loadAt(t, "", args, env)
}

// loadAt is load for a tbot of the given version.
func loadAt(t *testing.T, version string, args []string, env Env) (*View, error) {
	t.Helper()
	inv, err := ParseArgs(args, env, release.For(version))
	if err != nil {
		return nil, err
	}
	return inv.Load()
}

// wantView is what the tests compare of a View.
type wantView struct {
	Oneshot    bool
	JoinMethod string
	Services   []string
}

func summarize(v *View) wantView {
	return wantView{Oneshot: v.Oneshot, JoinMethod: v.JoinMethod, Services: v.Counted}
}

func TestFiles(t *testing.T) {
	// v1 files are read as tbot 18 reads them (migrated in memory); v19
	// still migrates them (docs/release-lines.md).
	tests := []struct {
		file       string
		oneshot    bool
		joinMethod string
		services   []string
	}{
		{"v1/identity-directory.yaml", false, "token", []string{"identity"}},
		{"v1/app.yaml", false, "github", []string{"application"}},
		{"v1/database.yaml", false, "iam", []string{"database"}},
		{"v1/kubernetes.yaml", false, "kubernetes", []string{"kubernetes"}},
		{"v1/memory.yaml", false, "", []string{"identity", "identity"}},
		{"v1/no-destinations.yaml", false, "token", []string{}},
		{"v1/teleport-actions-oneshot.yaml", true, "github", []string{"identity", "kubernetes", "application"}},
		// The newest tbot applies join_uri only once its event is on its
		// way, so the event never has the method that only join_uri names.
		{"v2/join-uri-bad-scheme.yaml", false, "", []string{}},
		{"v2/join-uri-other-method.yaml", false, "gitlab", []string{}},
		{"v2/join-uri-with-address.yaml", false, "", []string{}},
		{"v2/services-scalar.yaml", false, "", []string{}},
		{"v2/outputs-actions-auth.yaml", true, "github", []string{"identity", "kubernetes"}},
		{"v2/services-actions-tunnel.yaml", false, "github", []string{"application-tunnel", "database-tunnel"}},
		{"v2/outputs-and-services.yaml", false, "gitlab", []string{"kubernetes/v2", "ssh-multiplexer", "application", "database"}},
		{"v2/join-uri.yaml", false, "", []string{"identity"}},
		{"v2/unknown-keys.yaml", false, "bound_keypair", []string{"identity"}},
		{"v2/oneshot-daemon-flag.yaml", true, "token", []string{"identity"}},
		{"v2/empty-lists.yaml", false, "azure_devops", []string{}},
		{"v2/service-unknown-type.yaml", false, "token", []string{"future-service-type"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			version := ""
			if strings.HasPrefix(tt.file, "v1/") {
				version = "18.0.0"
			}
			v, err := loadAt(t, version, []string{"start", "-c", testdata(tt.file)}, nil)
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			want := wantView{Oneshot: tt.oneshot, JoinMethod: tt.joinMethod, Services: tt.services}
			if !reflect.DeepEqual(summarize(v), want) {
				t.Errorf("got %+v, want %+v", v, want)
			}
		})
	}
}

// Every v2 file named service-<type>.yaml holds exactly one service of that
// type, so each type docs/release-lines.md names reaches the view as written.
func TestEveryServiceType(t *testing.T) {
	files, err := filepath.Glob(testdata("v2/service-*.yaml"))
	if err != nil || len(files) < 20 {
		t.Fatalf("want one file per service type, found %d (%v)", len(files), err)
	}
	for _, f := range files {
		v, err := load(t, []string{"start", "-c", f}, nil)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		data, _ := os.ReadFile(f)
		typ := strings.TrimSuffix(strings.TrimPrefix(strings.SplitN(string(data), "\n", 2)[0], "# v2: one service of type "), ".")
		if len(v.Counted) != 1 || v.Counted[0] != typ {
			t.Errorf("%s: services %v, want [%s]", f, v.Counted, typ)
		}
	}
}

func TestArgs(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  Env
		want wantView
	}{
		{"plain start is legacy and adds nothing", []string{"start"}, nil, wantView{Services: []string{}}},
		{"oneshot", []string{"start", "--oneshot"}, nil, wantView{Oneshot: true, Services: []string{}}},
		{"identity mode", []string{"start", "identity", "--destination=./out", "--join-method=github"}, nil,
			wantView{JoinMethod: "github", Services: []string{"identity"}}},
		{"global flag before command", []string{"-d", "start", "identity", "--destination", "./out"}, nil,
			wantView{Services: []string{"identity"}}},
		{"global flag after mode", []string{"start", "db", "--destination", "x", "--service", "s", "--username", "u", "--database", "d", "--debug", "--log-format=json"}, nil,
			wantView{Services: []string{"database"}}},
		{"alias k8s", []string{"start", "k8s", "--destination", "x", "--kubernetes-cluster", "c"}, nil, wantView{Services: []string{"kubernetes"}}},
		{"alias k8s/v2", []string{"start", "k8s/v2", "--destination", "x", "--label-selector", "a=b", "--label-selector", "c=d"}, nil,
			wantView{Services: []string{"kubernetes/v2"}}},
		{"alias app-tunnel", []string{"start", "app-tunnel", "--listen", "tcp://127.0.0.1:1", "--app", "x"}, nil,
			wantView{Services: []string{"application-tunnel"}}},
		{"alias app-proxy", []string{"start", "app-proxy", "--listen", "tcp://127.0.0.1:1"}, nil,
			wantView{Services: []string{"application-proxy"}}},
		{"alias db-tunnel", []string{"start", "db-tunnel", "--listen", "x", "--service", "s", "--username", "u", "--database", "d"}, nil,
			wantView{Services: []string{"database-tunnel"}}},
		{"alias ssh", []string{"start", "ssh", "--destination", "x"}, nil, wantView{Services: []string{"identity"}}},
		{"alias app", []string{"start", "app", "--destination", "x", "--app", "a"}, nil, wantView{Services: []string{"application"}}},
		{"noop adds none", []string{"start", "noop", "--join-method", "token"}, nil, wantView{JoinMethod: "token", Services: []string{}}},
		{"no-op alias", []string{"start", "no-op"}, nil, wantView{Services: []string{}}},
		{"explicit legacy", []string{"start", "legacy", "--oneshot"}, nil, wantView{Oneshot: true, Services: []string{}}},
		{"destination-dir", []string{"start", "--destination-dir", "/opt/out", "--token", "t"}, nil, wantView{Services: []string{"identity"}}},
		{"workload identity x509", []string{"start", "workload-identity-x509", "--destination", "x", "--name-selector", "n"}, nil,
			wantView{Services: []string{"workload-identity-x509"}}},
		{"aws roles anywhere", []string{"start", "workload-identity-aws-roles-anywhere", "--destination", "x", "--name-selector", "n",
			"--role-arn", "arn:aws:iam::1:role/r", "--profile-arn", "arn:aws:rolesanywhere:us-east-1:1:profile/p",
			"--trust-anchor-arn", "arn:aws:rolesanywhere:us-east-1:1:trust-anchor/t"}, nil,
			wantView{Services: []string{"workload-identity-aws-roles-anywhere"}}},
		{"ssh-multiplexer", []string{"start", "ssh-multiplexer", "--destination", "x", "--enable-resumption"}, nil,
			wantView{Services: []string{"ssh-multiplexer"}}},
		// tbot 19 dropped spiffe-svid: to the newest rules it is a mode
		// this program does not know, which counts as one service.
		{"removed spiffe-svid", []string{"start", "spiffe-svid", "--svid-path", "/svc"}, nil, wantView{Services: []string{modeUnknown}}},
		{"unknown mode counts as one service", []string{"start", "quantum-tunnel", "--destination", "x", "--qubits", "9"}, nil,
			wantView{Services: []string{modeUnknown}}},
		{"unknown flags are passed over", []string{"start", "identity", "--future-flag", "v", "--destination", "x", "--future-bool", "--other=1"}, nil,
			wantView{Services: []string{"identity"}}},
		{"unknown short flag is passed over", []string{"-z", "start", "--oneshot"}, nil, wantView{Oneshot: true, Services: []string{}}},
		{"short cluster", []string{"start", "-dc", testdata("v2/empty-lists.yaml")}, nil,
			wantView{JoinMethod: "azure_devops", Services: []string{}}},
		{"short with attached value", []string{"start", "-c" + testdata("v2/empty-lists.yaml")}, nil,
			wantView{JoinMethod: "azure_devops", Services: []string{}}},
		// The newest tbot reads --join-uri only once its event is on its way:
		// a join URI never refuses a start, and never names the method.
		{"join uri flag", []string{"start", "identity", "--destination", "x", "--join-uri", "tbot+proxy+azure-devops://tok@example.com:443"}, nil,
			wantView{Services: []string{"identity"}}},
		{"join uri not a join uri", []string{"start", "noop", "--join-uri", "https://example.com"}, nil, wantView{Services: []string{}}},
		{"join uri with token", []string{"start", "noop", "--join-uri", "tbot+proxy+github://tok@h:1", "--token", "t"}, nil, wantView{Services: []string{}}},
		{"join uri with other method", []string{"start", "noop", "--join-uri", "tbot+proxy+github://tok@h:1", "--join-method", "iam"}, nil,
			wantView{JoinMethod: "iam", Services: []string{}}},
		{"config path from env", []string{"start"}, Env{EnvConfigPath: testdata("v2/outputs-actions-auth.yaml")},
			wantView{Oneshot: true, JoinMethod: "github", Services: []string{"identity", "kubernetes"}}},
		{"flag wins over env config path", []string{"start", "-c", testdata("v2/outputs-actions-auth.yaml")}, Env{EnvConfigPath: testdata("v2/empty-lists.yaml")},
			wantView{Oneshot: true, JoinMethod: "github", Services: []string{"identity", "kubernetes"}}},
		{"config string from env", []string{"start"}, Env{EnvConfigString: base64.StdEncoding.EncodeToString([]byte("version: v2\noneshot: true\nservices: [{type: database, service: s, destination: {type: memory}}]\n"))},
			wantView{Oneshot: true, Services: []string{"database"}}},
		{"empty env var counts as unset", []string{"start", "-c", testdata("v2/outputs-actions-auth.yaml")}, Env{EnvConfigString: ""},
			wantView{Oneshot: true, JoinMethod: "github", Services: []string{"identity", "kubernetes"}}},
		{"TBOT_DEBUG parses", []string{"start"}, Env{EnvDebug: "true"}, wantView{Services: []string{}}},
		// tbot's parser lets a flag be repeated; the last one wins.
		{"repeated flags", []string{"start", "--oneshot", "--no-oneshot", "--join-method", "iam", "--join-method", "github"}, nil,
			wantView{JoinMethod: "github", Services: []string{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := load(t, tt.args, tt.env)
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			if !reflect.DeepEqual(summarize(v), tt.want) {
				t.Errorf("got %+v, want %+v", *v, tt.want)
			}
		})
	}
}

func TestNotStart(t *testing.T) {
	for _, args := range [][]string{
		{}, {"version"}, {"configure", "identity", "-c", "x"}, {"init"}, {"help", "start"}, {"-d", "migrate"},
		{"start", "--help"}, {"--help"}, {"db", "start"}, {"--completion-bash", "start"}, {"keypair", "create"},
		{"start", "--help-long"}, {"start", "--help-man"},
	} {
		if _, err := ParseArgs(args, nil, release.For("")); !errors.Is(err, ErrNotStart) {
			t.Errorf("%q: got %v, want ErrNotStart", args, err)
		}
	}
}

// Flags over the file, as the newest tbot merges them.
func TestMerge(t *testing.T) {
	v2 := testdata("v2/outputs-and-services.yaml") // gitlab; services kubernetes/v2, ssh-multiplexer; outputs application, database
	oneshot := testdata("v2/oneshot-daemon-flag.yaml")
	tests := []struct {
		name string
		args []string
		env  Env
		want wantView
	}{
		{"--no-oneshot turns the file's oneshot off", []string{"start", "-c", oneshot, "--no-oneshot"}, nil,
			wantView{JoinMethod: "token", Services: []string{"identity"}}},
		{"--oneshot over a daemon file", []string{"start", "-c", v2, "--oneshot"}, nil,
			wantView{Oneshot: true, JoinMethod: "gitlab", Services: []string{"kubernetes/v2", "ssh-multiplexer", "application", "database"}}},
		{"--join-method replaces onboarding", []string{"start", "-c", v2, "--join-method", "iam"}, nil,
			wantView{JoinMethod: "iam", Services: []string{"kubernetes/v2", "ssh-multiplexer", "application", "database"}}},
		{"--token alone drops the file's join method", []string{"start", "-c", v2, "--token", "secret"}, nil,
			wantView{JoinMethod: "", Services: []string{"kubernetes/v2", "ssh-multiplexer", "application", "database"}}},
		{"TELEPORT_BOT_TOKEN acts as --token", []string{"start", "-c", v2}, Env{"TELEPORT_BOT_TOKEN": "secret"},
			wantView{JoinMethod: "", Services: []string{"kubernetes/v2", "ssh-multiplexer", "application", "database"}}},
		{"--ca-pin replaces onboarding", []string{"start", "-c", v2, "--ca-pin", "sha256:a", "--ca-pin", "sha256:b"}, nil,
			wantView{JoinMethod: "", Services: []string{"kubernetes/v2", "ssh-multiplexer", "application", "database"}}},
		{"--destination-dir replaces services, keeps outputs", []string{"start", "-c", v2, "--destination-dir", "/opt/out"}, nil,
			wantView{JoinMethod: "gitlab", Services: []string{"identity", "application", "database"}}},
		{"--destination-dir over a v2 file without services", []string{"start", "-c", oneshot, "--destination-dir", "/opt/out"}, nil,
			wantView{Oneshot: true, JoinMethod: "token", Services: []string{"identity"}}},
		{"a mode appends its service", []string{"start", "app-tunnel", "-c", v2, "--listen", "x", "--app", "a"}, nil,
			wantView{JoinMethod: "gitlab", Services: []string{"kubernetes/v2", "ssh-multiplexer", "application-tunnel", "application", "database"}}},
		{"a mode over a file with outputs", []string{"start", "database", "-c", v2, "--destination", "x", "--service", "s", "--username", "u", "--database", "d"}, nil,
			wantView{JoinMethod: "gitlab", Services: []string{"kubernetes/v2", "ssh-multiplexer", "database", "application", "database"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := load(t, tt.args, tt.env)
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			if !reflect.DeepEqual(summarize(v), tt.want) {
				t.Errorf("got %+v, want %+v", *v, tt.want)
			}
		})
	}
}

// What tbot refuses yields no view and a refusal of the right reason,
// about the right flag or variable.
func TestRefusedArgs(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     Env
		reason  Reason
		subject string
	}{
		{"flag without value", []string{"start", "--token"}, nil, MissingValue, "--token"},
		{"config without value", []string{"start", "-c"}, nil, MissingValue, "-c"},
		{"missing required destination", []string{"start", "identity"}, nil, RequiredFlag, "--destination"},
		{"bool with =false", []string{"start", "--oneshot=false"}, nil, UnexpectedArgument, ""},
		{"stray positional", []string{"start", "identity", "--destination", "x", "extra"}, nil, UnexpectedArgument, ""},
		{"bad duration", []string{"start", "--certificate-ttl", "forever"}, nil, BadFlagValue, "--certificate-ttl"},
		{"bad log format", []string{"--log-format", "xml", "start"}, nil, BadFlagValue, "--log-format"},
		{"empty join method", []string{"start", "--join-method="}, nil, JoinMethodFlag, ""},
		{"config and config-string", []string{"start", "-c", "x", "--config-string", "eA=="}, nil, ConfigAndConfigString, ""},
		{"-c with TBOT_CONFIG", []string{"start", "-c", "x"}, Env{EnvConfigString: "eA=="}, ConfigAndConfigString, ""},
		{"TBOT_CONFIG_PATH with TBOT_CONFIG", []string{"start"}, Env{EnvConfigPath: "x", EnvConfigString: "eA=="}, ConfigAndConfigString, ""},
		{"bad TBOT_DEBUG", []string{"start"}, Env{EnvDebug: "yes"}, EnvNotBool, "TBOT_DEBUG"},
		{"bad base64 config string", []string{"start"}, Env{EnvConfigString: "%%%not base64"}, ConfigStringInvalid, ""},
		{"implausible join method", []string{"start", "--join-method", "GitHub!"}, nil, JoinMethodUnknown, ""},
		{"a join method of no release", []string{"start", "--join-method", "bogus"}, nil, JoinMethodUnknown, ""},
		{"legacy flag before mode", []string{"start", "--oneshot", "identity", "--destination", "x"}, nil, UnexpectedArgument, ""},
		{"bad storage", []string{"start", "identity", "--destination", "x", "--storage", "s3://b"}, nil, StorageURI, "--storage"},
		{"trace without exporter", []string{"--trace", "start"}, nil, TraceWithoutExporter, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := load(t, tt.args, tt.env)
			var r *Refusal
			if !errors.As(err, &r) {
				t.Fatalf("got view %+v, error %v; want a refusal of reason %d", v, err, tt.reason)
			}
			if r.Reason != tt.reason || r.Subject != tt.subject {
				t.Errorf("got %q (reason %d, subject %q), want reason %d, subject %q", err, r.Reason, r.Subject, tt.reason, tt.subject)
			}
		})
	}
}

// A refusal is put into words in one place, from its reason, subject,
// line and detail, never from anything else.
func TestRefusalWords(t *testing.T) {
	tests := []struct {
		r    *Refusal
		want string
	}{
		{refuse(MissingValue, "--token"), "tbot would refuse its arguments: flag --token is missing its value"},
		{refuse(UnknownFlag, "--bogus"), "tbot would refuse its arguments: this tbot release has no flag --bogus"},
		{refuse(UnknownFlag, "--sk-live-1234567890 secret"), "tbot would refuse its arguments: this tbot release has no flag (unprintable)"},
		{refuse(EnvNotBool, "TBOT_DEBUG"), "tbot would refuse its environment: TBOT_DEBUG is not a boolean"},
		{refuse(FileTooLarge, ""), "config file is larger than 4 MiB"},
		{refuse(UnknownKey, "bot_nmae").at(3).with("the top level"), `config file: line 3: the top level has a key this tbot release does not know: "bot_nmae"`},
		{refuse(UnknownKey, "a1b2c3d4e5f6a7b8").at(3).with("onboarding"), "config file: line 3: onboarding has a key this tbot release does not know"},
		{refuse(MissingField, "listen").at(7).with("an entry of services of type application-tunnel"),
			"config file: line 7: an entry of services of type application-tunnel has no listen"},
		{&Refusal{Reason: FileEmpty, Hint: "the file looks like an unrendered template"}, "config file is empty (the file looks like an unrendered template)"},
		{refuse(StorageURI, ""), "tbot would refuse its arguments: --data-dir is not a storage tbot knows"},
	}
	for _, tt := range tests {
		if got := tt.r.Error(); got != tt.want {
			t.Errorf("got  %q\nwant %q", got, tt.want)
		}
	}
}

// One small file per bad input, with the fragment of the error it must get.
// Every file in testdata/bad must be listed, so none is left unchecked.
func TestBadFiles(t *testing.T) {
	want := map[string]string{
		"empty.yaml":                    "config file is empty",
		"comments-only.yaml":            "config file is empty",
		"unknown-version.yaml":          "unrecognized config version",
		"version-not-string.yaml":       "line 1: wrong value type (!!seq where a string was expected)",
		"oneshot-not-bool.yaml":         "line 2: wrong value type (!!str where a boolean was expected)",
		"service-not-mapping.yaml":      "line 3: wrong value type (expected a mapping)",
		"service-without-type.yaml":     "line 3: an entry of services has no type",
		"onboarding-not-mapping.yaml":   "line 2: wrong value type (!!str where a mapping was expected)",
		"token-not-string.yaml":         "line 3: wrong value type (expected a string)",
		"bad-duration.yaml":             "line 2: wrong value type (!!str where a duration was expected)",
		"join-method-implausible.yaml":  "tbot would refuse the join method",
		"helm-template.yaml":            "looks like an unrendered template",
		"helm-template-quoted.yaml":     "looks like an unrendered template",
		"v1-app-not-string.yaml":        "line 3: wrong value type (expected a string)",
		"v1-destinations-not-list.yaml": "line 1: wrong value type (!!map where a list was expected)",
		"malformed.yaml":                "line 4: not valid YAML: did not find expected '-' indicator",
		"unclosed-flow.yaml":            "not valid YAML",
		"scalar-document.yaml":          "line 1: wrong value type (!!str where a mapping was expected)",
		"list-document.yaml":            "line 1: wrong value type (!!seq where a mapping was expected)",
		"binary.yaml":                   "control characters are not allowed",
		"auth-server-not-string.yaml":   "line 2: wrong value type (!!map where a string was expected)",
		"alias-bomb.yaml":               "wrong value type",
		"deep-nesting.yaml":             "exceeded max depth",
	}
	files, err := os.ReadDir(testdata("bad"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := f.Name()
		t.Run(name, func(t *testing.T) {
			fragment, ok := want[name]
			if !ok {
				t.Fatalf("testdata/bad/%s has no expected error in this table", name)
			}
			// As tbot 18 reads them: the last that reads both versions.
			v, err := loadAt(t, "18.0.0", []string{"start", "-c", testdata("bad/" + name)}, nil)
			if err == nil {
				t.Fatalf("got view %+v, want an error containing %q", v, fragment)
			}
			if !strings.Contains(err.Error(), fragment) {
				t.Errorf("got %q, want it to contain %q", err, fragment)
			}
		})
	}
	if len(files) != len(want) {
		t.Errorf("table has %d entries for %d files", len(want), len(files))
	}
}

// tbot 19 refuses an output or service that lists roles; 18 took them.
func TestRolesRefusedFrom19(t *testing.T) {
	f := filepath.Join(t.TempDir(), "roles.yaml")
	if err := os.WriteFile(f, []byte("version: v2\nservices:\n  - type: identity\n    roles: [access]\n    destination: {type: memory}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadAt(t, "18.3.0", []string{"start", "-c", f}, nil); err != nil {
		t.Errorf("18: %v", err)
	}
	if _, err := loadAt(t, "19.0.0", []string{"start", "-c", f}, nil); err == nil || !strings.Contains(err.Error(), "sets roles") {
		t.Errorf("19: got %v, want roles refused", err)
	}
}

func TestSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	loop := filepath.Join(dir, "loop")
	if err := os.Symlink(loop, loop); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, append([]byte("version: v2\n#"), make([]byte, MaxFileSize)...), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ path, want string }{
		{dir, "config file is a directory"},
		{loop, "config file is a symlink loop"},
		{fifo, "config file is not a regular file"},
		{"/dev/zero", "config file is not a regular file"},
		{big, "config file is larger than 4 MiB"},
		{filepath.Join(dir, "missing.yaml"), "config file does not exist"},
	}
	for _, tt := range tests {
		// Bounded: opening a FIFO waits for a writer, and reading
		// /dev/zero never ends, so a file that is not looked at first
		// would hang the start.
		done := make(chan error, 1)
		go func() { _, err := load(t, []string{"start", "-c", tt.path}, nil); done <- err }()
		var err error
		select {
		case err = <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: still reading after 10 s", filepath.Base(tt.path))
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want %q", filepath.Base(tt.path), err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), dir) {
			t.Errorf("error names the path: %v", err)
		}
	}
}

func TestUnreadableFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads any file; permission checks need a non-root user")
	}
	f := filepath.Join(t.TempDir(), "secret.yaml")
	if err := os.WriteFile(f, []byte("version: v2\n"), 0o000); err != nil {
		t.Fatal(err)
	}
	_, err := load(t, []string{"start", "-c", f}, nil)
	if err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("got %v, want permission denied", err)
	}
}

// No error ever quotes a value from the file or the command line.
func TestErrorsKeepSecrets(t *testing.T) {
	const marker = "MARKER7f3a"
	dir := t.TempDir()
	files := map[string]string{
		"token-map.yaml":    "version: v2\nonboarding:\n  token: {" + marker + ": 1}\n",
		"oneshot.yaml":      "version: v2\noneshot: " + marker + "\n",
		"ttl.yaml":          "version: v2\ncredential_ttl: " + marker + "\n",
		"version.yaml":      "version: " + marker + "\n",
		"join.yaml":         "version: v2\nonboarding:\n  join_method: " + marker + "\n",
		"anchor.yaml":       "version: v2\nservices: *" + marker + "\n",
		"scalar.yaml":       marker + "\n",
		"type-in-list.yaml": "version: v2\nservices:\n  - type: [" + marker + "]\n",
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := load(t, []string{"start", "-c", p}, nil)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if strings.Contains(err.Error(), marker) {
			t.Errorf("%s: error quotes the file: %v", name, err)
		}
	}
	for _, args := range [][]string{
		{"start", "identity", "--destination", "x", marker},
		{"start", "--certificate-ttl", marker},
		{"start", "--join-method", marker},
		{"--log-format", marker, "start"},
	} {
		_, err := load(t, args, nil)
		if err == nil || strings.Contains(err.Error(), marker) {
			t.Errorf("%q: got %v, want an error that does not quote the value", args, err)
		}
	}
}

func TestReadLogHints(t *testing.T) {
	tests := []struct {
		args []string
		env  Env
		want LogHints
	}{
		{[]string{"start", "-d", "--log-format", "json"}, nil, LogHints{Debug: true, LogFormat: "json"}},
		{[]string{"--log-format=text", "start"}, nil, LogHints{LogFormat: "text"}},
		{[]string{"start", "--log-format=xml"}, nil, LogHints{}},
		{[]string{"start"}, Env{EnvDebug: "1"}, LogHints{Debug: true}},
		{[]string{"start", "--no-debug"}, Env{EnvDebug: "1"}, LogHints{}},
		{[]string{"start", "--", "-d"}, nil, LogHints{}},
	}
	for _, tt := range tests {
		if got := ReadLogHints(tt.args, tt.env); got != tt.want {
			t.Errorf("%q: got %+v, want %+v", tt.args, got, tt.want)
		}
	}
}

// Nulls and empties are read as tbot's decoding reads them: a null block
// or name is no value, an empty token is still a string, and an empty
// `outputs` list does not make a v1 file a v2 one (tbot refuses only a
// non-empty one).
func TestNullsAndEmpties(t *testing.T) {
	path := writeTemp(t, "v1.yaml", `onboarding:
  join_method: azure
  token: ""
  azure: ~
destinations:
  - directory: /var/lib/bot
    app: ~
outputs: []
`)
	v, err := loadAt(t, "18.2.3", []string{"start", "-c", path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := summarize(v), (wantView{JoinMethod: "azure", Services: []string{"identity"}}); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	withOutputs := writeTemp(t, "v1-outputs.yaml", "destinations:\n  - directory: /var/lib/bot\noutputs:\n  - type: identity\n")
	_, err = loadAt(t, "18.2.3", []string{"start", "-c", withOutputs}, nil)
	wantRefusal(t, "a v1 file with outputs", err, BadField)
}

// kingpin's --no-FLAG exists for a flag that is on or off, and for no
// other: a closed release refuses --no-auth-server as a flag it does not
// know.
func TestNoPrefixOnlyForSwitches(t *testing.T) {
	if v, err := loadAt(t, "18.2.3", []string{"start", "--no-oneshot", "--auth-server", "example.com:443"}, nil); err != nil || v.Oneshot {
		t.Errorf("--no-oneshot: got %+v, %v", v, err)
	}
	_, err := loadAt(t, "18.2.3", []string{"start", "--no-auth-server", "example.com:443"}, nil)
	var r *Refusal
	if !errors.As(err, &r) || r.Reason != UnknownFlag || r.Subject != "--no-auth-server" {
		t.Errorf("--no-auth-server: got %v, want an unknown flag --no-auth-server", err)
	}
}

// An @file's lines that start with # and its blank lines are no
// arguments, as kingpin reads them.
func TestArgFileCommentsAndBlankLines(t *testing.T) {
	path := writeTemp(t, "args", "# --bogus-flag\n\n   \n--oneshot\n")
	v, err := loadAt(t, "18.2.3", []string{"start", "@" + path}, nil)
	if err != nil || !v.Oneshot {
		t.Errorf("got %+v, %v; want a one-shot start", v, err)
	}
}

// After --, kingpin takes every argument as it is: an @file there is no
// file to read but an argument, which `start` does not take.
func TestArgFileAfterDoubleDash(t *testing.T) {
	empty := writeTemp(t, "empty-args", "# nothing\n")
	if _, err := loadAt(t, "18.2.3", []string{"start", "@" + empty}, nil); err != nil {
		t.Errorf("an @file of no arguments: %v", err)
	}
	_, err := loadAt(t, "18.2.3", []string{"start", "--", "@" + empty}, nil)
	wantRefusal(t, "an @file after --", err, UnexpectedArgument)
}

// A v1 destination's config templates, as tbot 12-13 check them and as the
// migration of tbot 14 and later does (docs/release-lines.md): the
// migration takes only the templates of the destination's output type,
// each once, at most one database format, and no options.
func TestV1Templates(t *testing.T) {
	tests := []struct {
		name, version, extra, configs string
		accepted                      bool
	}{
		{"an application's tls", "18.2.3", "app: grafana", "[tls]", true},
		{"an application's mongo", "18.2.3", "app: grafana", "[mongo]", false},
		{"one database format", "18.2.3", "database: {service: pg}", "[tls_cas, mongo]", true},
		{"two database formats", "18.2.3", "database: {service: pg}", "[mongo, tls]", false},
		{"a template named twice, migrated", "18.2.3", "", "[identity, identity]", false},
		{"a template named twice, on 13", "13.1.3", "", "[identity, identity]", true},
		{"an empty entry passed over", "18.2.3", "", "[~, identity]", true},
		{"an empty mapping", "18.2.3", "", "[{}]", false},
		{"ssh_host_cert without principals", "13.1.3", "", "[{ssh_host_cert: {principals: []}}]", false},
		{"ssh_host_cert with a principal", "13.1.3", "", "[{ssh_host_cert: {principals: [host.example.com]}}]", true},
		{"options of tls on 13", "13.1.3", "", "[{tls: {ca_cert_type: db}}]", true},
		{"an unknown CA type of tls on 13", "13.1.3", "", "[{tls: {ca_cert_type: bogus}}]", false},
		{"options of tls, migrated", "18.2.3", "", "[{tls: {ca_cert_type: db}}]", false},
		{"ssh_client for an application on 13", "13.1.3", "app: grafana", "[ssh_client]", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := "destinations:\n  - directory: /var/lib/bot\n    configs: " + tt.configs + "\n"
			if tt.extra != "" {
				file += "    " + tt.extra + "\n"
			}
			_, err := loadAt(t, tt.version, []string{"start", "-c", writeTemp(t, "bot.yaml", file)}, nil)
			if tt.accepted && err != nil {
				t.Errorf("refused: %v", err)
			}
			if !tt.accepted {
				wantRefusal(t, tt.name, err, BadField)
			}
		})
	}
}

// The hint for an unrendered template needs a {{ with a }} after it; a
// file with only one of them is refused without it.
func TestTemplateHintNeedsBothBraces(t *testing.T) {
	for content, hinted := range map[string]bool{
		"version: v2\n# {{ .Values.x }}\noneshot: maybe\n": true,
		"version: v2\n# {{ left open\noneshot: maybe\n":    false,
		"version: v2\n# }} {{\noneshot: maybe\n":           false,
	} {
		_, err := loadAt(t, "18.0.0", []string{"start", "-c", writeTemp(t, "bot.yaml", content)}, nil)
		wantRefusal(t, content, err, WrongType)
		if got := err != nil && strings.Contains(err.Error(), "unrendered template"); got != hinted {
			t.Errorf("%q: hinted %v, want %v (%v)", content, got, hinted, err)
		}
	}
}

// tbot 12-13 decode a v1 file strictly, nested blocks too: an unknown
// key of storage or of a destination's database is refused there, and
// taken by 14-18, which migrate v1 files leniently.
func TestStrictV1NestedKeys(t *testing.T) {
	for name, file := range map[string]string{
		"storage":  "storage:\n  directory: /var/lib/bot\n  colour: blue\n",
		"database": "destinations:\n  - directory: /var/lib/bot\n    database:\n      service: pg\n      colour: blue\n",
	} {
		_, err := loadAt(t, "13.1.3", []string{"start", "-c", writeTemp(t, "bot.yaml", file)}, nil)
		var r *Refusal
		if !errors.As(err, &r) || r.Reason != UnknownKey || r.Subject != "colour" {
			t.Errorf("%s on 13.1.3: got %v, want the unknown key colour refused", name, err)
		}
		if _, err := loadAt(t, "16.0.0", []string{"start", "-c", writeTemp(t, "bot.yaml", file)}, nil); err != nil {
			t.Errorf("%s on 16.0.0: %v", name, err)
		}
	}
}

// What the system says when a file cannot be read, put in tbot's words:
// a permission error is never said to be a missing file (root, which runs
// the tests, reads any file, so the error is made here).
func TestDescribeFSError(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want Reason
	}{
		{&fs.PathError{Op: "open", Path: "bot.yaml", Err: syscall.ENOENT}, FileMissing},
		{&fs.PathError{Op: "open", Path: "bot.yaml", Err: syscall.EACCES}, FilePermission},
		{&fs.PathError{Op: "open", Path: "bot.yaml", Err: syscall.EPERM}, FilePermission},
		{&fs.PathError{Op: "open", Path: "bot.yaml", Err: syscall.ELOOP}, FileNotRegular},
		{&fs.PathError{Op: "read", Path: "bot.yaml", Err: syscall.EIO}, FileUnreadable},
	} {
		if got := describeFSError(tt.err); got.Reason != tt.want {
			t.Errorf("%v: reason %d, want %d", tt.err, got.Reason, tt.want)
		}
	}
}
