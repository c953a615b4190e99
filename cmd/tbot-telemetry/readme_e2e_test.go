package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
)

// README.md's examples of this program's output, held to what the built
// binary prints for the same commands. A block that a test checks has a
// comment before it that says how ("<!-- README test: ... -->").

// readmeBlock is one fenced code block of README.md.
type readmeBlock struct {
	marker string // the README test comment just before it, if any
	lines  []string
}

func readmeBlocks(t *testing.T) []readmeBlock {
	t.Helper()
	data, err := os.ReadFile(repoFile("README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var blocks []readmeBlock
	var cur *readmeBlock
	var prose []string
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case cur == nil && strings.HasPrefix(line, "```"):
			cur = &readmeBlock{}
			for i := len(prose) - 1; i >= 0; i-- {
				if p := strings.TrimSpace(prose[i]); p != "" {
					if m, ok := strings.CutPrefix(p, "<!-- README test: "); ok {
						cur.marker = strings.TrimSuffix(m, " -->")
					}
					break
				}
			}
			prose = nil
		case cur != nil && strings.HasPrefix(line, "```"):
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.lines = append(cur.lines, line)
		default:
			prose = append(prose, line)
		}
	}
	return blocks
}

// The markers, and how many blocks each must have: a block that goes away
// fails the test, as one that no longer matches does.
const (
	markerOutput  = "the output of the command on the block's first line, times and source line numbers aside"
	markerEvent   = "the event of the command above, on one line, with distinct_id and timestamp its own"
	markerVersion = "the shape of `tbot-telemetry version`"
)

var (
	rfc3339        = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`)
	sourceLine     = regexp.MustCompile(`(\.go):\d+\b`)
	versionLine    = regexp.MustCompile(`^tbot-telemetry \S+ git:([0-9a-f]{7,12}(-modified)?|unknown) go\d+\.\d+(\.\d+)? (linux|darwin)/(amd64|arm64)$`)
	envAssignment  = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*=`)
	readmeUUID     = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	readmeEventKey = []string{"distinct_id", "timestamp"}
)

// runReadmeCommand runs a one-line README command (NAME=value words, then
// tbot-telemetry and its arguments, no quoting) from the module root, with
// the built binary, and returns what it wrote to stdout and stderr
// together, in order.
func runReadmeCommand(t *testing.T, command string) (combined, stdout string) {
	t.Helper()
	words := strings.Fields(command)
	env := []string{"PATH=/usr/bin:/bin"}
	for len(words) > 0 && envAssignment.MatchString(words[0]) {
		env, words = append(env, words[0]), words[1:]
	}
	if len(words) == 0 || words[0] != "tbot-telemetry" || strings.ContainsAny(command, `"'$|&;`) {
		t.Fatalf("README command %q is not a plain tbot-telemetry command", command)
	}
	cmd := exec.Command(buildBinary(t), words[1:]...)
	cmd.Dir = repoFile()
	cmd.Env = env
	var both testsupport.LockedBuffer
	var out bytes.Buffer
	cmd.Stdout = io.MultiWriter(&out, &both)
	cmd.Stderr = &both
	cmd.Run() // its exit status is not what the README shows
	return both.String(), out.String()
}

func normalizeOutput(s string) string {
	s = rfc3339.ReplaceAllString(s, "TIME")
	return sourceLine.ReplaceAllString(s, "$1:N")
}

func TestReadmeOutputMatchesTheProgram(t *testing.T) {
	counts := map[string]int{}
	blocks := readmeBlocks(t)
	for i, b := range blocks {
		if b.marker == "" {
			continue
		}
		counts[b.marker]++
		switch b.marker {
		case markerOutput:
			command, ok := strings.CutPrefix(b.lines[0], "$ ")
			if !ok {
				t.Errorf("block %q does not start with its command", b.lines[0])
				continue
			}
			got, _ := runReadmeCommand(t, command)
			want := strings.Join(b.lines[1:], "\n") + "\n"
			if normalizeOutput(got) != normalizeOutput(want) {
				t.Errorf("README shows for %s:\n%s\nthe program prints:\n%s", command, want, got)
			}
		case markerEvent:
			// The command is the block before this one.
			if i == 0 || len(blocks[i-1].lines) != 1 {
				t.Fatalf("no one-line command before the event block")
			}
			command := blocks[i-1].lines[0]
			_, got := runReadmeCommand(t, command)
			var shown, printed map[string]any
			if err := json.Unmarshal([]byte(strings.Join(b.lines, "\n")), &shown); err != nil {
				t.Fatalf("README's event is not JSON: %v", err)
			}
			if strings.Count(got, "\n") != 1 || json.Unmarshal([]byte(got), &printed) != nil {
				t.Fatalf("%s printed %q, not one JSON line", command, got)
			}
			if id, _ := shown["distinct_id"].(string); !readmeUUID.MatchString(id) {
				t.Errorf("README's distinct_id %q is not a UUID", id)
			}
			if ts, _ := shown["timestamp"].(string); !rfc3339.MatchString(ts) {
				t.Errorf("README's timestamp %q", ts)
			}
			for _, k := range readmeEventKey {
				shown[k], printed[k] = "", ""
			}
			a, _ := json.Marshal(shown)
			c, _ := json.Marshal(printed)
			if !bytes.Equal(a, c) {
				t.Errorf("README's event:\n%s\nthe program's:\n%s", a, c)
			}
		case markerVersion:
			_, got := runReadmeCommand(t, "tbot-telemetry version")
			if len(b.lines) != 1 || !versionLine.MatchString(b.lines[0]) || !versionLine.MatchString(strings.TrimSpace(got)) {
				t.Errorf("README's version line %q and the program's %q must have one shape", b.lines, got)
			}
		default:
			t.Errorf("unknown README test %q", b.marker)
		}
	}
	for marker, want := range map[string]int{markerOutput: 3, markerEvent: 1, markerVersion: 1} {
		if counts[marker] != want {
			t.Errorf("%d README blocks marked %q, want %d", counts[marker], marker, want)
		}
	}
}

