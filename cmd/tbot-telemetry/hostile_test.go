package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The hostile-input catalogue: each case runs the built binary as tbot's
// launcher would, and must end within 5 s under 200 MiB with one warning
// naming what was wrong, no event, exit 0 (1 under --strict), no panic.

const (
	hostileTimeLimit   = 5 * time.Second
	hostileMemoryLimit = 200 << 20
)

type hostileCase struct {
	name      string
	args      []string // tbot's
	env       []string
	want      string // fragment of the one warning; empty when an event is fine
	wantEvent bool
	nobody    bool   // run as an unprivileged user
	version   string // of the tbot; empty for the newest
}

func hostileCases(t *testing.T) []hostileCase {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var cases []hostileCase
	bad, err := filepath.Glob(repoFile("testdata", "bad", "*.yaml"))
	if err != nil || len(bad) == 0 {
		t.Fatalf("no bad inputs: %v", err)
	}
	for _, f := range bad {
		cases = append(cases, hostileCase{name: "testdata/bad/" + filepath.Base(f), args: []string{"start", "-c", f}, want: "Not sending"})
	}

	huge := make([]byte, 20<<20)
	copy(huge, "version: v2\n#")
	for i := 13; i < len(huge); i++ {
		huge[i] = 'x'
	}
	loop := filepath.Join(dir, "loop.yaml")
	if err := os.Symlink(loop, loop); err != nil {
		t.Fatal(err)
	}
	unreadable := write("unreadable.yaml", []byte("version: v2\n"), 0o600)
	// The kernel's limit is 128 KiB per argument or variable, NUL included.
	big := strings.Repeat("A", 128<<10-1<<10)
	cases = append(cases,
		hostileCase{name: "20 MiB file", args: []string{"start", "-c", write("huge.yaml", huge, 0o644)}, want: "larger than 4 MiB"},
		hostileCase{name: "directory", args: []string{"start", "-c", dir}, want: "is a directory"},
		hostileCase{name: "symlink loop", args: []string{"start", "-c", loop}, want: "symlink loop"},
		hostileCase{name: "unreadable file", args: []string{"start", "-c", unreadable}, want: "permission denied", nobody: true},
		hostileCase{name: "NUL bytes", args: []string{"start", "-c", write("nul.yaml", []byte("version: v2\x00\nservices: []\n"), 0o644)}, want: "not valid YAML"},
		hostileCase{name: "invalid UTF-8 join method", args: []string{"start", "-c", write("utf8.yaml", []byte("onboarding:\n  join_method: gith\xffub\n"), 0o644)}, want: "not valid YAML"},
		hostileCase{name: "invalid UTF-8 service type", args: []string{"start", "-c", write("utf8-type.yaml", []byte("version: v2\nservices:\n  - type: data\xc3\x28base\n"), 0o644)}, want: "not valid YAML"},
		hostileCase{name: "bad base64 TBOT_CONFIG", args: []string{"start"}, env: []string{"TBOT_CONFIG=%%%"}, want: "not valid base64"},
		hostileCase{name: "-c with TBOT_CONFIG", args: []string{"start", "-c", unreadable}, env: []string{"TBOT_CONFIG=" + base64.StdEncoding.EncodeToString([]byte("version: v2\n"))}, want: "cannot specify both config and config-string"},
		hostileCase{name: "flag without value", args: []string{"start", "identity", "--destination"}, want: "flag --destination is missing its value"},
		hostileCase{name: "128 KiB argument", args: []string{"start", "--join-method", big}, want: "not one that any tbot release accepts"},
		hostileCase{name: "128 KiB TBOT_CONFIG", args: []string{"start"}, env: []string{"TBOT_CONFIG=" + big + "!"}, want: "not valid base64"},
		hostileCase{name: "128 KiB helper", args: []string{"start"}, env: []string{"_TBOT_TELEMETRY_HELPER=" + big}, wantEvent: true},
		hostileCase{name: "128 KiB token", args: []string{"start", "--token", big}, wantEvent: true},
		hostileCase{name: "128 KiB unknown flag", args: []string{"start", "--" + big}, wantEvent: true},
	)
	for _, wt := range wrongTypeFiles() {
		cases = append(cases, hostileCase{name: "wrong type: " + wt.key, args: []string{"start", "-c", write("wrong-"+strings.NewReplacer("/", "-", "[", "", "]", "").Replace(wt.key)+".yaml", []byte(wt.yaml), 0o644)},
			want: "wrong value type", version: wt.version})
	}
	return cases
}

// wrongType is one file with a wrong value at one key, for the tbot
// version that reads such a file (empty: the newest).
type wrongType struct{ key, yaml, version string }

