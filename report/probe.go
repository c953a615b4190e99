package report

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/tbot-telemetry/tbot-telemetry/config"
)

// maxProbeOutput bounds what is read of `tbot version`; its one line is far
// shorter.
const maxProbeOutput = 4096

// versionLine is how teleport-actions reads `tbot version`, Enterprise
// builds included.
var versionLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`Teleport (?:Enterprise )?v(\S+)`) })

// ParseVersion reads the version out of `tbot version` output, without the
// leading v; empty when the output has none.
func ParseVersion(out []byte) string {
	if m := versionLine().FindSubmatch(out); m != nil {
		return string(m[1])
	}
	return ""
}

// ProbeVersion runs `<tbot> version` and parses its output, within ctx. A
// bare name is looked up on the PATH of env, as the shell that launches tbot
// would.
func ProbeVersion(ctx context.Context, tbot string, env config.Env) (string, error) {
	path, err := lookPath(tbot, env["PATH"])
	if err != nil {
		return "", err
	}
	var out limitedBuffer
	cmd := exec.CommandContext(ctx, path, "version")
	cmd.Env = envList(env)
	cmd.Stdout = &out
	// A tbot that leaves a process holding stdout must not hold us.
	cmd.WaitDelay = 100 * time.Millisecond
	runErr := cmd.Run()
	if v := ParseVersion(out.Bytes()); v != "" {
		return v, nil
	}
	if runErr != nil {
		if ctx.Err() != nil {
			return "", errors.New("tbot version: deadline exceeded")
		}
		return "", errors.New("tbot version: did not run")
	}
	return "", errors.New("tbot version: no version in its output")
}

func lookPath(name, pathList string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	for _, dir := range filepath.SplitList(pathList) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		if info, err := os.Stat(p); err == nil && info.Mode().IsRegular() && info.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fs.ErrNotExist
}

func envList(env config.Env) []string {
	list := make([]string, 0, len(env))
	for k, v := range env {
		list = append(list, k+"="+v)
	}
	return list
}

// limitedBuffer keeps the first maxProbeOutput bytes and drops the rest
// without failing the writer.
type limitedBuffer struct{ bytes.Buffer }

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := maxProbeOutput - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