// Every flag of report and exec is in README's flag table.
func TestReadmeListsEveryFlag(t *testing.T) {
	data, err := os.ReadFile(repoFile("README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, command := range []string{"report", "exec"} {
		sys := newTestSystem(t, nil)
		sys.run(t, command, "--help")
		for _, flag := range regexp.MustCompile(`(?m)^\s+(--[a-z-]+)`).FindAllStringSubmatch(sys.out.String(), -1) {
			if strings.HasPrefix(flag[1], "--help") || strings.HasPrefix(flag[1], "--completion") || flag[1] == "--version" {
				continue
			}
			if !bytes.Contains(data, []byte("\n| `"+flag[1]+"`")) {
				t.Errorf("README's flag table has no row for %s %s", command, flag[1])
			}
		}
	}
}

// The README's commands that are not this program's output: checking a
// download, and shell completion, work as written.
func TestReadmeCommandsWork(t *testing.T) {
	data, err := os.ReadFile(repoFile("README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)

	check := regexp.MustCompile(`(?m)^(grep ' (tbot-telemetry-v1\.2\.3-linux-amd64)\$' SHA256SUMS \| sha256sum -c)\s+#`).FindStringSubmatch(readme)
	if check == nil {
		t.Fatal("README has no SHA256SUMS check line")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, check[2]), []byte("the binary"), 0o644); err != nil {
		t.Fatal(err)
	}
	sums := "0f2c6b6b1cf38bc0d9f4a0a2d7d1a1f6b1a3ac1a9c5e1a2f8d8f3e8a1b2c3d4e  tbot-telemetry-v1.2.3-darwin-arm64\n"
	sumOf := testsupport.Run(t, execBound, []string{"PATH=/usr/bin:/bin"}, "sh", "-c", "cd "+dir+" && sha256sum "+check[2])
	for _, tt := range []struct {
		sums, want string
		ok         bool
	}{
		{sums + sumOf.Stdout, check[2] + ": OK", true},
		{sums + strings.Replace(sumOf.Stdout, sumOf.Stdout[:8], "00000000", 1), check[2] + ": FAILED", false},
		{sums, "", false},
	} {
		if err := os.WriteFile(filepath.Join(dir, "SHA256SUMS"), []byte(tt.sums), 0o644); err != nil {
			t.Fatal(err)
		}
		res := testsupport.Run(t, execBound, []string{"PATH=/usr/bin:/bin"}, "bash", "-o", "pipefail", "-c", "cd "+dir+" && "+check[1])
		if (res.Code == 0) != tt.ok || !strings.Contains(res.Stdout, tt.want) {
			t.Errorf("%q with SHA256SUMS %q: exit %d, %q", check[1], tt.sums, res.Code, res.Stdout)
		}
	}

	for _, shell := range []string{"bash", "zsh"} {
		line := `eval "$(tbot-telemetry --completion-script-` + shell + `)"`
		if !strings.Contains(readme, line) {
			t.Errorf("README does not give %s", line)
		}
	}
	bin := filepath.Dir(buildBinary(t))
	res := testsupport.Run(t, execBound, []string{"PATH=" + bin + ":/usr/bin:/bin"}, "bash", "-c",
		`eval "$(tbot-telemetry --completion-script-bash)" && complete -p tbot-telemetry && COMP_WORDS=(tbot-telemetry report --) COMP_CWORD=2 && _tbot-telemetry_bash_autocomplete && printf '%s\n' "${COMPREPLY[@]}"`)
	if res.Code != 0 || !strings.Contains(res.Stdout, "\n--pid\n") || !strings.Contains(res.Stdout, "\n--dry-run\n") {
		t.Errorf("bash completion: exit %d\n%s%s", res.Code, res.Stdout, res.Stderr)
	}
	res = testsupport.Run(t, execBound, nil, buildBinary(t), "--completion-script-zsh")
	if !strings.HasPrefix(res.Stdout, "#compdef tbot-telemetry") {
		t.Errorf("zsh completion script: %q", res.Stdout)
	}
}