// wrongTypeFiles puts a value of the wrong kind at every key tbot types.
func wrongTypeFiles() []wrongType {
	var out []wrongType
	v2top := map[string]string{
		"version": "[v2]", "oneshot": "{a: 1}", "debug": "[1]", "fips": "maybe", "insecure": "{}",
		"auth_server": "{a: b}", "proxy_server": "[a]", "diag_addr": "{a: b}", "certificate_ttl": "forever",
		"credential_ttl": "[1h]", "renewal_interval": "soon", "join_uri": "[x]", "onboarding": "token",
		"storage": "memory", "outputs": "{type: identity}", "services": "{type: identity}",
	}
	for k, v := range v2top {
		if k == "version" {
			out = append(out, wrongType{k, k + ": " + v + "\n", ""})
			continue
		}
		out = append(out, wrongType{k, "version: v2\n" + k + ": " + v + "\n", ""})
	}
	for k, v := range map[string]string{
		"token": "{a: b}", "join_method": "[github]", "ca_pins": "{a: b}", "ca_path": "[x]",
		"azure": "x", "gitlab": "[x]", "terraform": "x", "bound_keypair": "x", "generic_oidc": "[1]", "kubernetes": "x",
	} {
		out = append(out, wrongType{"onboarding/" + k, "version: v2\nonboarding:\n  " + k + ": " + v + "\n", ""})
	}
	out = append(out, wrongType{"services[]/type", "version: v2\nservices:\n  - type: [identity]\n", ""})
	for k, v := range map[string]string{"destination": "/opt/out", "roles": "access"} {
		out = append(out, wrongType{"services[]/" + k, "version: v2\nservices:\n  - type: identity\n    " + k + ": " + v + "\n", ""})
	}
	out = append(out, wrongType{"services[]", "version: v2\nservices:\n  - identity\n", ""})
	for k, v := range map[string]string{
		"directory": "[a]", "memory": "maybe", "roles": "{a: b}", "configs": "ssh_client", "app": "[a]",
		"database": "pg", "kubernetes_cluster": "[a]", "cluster": "{a: b}",
	} {
		// v1 files, as tbot 18 (the last that reads them) does.
		out = append(out, wrongType{"destinations[]/" + k, "destinations:\n  - " + k + ": " + v + "\n", "18.0.0"})
	}
	return out
}

func TestHostileInputs(t *testing.T) {
	bin := buildBinary(t)
	if err := os.Chmod(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range hostileCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			if tc.nobody && os.Geteuid() != 0 {
				t.Skip("needs root to run as an unprivileged user")
			}
			// Writable by the unprivileged user too.
			outDir := t.TempDir()
			if err := os.Chmod(filepath.Dir(outDir), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(outDir, 0o777); err != nil {
				t.Fatal(err)
			}
			for _, strict := range []bool{false, true} {
				version := tc.version
				if version == "" {
					version = "19.1.0"
				}
				args := []string{"report", "--dry-run", "--tbot-version", version}
				if strict {
					args = append(args, "--strict")
				}
				maxrssFile := filepath.Join(outDir, "maxrss")
				cmd := measuredCommand(t, maxrssFile, bin, append(append(args, "--"), tc.args...)...)
				cmd.Env = append([]string{"PATH=/usr/bin:/bin"}, tc.env...)
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				if tc.nobody {
					cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
				}
				start := time.Now()
				err := cmd.Run()
				elapsed := time.Since(start)
				code := 0
				if exitErr, ok := err.(*exec.ExitError); ok {
					code = exitErr.ExitCode()
				} else if err != nil {
					t.Fatal(err)
				}
				if elapsed > hostileTimeLimit {
					t.Errorf("took %v", elapsed)
				}
				if rss := measuredPeak(t, maxrssFile); rss > hostileMemoryLimit {
					t.Errorf("peak memory %d MiB", rss>>20)
				}
				if strings.Contains(stderr.String(), "panic") || strings.Contains(stderr.String(), "goroutine ") {
					t.Fatalf("panicked:\n%s", stderr.String())
				}
				if tc.wantEvent {
					if code != 0 || !strings.Contains(stdout.String(), `"event":"tbot.start"`) {
						t.Errorf("want an event, exit 0; got exit %d, stdout %.200q, stderr %.500s", code, stdout.String(), stderr.String())
					}
					if len(stdout.String()) > 2048 {
						t.Errorf("event of %d bytes: input reached it", stdout.Len())
					}
					continue
				}
				wantCode := 0
				if strict {
					wantCode = 1
				}
				if code != wantCode {
					t.Errorf("strict=%v: exit %d, want %d", strict, code, wantCode)
				}
				if stdout.Len() != 0 {
					t.Errorf("printed an event: %.300s", stdout.String())
				}
				if n := countTextLevel(t, stderr.String(), "WARN"); n != 1 || !strings.Contains(stderr.String(), tc.want) {
					t.Errorf("want one warning containing %q, got %d:\n%.1000s", tc.want, n, stderr.String())
				}
				if len(stderr.String()) > 4096 {
					t.Errorf("%d bytes of logs: input echoed?", stderr.Len())
				}
			}
		})
	}
}

// measuredCommand runs name with args through testdata/maxrss, which writes
// name's own peak RSS to maxrssFile: measured from this test process, the
// peak would start at the test's own (see that program's comment).
func measuredCommand(t *testing.T, maxrssFile, name string, args ...string) *exec.Cmd {
	t.Helper()
	return exec.Command(buildTestProgram(t, "maxrss"), append([]string{maxrssFile, name}, args...)...)
}

func measuredPeak(t *testing.T, maxrssFile string) int64 {
	t.Helper()
	data, err := os.ReadFile(maxrssFile)
	if err != nil {
		t.Fatalf("maxrss wrote no figure: %v", err)
	}
	var rss int64
	if _, err := fmt.Sscan(string(data), &rss); err != nil {
		t.Fatal(err)
	}
	return rss
}
