package examples

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
)

// The workflow's install step, run as the runner would (bash -e, with
// RUNNER_TEMP and GITHUB_PATH), against a release served on loopback in
// the layout of make release's dist/: it installs the binary only when
// SHA256SUMS vouches for it.
func TestGitHubActionsInstallStep(t *testing.T) {
	var wf workflow
	if err := yaml.Unmarshal([]byte(testsupport.ReadFile(t, "github-actions.yml")), &wf); err != nil {
		t.Fatalf("not YAML: %v", err)
	}
	var run string
	var env map[string]string
	for _, job := range wf.Jobs {
		for _, step := range job.Steps {
			if strings.Contains(step.Run, "SHA256SUMS") {
				run, env = step.Run, step.Env
			}
			if strings.Contains(step.Run, "go install") || strings.Contains(step.Uses, "setup-go") {
				t.Errorf("step %q builds from source, which needs Go and a published module", step.Name)
			}
		}
	}
	if run == "" || env["TBOT_TELEMETRY_VERSION"] == "" || env["TBOT_TELEMETRY_RELEASES"] == "" {
		t.Fatalf("no install step that checks SHA256SUMS, with the version and the release location in its env: %q %v", run, env)
	}
	for _, tt := range []struct {
		name      string
		variant   releaseVariant
		installed bool
	}{
		{"the release", goodRelease, true},
		{"another binary", changedBinary, false},
		{"no line for it", noLineForBinary, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rel := serveRelease(t, env["TBOT_TELEMETRY_VERSION"], tt.variant)
			runner := t.TempDir()
			githubPath := filepath.Join(runner, "github_path")
			stepEnv := []string{pathWith(), "RUNNER_TEMP=" + runner, "GITHUB_PATH=" + githubPath, "HOME=" + runner}
			for k, v := range env {
				if k == "TBOT_TELEMETRY_RELEASES" {
					v = rel.URL
				}
				stepEnv = append(stepEnv, k+"="+v)
			}
			res := runCommand(t, stepEnv, "bash", "-e", "-c", run)
			added, _ := os.ReadFile(githubPath)
			dir := strings.TrimSpace(string(added))
			if !tt.installed {
				if res.Code == 0 || dir != "" {
					t.Errorf("exit %d, PATH gained %q: the step must fail and install nothing\n%s", res.Code, dir, res.Stderr)
				}
				return
			}
			if res.Code != 0 || !strings.Contains(res.Stdout, rel.File+": OK") {
				t.Fatalf("exit %d\n%s%s", res.Code, res.Stdout, res.Stderr)
			}
			out := runCommand(t, nil, filepath.Join(dir, "tbot-telemetry"), "version")
			if out.Code != 0 || !strings.HasPrefix(out.Stdout, "tbot-telemetry ") {
				t.Errorf("the installed binary: exit %d, %q", out.Code, out.Stdout)
			}
		})
	}
}
