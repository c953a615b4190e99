package platform

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// goBuild cross-compiles the command for goos/goarch and returns go's
// output and whether it built.
func goBuild(t *testing.T, goos, goarch string) (string, bool) {
	t.Helper()
	cmd := exec.Command("go", "build", "-o", os.DevNull, "../../cmd/tbot-telemetry")
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}

// The supported platforms build; Windows stops with one error naming them.
func TestPlatforms(t *testing.T) {
	for _, p := range [][2]string{{"linux", "amd64"}, {"linux", "arm64"}, {"darwin", "amd64"}, {"darwin", "arm64"}} {
		if out, ok := goBuild(t, p[0], p[1]); !ok {
			t.Errorf("%s/%s does not build:\n%s", p[0], p[1], out)
		}
	}
	out, ok := goBuild(t, "windows", "amd64")
	if ok {
		t.Fatal("windows/amd64 builds")
	}
	var errs []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.HasPrefix(line, "#") {
			errs = append(errs, line)
		}
	}
	if len(errs) != 1 || !strings.Contains(errs[0], "tbot_telemetry_runs_on_Linux_and_macOS_amd64_and_arm64_only") {
		t.Errorf("want the one error that names the platforms, got:\n%s", out)
	}
}
