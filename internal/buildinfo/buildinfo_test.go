package buildinfo

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestFrom(t *testing.T) {
	vcs := func(rev, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	for _, tt := range []struct {
		name            string
		version, commit string
		bi              *debug.BuildInfo
		want            string
	}{
		{"no build information", "dev", "unknown", nil, "tbot-telemetry dev git:unknown GO linux/amd64"},
		{"the Makefile's stamps win", "v1.2.3", "abc1234", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v0.0.0-x"},
			Settings: vcs("66cda92c1f0e4a1b", "false")}, "tbot-telemetry v1.2.3 git:abc1234 go1.26.0 linux/amd64"},
		{"go install module@version", "dev", "unknown", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v1.2.3"}},
			"tbot-telemetry v1.2.3 git:unknown go1.26.0 linux/amd64"},
		{"go build in a changed checkout", "dev", "unknown", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"},
			Settings: vcs("66cda92c1f0e4a1b", "true")}, "tbot-telemetry dev git:66cda92c1f0e-modified go1.26.0 linux/amd64"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := From(tt.version, tt.commit, tt.bi, "linux/amd64").String()
			if tt.bi == nil {
				got = strings.Replace(got, Read("", "").GoVersion, "GO", 1)
			}
			if got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// A real `go build` in a git checkout records the commit and whether the
// checkout was changed, and the program says both. The checkout is a new
// repository holding this module's files as they are now, so that the
// test builds the code under test (and works from a git worktree, where Go
// does not read the stamps).
func TestBuiltInACheckout(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("skipped: no git")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	files, err := exec.Command("git", "-C", root, "ls-files", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Skipf("skipped: not in a git checkout (%v)", err)
	}
	repo := t.TempDir()
	for _, name := range strings.Split(strings.TrimSpace(string(files)), "\n") {
		data, err := os.ReadFile(filepath.Join(root, name))
		if os.IsNotExist(err) {
			continue // deleted, not yet committed
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(repo, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(repo, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", repo, "-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q")
	git("add", "-A")
	git("commit", "-q", "-m", "snapshot")
	rev := git("rev-parse", "HEAD")

	version := func() string {
		t.Helper()
		bin := filepath.Join(t.TempDir(), "tbot-telemetry")
		build := exec.Command("go", "build", "-buildvcs=true", "-o", bin, "./cmd/tbot-telemetry")
		build.Dir = repo
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
		out, err := exec.Command(bin, "version").Output()
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(out))
	}
	want := "git:" + rev[:12] + " go1."
	if got := version(); !strings.Contains(got, want) || !strings.HasSuffix(got, " "+Read("", "").Platform) {
		t.Errorf("clean checkout: version printed %q, want %q and the platform", got, want)
	}
	if err := os.WriteFile(filepath.Join(repo, "README.md"), []byte("changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := version(); !strings.Contains(got, "git:"+rev[:12]+"-modified ") {
		t.Errorf("changed checkout: version printed %q, want it marked modified", got)
	}
}
