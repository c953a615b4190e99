package report

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"regexp"
	"sync"
	"time"

	"github.com/tbot-telemetry/tbot-telemetry/config"
	"github.com/tbot-telemetry/tbot-telemetry/supervise"
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
	path, err := supervise.LookPath(tbot, env["PATH"])
	if err != nil {
		return "", errors.New("tbot version: tbot not found")
	}
	var out limitedBuffer
	cmd := exec.CommandContext(ctx, path, "version")
	cmd.Env = env.List()
	cmd.Stdout = &out
	// A tbot that leaves a process holding stdout must not hold us.
	cmd.WaitDelay = 100 * time.Millisecond
	runErr := cmd.Run()
	return VersionFromOutput(ctx, out.Bytes(), runErr)
}

// VersionFromOutput is the outcome of a `tbot version` run, however it was
// run: the version it printed, or why there is none. The errors name no
// path.
func VersionFromOutput(ctx context.Context, out []byte, runErr error) (string, error) {
	if v := ParseVersion(out); v != "" {
		return v, nil
	}
	switch {
	case ctx.Err() != nil:
		return "", errors.New("tbot version: deadline exceeded")
	case runErr != nil:
		return "", errors.New("tbot version: did not run")
	default:
		return "", errors.New("tbot version: no version in its output")
	}
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
