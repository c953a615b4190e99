// Package examples holds launch recipes for tbot-telemetry; its tests run
// each recipe, as far as this machine allows, against the built binary, a
// stand-in tbot and a loopback collector.
package examples

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	prehogv1alpha "github.com/tbot-telemetry/tbot-telemetry/gen/prehog/v1alpha"
	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
)

// bound bounds every command these tests run.
const bound = 20 * time.Second

// binDir holds the built binary as `tbot-telemetry`, ready to go on PATH.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tbot-telemetry-examples-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	if _, err := testsupport.BuildTbotTelemetry(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func builtBinary() string { return filepath.Join(binDir, "tbot-telemetry") }

// tbotConfig writes a small v2 tbot file that joins with the kubernetes
// method and has one identity output.
func tbotConfig(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tbot.yaml")
	const content = `version: v2
proxy_server: example.teleport.sh:443
onboarding:
  join_method: kubernetes
  token: example-bot
storage:
  type: memory
outputs:
  - type: identity
    destination:
      type: directory
      path: ./tbot-out
`
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// fakeTbot is a stand-in tbot named `tbot` in its own directory. It answers
// `version` as tbot does; otherwise it records its arguments and the
// TELEPORT_ANONYMOUS_TELEMETRY it got, then runs body.
type fakeTbot struct {
	dir, path, record string
}

func newFakeTbot(t *testing.T, body string) *fakeTbot {
	t.Helper()
	dir := t.TempDir()
	f := &fakeTbot{dir: dir, path: filepath.Join(dir, "tbot"), record: filepath.Join(dir, "record")}
	script := fmt.Sprintf(`#!/bin/sh
if [ "$1" = version ]; then echo "Teleport v19.1.0 git:v19.1.0-0-g0 go1.26"; exit 0; fi
{ echo "args=$*"; echo "telemetry=${TELEPORT_ANONYMOUS_TELEMETRY-<unset>}"; } > %q
%s
`, f.record, body)
	if err := os.WriteFile(f.path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return f
}

// saw is what the stand-in recorded: its arguments and its telemetry
// setting.
func (f *fakeTbot) saw(t *testing.T) (args, telemetry string) {
	t.Helper()
	data, err := os.ReadFile(f.record)
	if err != nil {
		t.Fatalf("tbot never ran: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if v, ok := strings.CutPrefix(line, "args="); ok {
			args = v
		} else if v, ok := strings.CutPrefix(line, "telemetry="); ok {
			telemetry = v
		}
	}
	return args, telemetry
}

// runCommand runs argv with exactly env, bounded.
func runCommand(t *testing.T, env []string, argv ...string) testsupport.Result {
	t.Helper()
	return testsupport.Run(t, bound, env, argv...)
}

// pathWith puts dirs before the system's own PATH.
func pathWith(dirs ...string) string {
	return "PATH=" + strings.Join(append(dirs, os.Getenv("PATH")), string(os.PathListSeparator))
}

// replaceAll maps each argument that equals a key to its value.
func replaceAll(argv []string, with map[string]string) []string {
	out := make([]string, len(argv))
	for i, a := range argv {
		if v, ok := with[a]; ok {
			a = v
		}
		out[i] = a
	}
	return out
}

// unitDirectives reads the directives of one section of a systemd unit, in
// order (continuation lines are not used in the recipe).
func unitDirectives(unit, section string) map[string][]string {
	out := map[string][]string{}
	current := ""
	for _, line := range strings.Split(unit, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "["):
			current = strings.Trim(line, "[]")
		case current == section:
			key, value, _ := strings.Cut(line, "=")
			out[key] = append(out[key], value)
		}
	}
	return out
}

// verifyUnit runs systemd-analyze verify on unit, where the machine has it.
// The binaries are not installed here, so that complaint alone is allowed.
func verifyUnit(t *testing.T, name, unit string) {
	t.Helper()
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Log("not verified: no systemd-analyze on this machine; the directives were checked as text")
		return
	}
	copyPath := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(copyPath, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	res := runCommand(t, os.Environ(), analyze, "verify", copyPath)
	complaints := 0
	for _, line := range strings.Split(strings.TrimSpace(res.Stdout+res.Stderr), "\n") {
		if line != "" && strings.Contains(line, name) && !strings.Contains(line, "is not executable") {
			t.Errorf("systemd-analyze: %s", line)
			complaints++
		}
	}
	if res.Code != 0 && complaints == 0 && !strings.Contains(res.Stderr, "is not executable") {
		t.Errorf("systemd-analyze verify: exit %d\n%s%s", res.Code, res.Stdout, res.Stderr)
	}
}

func TestSystemdUnit(t *testing.T) {
	unit := testsupport.ReadFile(t, "systemd/tbot.service")
	service := unitDirectives(unit, "Service")
	const postStart = "-/usr/local/bin/tbot-telemetry report -- start -c /etc/tbot.yaml"
	if got := service["ExecStartPost"]; len(got) != 1 || got[0] != postStart {
		t.Fatalf("ExecStartPost=%q, want %q", got, postStart)
	}
	if got := service["ExecStartPre"]; len(got) != 0 {
		t.Errorf("ExecStartPre=%q: tbot would wait for it", got)
	}
	if got := service["Type"]; len(got) != 1 || got[0] != "simple" {
		t.Errorf("Type=%q: ExecStartPost= runs at tbot's start only for simple", got)
	}
	if len(service["User"]) != 1 || len(service["Group"]) != 1 || service["User"][0] == "root" {
		t.Errorf("User=%q Group=%q: want a dedicated user", service["User"], service["Group"])
	}
	if got := service["Environment"]; len(got) != 1 || got[0] != "TELEPORT_ANONYMOUS_TELEMETRY=1" {
		t.Errorf("Environment=%q: the opt-in is missing", got)
	}
	start := service["ExecStart"]
	if len(start) != 1 || !strings.HasPrefix(start[0], "/usr/bin/env TELEPORT_ANONYMOUS_TELEMETRY=0 /usr/local/bin/tbot start") {
		t.Fatalf("ExecStart=%q does not run tbot with its own telemetry off", start)
	}
	if got := service["Restart"]; len(got) != 1 || got[0] != "always" {
		t.Errorf("Restart=%q", got)
	}
	verifyUnit(t, "tbot.service", unit)

	config, tbot, c := tbotConfig(t), newFakeTbot(t, "exit 0"), testsupport.StartService(t)
	paths := map[string]string{
		"/usr/local/bin/tbot-telemetry": builtBinary(),
		"/usr/local/bin/tbot":           tbot.path,
		"/etc/tbot.yaml":                config,
	}
	env := append([]string{pathWith(), "TELEPORT_ANONYMOUS_TELEMETRY_ADDRESS=" + c.URL}, service["Environment"]...)

	main := replaceAll(strings.Fields(start[0]), paths)
	if res := runCommand(t, env, main...); res.Code != 0 {
		t.Fatalf("ExecStart exit %d\n%s", res.Code, res.Stderr)
	}
	if args, telemetry := tbot.saw(t); telemetry != "0" || args != "start -c "+config {
		t.Errorf("tbot got %q with telemetry %q; want its start with telemetry 0", args, telemetry)
	}

	// The post-start, as systemd runs it ("-" is systemd's, not part of
	// the command).
	post := replaceAll(strings.Fields(strings.TrimPrefix(postStart, "-")), paths)
	if res := runCommand(t, env, post...); res.Code != 0 {
		t.Fatalf("post-start exit %d\n%s", res.Code, res.Stderr)
	}
	if ev := c.OnlyEvent(t).GetStart(); ev.GetJoinType() != "kubernetes" || ev.GetDestinationsOther() != 1 {
		t.Errorf("event %v is not this configuration's", ev)
	}
	// A post-start that cannot build the event still succeeds.
	broken := replaceAll(post, map[string]string{config: filepath.Join(t.TempDir(), "missing.yaml")})
	if res := runCommand(t, env, broken...); res.Code != 0 {
		t.Errorf("post-start with a missing file exit %d", res.Code)
	}
	if len(c.Events()) != 1 {
		t.Errorf("%d events for one start", len(c.Events()))
	}
}

func TestSystemdOneshotUnit(t *testing.T) {
	unit := testsupport.ReadFile(t, "systemd/tbot-oneshot.service")
	service := unitDirectives(unit, "Service")
	if got := service["Type"]; len(got) != 1 || got[0] != "oneshot" {
		t.Errorf("Type=%q", got)
	}
	if got := service["KillMode"]; len(got) != 1 || got[0] != "mixed" {
		t.Errorf("KillMode=%q: tbot would get the stop signal from systemd and again from exec", got)
	}
	if len(service["ExecStartPost"]) != 0 || len(service["ExecStartPre"]) != 0 {
		t.Errorf("ExecStartPre/Post in a oneshot unit: %q %q", service["ExecStartPre"], service["ExecStartPost"])
	}
	if len(service["User"]) != 1 || len(service["Group"]) != 1 || service["User"][0] == "root" {
		t.Errorf("User=%q Group=%q: want a dedicated user", service["User"], service["Group"])
	}
	start := service["ExecStart"]
	if len(start) != 1 || !strings.HasPrefix(start[0], "/usr/local/bin/tbot-telemetry exec -- /usr/local/bin/tbot start ") {
		t.Fatalf("ExecStart=%q is not tbot through exec", start)
	}
	verifyUnit(t, "tbot-oneshot.service", unit)

	// tbot's failure is the unit's, and the event is still sent.
	config, tbot, c := tbotConfig(t), newFakeTbot(t, "exit 4"), testsupport.StartService(t)
	argv := replaceAll(strings.Fields(start[0]), map[string]string{
		"/usr/local/bin/tbot-telemetry": builtBinary(), "/usr/local/bin/tbot": tbot.path, "/etc/tbot.yaml": config,
	})
	env := append([]string{pathWith(), "TELEPORT_ANONYMOUS_TELEMETRY_ADDRESS=" + c.URL}, service["Environment"]...)
	if res := runCommand(t, env, argv...); res.Code != 4 {
		t.Errorf("exit %d, want tbot's 4\n%s", res.Code, res.Stderr)
	}
	if _, telemetry := tbot.saw(t); telemetry != "0" {
		t.Errorf("tbot got telemetry %q, want 0", telemetry)
	}
	if ev := c.OnlyEvent(t).GetStart(); ev.GetRunMode() != prehogv1alpha.TbotStartEvent_RUN_MODE_ONE_SHOT {
		t.Errorf("event %v is not a one-shot start", ev)
	}
}

// What systemd's stop does to tbot under exec, with real signals: with
// KillMode=control-group systemd signals every process of the unit, exec
// and tbot, and exec relays its own to tbot, so tbot gets two; with
// KillMode=mixed only exec is signalled, and tbot gets one.
func TestKillModeUnderExec(t *testing.T) {
	for _, tt := range []struct {
		killMode  string
		signalAll bool
		want      int
	}{
		{"control-group", true, 2},
		{"mixed", false, 1},
	} {
		t.Run(tt.killMode, func(t *testing.T) {
			dir := t.TempDir()
			terms, pid := filepath.Join(dir, "terms"), filepath.Join(dir, "pid")
			// A tbot that counts its SIGTERMs, and leaves a moment after
			// the first for any other to arrive.
			tbot := newFakeTbot(t, fmt.Sprintf(`echo $$ > %[2]q
trap 'echo TERM >> %[1]q' TERM
echo ready
while [ ! -s %[1]q ]; do sleep 0.02; done
i=0; while [ $i -lt 50 ]; do sleep 0.02; i=$((i+1)); done
exit 0`, terms, pid))
			ctx, cancel := context.WithTimeout(context.Background(), bound)
			defer cancel()
			cmd := exec.CommandContext(ctx, builtBinary(), "exec", "--", tbot.path, "start")
			cmd.Env = []string{pathWith()}
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			if lines := bufio.NewScanner(stdout); !lines.Scan() || lines.Text() != "ready" {
				t.Fatal("tbot did not start")
			}
			// systemd's signals. A shell, like any process, may merge two
			// deliveries of one signal that arrive together, so tbot's own
			// comes first and the test waits until tbot has seen it.
			if tt.signalAll {
				data, err := os.ReadFile(pid)
				if err != nil {
					t.Fatal(err)
				}
				var tbotPID int
				fmt.Sscan(string(data), &tbotPID)
				syscall.Kill(tbotPID, syscall.SIGTERM)
				for {
					if data, _ := os.ReadFile(terms); len(data) > 0 {
						break
					}
					if ctx.Err() != nil {
						t.Fatal("tbot never saw its SIGTERM")
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
			cmd.Process.Signal(syscall.SIGTERM)
			cmd.Wait()
			data, _ := os.ReadFile(terms)
			if got := strings.Count(string(data), "TERM"); got != tt.want {
				t.Errorf("tbot got SIGTERM %d times, want %d", got, tt.want)
			}
		})
	}
}

// The collect unit: its directives, systemd's own check where there is
// one, and its ExecStart= run as systemd would (the credential, the state
// directory and the host swapped for test ones) against a PostHog
// stand-in, which receives an event sent to it.
func TestSystemdCollectUnit(t *testing.T) {
	unit := testsupport.ReadFile(t, "systemd/tbot-collect.service")
	service := unitDirectives(unit, "Service")
	for directive, want := range map[string]string{
		"LoadCredential":  "posthog-key:/etc/tbot-collect/posthog-key",
		"StateDirectory":  "tbot-collect",
		"Restart":         "always",
		"NoNewPrivileges": "yes",
	} {
		if got := service[directive]; len(got) != 1 || got[0] != want {
			t.Errorf("%s=%q, want %q", directive, got, want)
		}
	}
	start := service["ExecStart"]
	if len(start) != 1 {
		t.Fatalf("ExecStart=%q", start)
	}
	if strings.Contains(unit, "POSTHOG_API_KEY") {
		t.Error("the unit names POSTHOG_API_KEY: the key belongs in the credential, not the unit")
	}

	t.Run("systemd-analyze verify", func(t *testing.T) {
		analyze, err := exec.LookPath("systemd-analyze")
		if err != nil {
			t.Skip("skipped: no systemd-analyze on this machine; the directives were checked as text above")
		}
		copyPath := filepath.Join(t.TempDir(), "tbot-collect.service")
		if err := os.WriteFile(copyPath, []byte(unit), 0o644); err != nil {
			t.Fatal(err)
		}
		res := runCommand(t, os.Environ(), analyze, "verify", copyPath)
		for _, line := range strings.Split(strings.TrimSpace(res.Stdout+res.Stderr), "\n") {
			if line != "" && strings.Contains(line, "tbot-collect.service") && !strings.Contains(line, "is not executable") {
				t.Errorf("systemd-analyze: %s", line)
			}
		}
	})

	const key = "phc_examplesUnitKey-93ab"
	ph := testsupport.StartPostHog(t, key)
	credentials, state := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(credentials, "posthog-key"), []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	argv := replaceAll(strings.Fields(start[0]), map[string]string{
		"/usr/local/bin/tbot-telemetry":      builtBinary(),
		"0.0.0.0:8080":                       "127.0.0.1:0",
		"/var/lib/tbot-collect/events.jsonl": filepath.Join(state, "events.jsonl"),
		"https://us.i.posthog.com":           ph.URL,
		"%d/posthog-key":                     filepath.Join(credentials, "posthog-key"),
	})
	for _, a := range argv {
		if strings.Contains(a, "%") || strings.HasPrefix(a, "/var/") || strings.HasPrefix(a, "/usr/") {
			t.Fatalf("ExecStart= has %q, which this test does not know how to stand in for", a)
		}
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = []string{}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	listening := make(chan string, 1)
	scanned := make(chan struct{})
	var logs testsupport.LockedBuffer
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logs.Write(append(sc.Bytes(), '\n'))
			if _, addr, ok := strings.Cut(sc.Text(), "listen:"); ok {
				addr, _, _ = strings.Cut(addr, " ") // the caller follows
				select {
				case listening <- addr:
				default:
				}
			}
		}
	}()
	var addr string
	select {
	case addr = <-listening:
	case <-scanned:
		t.Fatalf("collect exited before listening:\n%s", logs.String())
	case <-time.After(bound):
		t.Fatalf("collect never listened:\n%s", logs.String())
	}
	// As the README's curl sends it.
	id := "0b6f3c1e-8a4d-4e2b-9c7a-1d2e3f405162"
	body := `{"distinctId":"` + id + `","start":{"runMode":"RUN_MODE_DAEMON","version":"17.4.2","joinType":"token"}}`
	resp, err := http.Post("http://"+addr+"/prehog.v1alpha.TbotReportingService/SubmitTbotEvent", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("submit: %s", resp.Status)
	}
	ph.WaitFor(t, 1, bound)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-scanned // Wait closes the pipe, which must be read out first.
	if err := cmd.Wait(); err != nil {
		t.Fatalf("collect: %v\n%s", err, logs.String())
	}
	ph.Check(t)
	if events := ph.Events(); len(events) != 1 || events[0].DistinctID != id {
		t.Errorf("PostHog got %+v, want the one event", events)
	}
	if strings.Contains(logs.String(), key) {
		t.Errorf("the key is in collect's logs:\n%s", logs.String())
	}
}

// dockerfile is the few instructions the recipe's tests look at.
type dockerfile struct {
	args, froms, runs, copies []string
	entrypoint, cmd           []string
}

func parseDockerfile(t *testing.T, text string) dockerfile {
	t.Helper()
	var d dockerfile
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		instr, rest, _ := strings.Cut(line, " ")
		switch strings.ToUpper(instr) {
		case "ARG":
			d.args = append(d.args, rest)
		case "FROM":
			d.froms = append(d.froms, rest)
		case "RUN":
			d.runs = append(d.runs, rest)
		case "COPY":
			d.copies = append(d.copies, rest)
		case "ENTRYPOINT":
			if err := json.Unmarshal([]byte(rest), &d.entrypoint); err != nil {
				t.Fatalf("ENTRYPOINT is not in exec form: %v", err)
			}
		case "CMD":
			if err := json.Unmarshal([]byte(rest), &d.cmd); err != nil {
				t.Fatalf("CMD is not in exec form: %v", err)
			}
		}
	}
	return d
}

func TestContainerDockerfile(t *testing.T) {
	d := parseDockerfile(t, testsupport.ReadFile(t, "container/Dockerfile"))
	if len(d.entrypoint) < 5 || strings.Join(d.entrypoint[1:5], " ") != "exec -- tbot start" {
		t.Fatalf("ENTRYPOINT %q is not tbot-telemetry exec -- tbot start", d.entrypoint)
	}
	if len(d.froms) != 2 || d.froms[1] != "${TBOT_IMAGE}" || len(d.args) == 0 || !strings.HasPrefix(d.args[0], "TBOT_IMAGE=") {
		t.Errorf("FROM %q / ARG %q: the final stage should be the tbot image", d.froms, d.args)
	}
	// The build stage builds this repository's command, and the final
	// stage copies it to where ENTRYPOINT runs it.
	if len(d.runs) != 1 || !strings.HasSuffix(d.runs[0], " ./cmd/tbot-telemetry") {
		t.Fatalf("RUN %q does not build ./cmd/tbot-telemetry", d.runs)
	}
	if _, err := os.Stat("../cmd/tbot-telemetry/main.go"); err != nil {
		t.Errorf("the package the Dockerfile builds is not there: %v", err)
	}
	if want := "--from=build /out/tbot-telemetry " + d.entrypoint[0]; !contains(d.copies, want) {
		t.Errorf("COPY %q: want %q", d.copies, want)
	}
	// Building the image needs a Docker daemon and the registries; the
	// test runs the build stage's RUN here, with the build arguments the
	// comment gives, and then the entrypoint, as the container would.
	checkDockerBuildStamps(t, d)
	checkDockerignoreKeepsTheBuild(t)

	// docker run IMAGE: ENTRYPOINT + CMD, tbot on PATH.
	config, tbot, c := tbotConfig(t), newFakeTbot(t, "exit 0"), testsupport.StartService(t)
	argv := replaceAll(append(append([]string{}, d.entrypoint...), d.cmd...), map[string]string{
		d.entrypoint[0]: builtBinary(), "/config/tbot.yaml": config,
	})
	res := runCommand(t, []string{pathWith(tbot.dir), "TELEPORT_ANONYMOUS_TELEMETRY=1", "TELEPORT_ANONYMOUS_TELEMETRY_ADDRESS=" + c.URL}, argv...)
	if res.Code != 0 {
		t.Fatalf("entrypoint exit %d\n%s", res.Code, res.Stderr)
	}
	if args, telemetry := tbot.saw(t); telemetry != "0" || args != "start -c "+config {
		t.Errorf("tbot got %q with telemetry %q", args, telemetry)
	}
	if ev := c.OnlyEvent(t).GetStart(); ev.GetJoinType() != "kubernetes" || ev.GetVersion() != "19.1.0" {
		t.Errorf("event %v", ev)
	}
}

// checkDockerBuildStamps runs the build stage's go build in this checkout,
// with the stamping build arguments set, and checks that the binary says
// them.
func checkDockerBuildStamps(t *testing.T, d dockerfile) {
	t.Helper()
	args := map[string]string{"TBOT_TELEMETRY_VERSION": "v9.8.7", "TBOT_TELEMETRY_COMMIT": "abc1234"}
	for name := range args {
		if !contains(d.args, name+"=dev") && !contains(d.args, name+"=unknown") {
			t.Errorf("ARG %q: no %s with a default", d.args, name)
		}
	}
	out := filepath.Join(t.TempDir(), "tbot-telemetry")
	run := strings.Replace(d.runs[0], "-o /out/tbot-telemetry", "-o "+out, 1)
	cmd := exec.Command("sh", "-c", run)
	cmd.Dir = ".."
	cmd.Env = os.Environ()
	for k, v := range args {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the build stage's RUN: %v\n%s", err, b)
	}
	res := runCommand(t, nil, out, "version")
	if !strings.HasPrefix(res.Stdout, "tbot-telemetry v9.8.7 git:abc1234") {
		t.Errorf("the image's binary says %q, want the stamped version and commit", res.Stdout)
	}
}

// checkDockerignoreKeepsTheBuild checks that Dockerfile.dockerignore keeps
// out .git and leaves in every file the build needs.
func checkDockerignoreKeepsTheBuild(t *testing.T) {
	t.Helper()
	var patterns []string
	for _, line := range strings.Split(testsupport.ReadFile(t, "container/Dockerfile.dockerignore"), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			patterns = append(patterns, line)
		}
	}
	ignored := func(path string) bool {
		parts := strings.Split(path, "/")
		for _, p := range patterns {
			if rest, ok := strings.CutPrefix(p, "**/"); ok {
				for _, part := range parts {
					if m, _ := filepath.Match(rest, part); m {
						return true
					}
				}
				continue
			}
			if m, _ := filepath.Match(p, parts[0]); m {
				return true
			}
		}
		return false
	}
	if !ignored(".git") {
		t.Error(".git is in the build context")
	}
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if .Module}}{{if .Module.Main}}{{.Dir}}{{end}}{{end}}", "../cmd/tbot-telemetry").Output()
	if err != nil {
		t.Fatal(err)
	}
	root, _ := filepath.Abs("..")
	needed := []string{"go.mod", "go.sum"}
	for _, dir := range strings.Fields(string(out)) {
		rel, _ := filepath.Rel(root, dir)
		needed = append(needed, rel+"/x.go")
	}
	for _, path := range needed {
		if ignored(path) {
			t.Errorf("the build needs %s, which Dockerfile.dockerignore leaves out", path)
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestContainerEntrypointScript(t *testing.T) {
	script, err := filepath.Abs("container/entrypoint.sh")
	if err != nil {
		t.Fatal(err)
	}
	config := tbotConfig(t)

	t.Run("status and event", func(t *testing.T) {
		tbot, c := newFakeTbot(t, "exit 3"), testsupport.StartService(t)
		res := runCommand(t, []string{pathWith(binDir, tbot.dir), "TELEPORT_ANONYMOUS_TELEMETRY=1", "TELEPORT_ANONYMOUS_TELEMETRY_ADDRESS=" + c.URL},
			script, "-c", config)
		if res.Code != 3 {
			t.Errorf("exit %d, want tbot's 3\n%s", res.Code, res.Stderr)
		}
		if args, telemetry := tbot.saw(t); telemetry != "0" || args != "start -c "+config {
			t.Errorf("tbot got %q with telemetry %q", args, telemetry)
		}
		c.OnlyEvent(t)
	})

	// The shell is replaced, so `docker stop`'s SIGTERM reaches
	// tbot-telemetry and, relayed, tbot; a shell left in between would die
	// of it instead (143) and tbot would never see it.
	t.Run("SIGTERM reaches tbot", func(t *testing.T) {
		tbot := newFakeTbot(t, `trap 'echo got TERM; exit 42' TERM
echo ready
i=0; while [ $i -lt 300 ]; do sleep 0.05; i=$((i+1)); done; exit 1`)
		ctx, cancel := context.WithTimeout(context.Background(), bound)
		defer cancel()
		cmd := exec.CommandContext(ctx, script, "-c", config)
		cmd.Env = []string{pathWith(binDir, tbot.dir)}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(stdout)
		if !lines.Scan() || lines.Text() != "ready" {
			t.Fatalf("tbot said %q", lines.Text())
		}
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		got := lines.Scan() && lines.Text() == "got TERM"
		cmd.Wait()
		if code := testsupport.ExitStatus(cmd.ProcessState); !got || code != 42 {
			t.Errorf("exit %d (tbot got TERM: %v), want tbot's 42", code, got)
		}
	})
}

func TestShellWrapper(t *testing.T) {
	wrapper, err := filepath.Abs("tbot-wrapper.sh")
	if err != nil {
		t.Fatal(err)
	}
	config := tbotConfig(t)
	tests := []struct {
		name          string
		body          string
		withTelemetry bool // tbot-telemetry on PATH
		args          []string
		wantCode      int
		wantTelemetry string
		wantEvents    int
	}{
		{"start", "exit 0", true, []string{"start", "-c", config}, 0, "0", 1},
		{"start after global flags", "exit 0", true, []string{"--log-format", "text", "-c", config, "start"}, 0, "0", 1},
		{"tbot fails", "exit 3", true, []string{"start", "-c", config}, 3, "0", 1},
		{"tbot dies of SIGTERM", "kill -TERM $$", true, []string{"start", "-c", config}, 143, "0", 1},
		{"not a start", "exit 0", true, []string{"configure", "identity"}, 0, "1", 0},
		{"a start in another command's arguments", "exit 0", true, []string{"-c", config, "version", "start"}, 0, "1", 0},
		{"no tbot-telemetry installed", "exit 3", false, []string{"start", "-c", config}, 3, "1", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tbot, c := newFakeTbot(t, tt.body), testsupport.StartService(t)
			path := pathWith()
			if tt.withTelemetry {
				path = pathWith(binDir)
			}
			env := []string{path, "TBOT_REAL=" + tbot.path, "TELEPORT_ANONYMOUS_TELEMETRY=1", "TELEPORT_ANONYMOUS_TELEMETRY_ADDRESS=" + c.URL}
			res := runCommand(t, env, append([]string{wrapper}, tt.args...)...)
			if res.Code != tt.wantCode {
				t.Errorf("exit %d, want %d\n%s", res.Code, tt.wantCode, res.Stderr)
			}
			if args, telemetry := tbot.saw(t); args != strings.Join(tt.args, " ") || telemetry != tt.wantTelemetry {
				t.Errorf("tbot got %q with telemetry %q; want %q with %q", args, telemetry, strings.Join(tt.args, " "), tt.wantTelemetry)
			}
			if len(c.Events()) != tt.wantEvents {
				t.Errorf("%d events, want %d", len(c.Events()), tt.wantEvents)
			}
			if tt.wantEvents == 0 && res.Stderr != "" {
				t.Errorf("said something for a command that sends nothing:\n%s", res.Stderr)
			}
		})
	}
}

// Installed as the wrapper's comment says, beside the real tbot (in a
// directory before it on PATH), it finds the real tbot on PATH, leaves it
// where it is, and never runs itself.
func TestShellWrapperInstalledBesideTbot(t *testing.T) {
	root := t.TempDir()
	sbin, bin := filepath.Join(root, "usr/local/sbin"), filepath.Join(root, "usr/local/bin")
	for _, dir := range []string{sbin, bin} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The real tbot where Teleport's installer puts it.
	tbot := newFakeTbot(t, "exit 0")
	realTbot := filepath.Join(bin, "tbot")
	data, err := os.ReadFile(tbot.path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(realTbot, data, 0o755); err != nil {
		t.Fatal(err)
	}
	// The install line of the wrapper's comment, under root.
	install := regexp.MustCompile(`(?m)^#\s+(install -m 755 examples/tbot-wrapper.sh (/\S+))$`).FindStringSubmatch(testsupport.ReadFile(t, "tbot-wrapper.sh"))
	if install == nil || install[2] != "/usr/local/sbin/tbot" {
		t.Fatalf("the wrapper's comment has no install line into /usr/local/sbin: %q", install)
	}
	line := strings.Replace(install[1], " examples/", " ", 1)
	line = strings.Replace(line, " /", " "+root+"/", 1)
	if res := runCommand(t, os.Environ(), "sh", "-c", "cd "+filepath.Dir(must(filepath.Abs("tbot-wrapper.sh")))+" && "+line); res.Code != 0 {
		t.Fatalf("%s: exit %d\n%s", line, res.Code, res.Stderr)
	}
	if got, _ := os.ReadFile(realTbot); string(got) != string(data) {
		t.Fatal("the install overwrote the real tbot")
	}

	c := testsupport.StartService(t)
	env := []string{"PATH=" + strings.Join([]string{sbin, bin, binDir, "/usr/bin", "/bin"}, ":"),
		"TELEPORT_ANONYMOUS_TELEMETRY=1", "TELEPORT_ANONYMOUS_TELEMETRY_ADDRESS=" + c.URL}
	config := tbotConfig(t)
	// Run by name, as users and units do.
	res := runCommand(t, env, "sh", "-c", `tbot "$@"`, "sh", "start", "-c", config)
	if res.Code != 0 || len(c.Events()) != 1 {
		t.Fatalf("tbot start: exit %d, %d events\n%s", res.Code, len(c.Events()), res.Stderr)
	}
	if args, _ := tbot.saw(t); args != "start -c "+config {
		t.Errorf("the real tbot got %q", args)
	}
	res = runCommand(t, env, "sh", "-c", "tbot version")
	if res.Code != 0 || res.Stderr != "" || !strings.HasPrefix(res.Stdout, "Teleport v19.1.0") || len(c.Events()) != 1 {
		t.Errorf("tbot version: exit %d, stdout %q, stderr %q", res.Code, res.Stdout, res.Stderr)
	}

	// With no other tbot on PATH, or told to run itself, it refuses.
	alone := []string{"PATH=" + strings.Join([]string{sbin, binDir, "/usr/bin", "/bin"}, ":")}
	if res := runCommand(t, alone, "sh", "-c", "tbot version"); res.Code != 127 || !strings.Contains(res.Stderr, "no tbot on PATH besides this wrapper") {
		t.Errorf("alone on PATH: exit %d, stderr %q", res.Code, res.Stderr)
	}
	itself := append([]string{"TBOT_REAL=" + filepath.Join(sbin, "tbot")}, env...)
	if res := runCommand(t, itself, "sh", "-c", "tbot start"); res.Code != 126 || !strings.Contains(res.Stderr, "is this wrapper") {
		t.Errorf("TBOT_REAL is the wrapper: exit %d, stderr %q", res.Code, res.Stderr)
	}
}

func must(s string, err error) string {
	if err != nil {
		panic(err)
	}
	return s
}

// workflow is the part of a GitHub Actions workflow the recipe uses.
type workflow struct {
	Name        string            `yaml:"name"`
	Permissions map[string]string `yaml:"permissions"`
	Jobs        map[string]struct {
		RunsOn string `yaml:"runs-on"`
		Steps  []struct {
			Name string            `yaml:"name"`
			Uses string            `yaml:"uses"`
			With map[string]string `yaml:"with"`
			Env  map[string]string `yaml:"env"`
			Run  string            `yaml:"run"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

func TestGitHubActionsWorkflow(t *testing.T) {
	var wf workflow
	if err := yaml.Unmarshal([]byte(testsupport.ReadFile(t, "github-actions.yml")), &wf); err != nil {
		t.Fatalf("not YAML: %v", err)
	}
	if wf.Permissions["id-token"] != "write" {
		t.Errorf("permissions %v: the github join method needs id-token: write", wf.Permissions)
	}
	var run string
	var env map[string]string
	for _, job := range wf.Jobs {
		if job.RunsOn == "" {
			t.Error("a job without runs-on")
		}
		for _, step := range job.Steps {
			if (step.Uses == "") == (step.Run == "") {
				t.Errorf("step %q needs exactly one of uses and run", step.Name)
			}
			if strings.Contains(step.Run, "tbot-telemetry exec") {
				run, env = step.Run, step.Env
			}
		}
	}
	if run == "" {
		t.Fatal("no step runs tbot through tbot-telemetry exec")
	}
	if env["_TBOT_TELEMETRY_HELPER"] == "" || env["_TBOT_TELEMETRY_HELPER_VERSION"] == "" || env["TELEPORT_ANONYMOUS_TELEMETRY"] != "1" {
		t.Fatalf("step env %v: want the opt-in and both helper variables", env)
	}

	// Run the step as the runner would (bash -e), with its env.
	shell, err := exec.LookPath("bash")
	if err != nil {
		shell = "/bin/sh"
	}
	tbot, c := newFakeTbot(t, "exit 0"), testsupport.StartService(t)
	stepEnv := []string{pathWith(binDir, tbot.dir), "TELEPORT_ANONYMOUS_TELEMETRY_ADDRESS=" + c.URL}
	for k, v := range env {
		stepEnv = append(stepEnv, k+"="+v)
	}
	workdir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	cmd := exec.CommandContext(ctx, shell, "-e", "-c", run)
	cmd.Env, cmd.Dir = stepEnv, workdir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("step failed: %v\n%s", err, out)
	}
	if _, telemetry := tbot.saw(t); telemetry != "0" {
		t.Errorf("tbot got telemetry %q, want 0", telemetry)
	}
	ev := c.OnlyEvent(t).GetStart()
	if ev.GetHelper() != env["_TBOT_TELEMETRY_HELPER"] || ev.GetHelperVersion() != env["_TBOT_TELEMETRY_HELPER_VERSION"] {
		t.Errorf("helper %q %q, want the step's %q %q", ev.GetHelper(), ev.GetHelperVersion(),
			env["_TBOT_TELEMETRY_HELPER"], env["_TBOT_TELEMETRY_HELPER_VERSION"])
	}
	if ev.GetJoinType() != "github" || ev.GetRunMode() != prehogv1alpha.TbotStartEvent_RUN_MODE_ONE_SHOT || ev.GetDestinationsOther() != 1 {
		t.Errorf("event %v is not the step's start", ev)
	}
}

// pod is the part of a Pod the recipe uses.
type pod struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Spec       struct {
		Containers []struct {
			Name    string   `yaml:"name"`
			Image   string   `yaml:"image"`
			Command []string `yaml:"command"`
			Args    []string `yaml:"args"`
			Env     []struct {
				Name  string `yaml:"name"`
				Value string `yaml:"value"`
			} `yaml:"env"`
			VolumeMounts []struct {
				Name      string `yaml:"name"`
				MountPath string `yaml:"mountPath"`
			} `yaml:"volumeMounts"`
		} `yaml:"containers"`
		Volumes []struct {
			Name string `yaml:"name"`
		} `yaml:"volumes"`
	} `yaml:"spec"`
}

func TestKubernetesPod(t *testing.T) {
	var p pod
	if err := yaml.Unmarshal([]byte(testsupport.ReadFile(t, "kubernetes-pod.yaml")), &p); err != nil {
		t.Fatalf("not YAML: %v", err)
	}
	if p.APIVersion != "v1" || p.Kind != "Pod" || len(p.Spec.Containers) != 1 {
		t.Fatalf("not a one-container v1 Pod: %s %s", p.APIVersion, p.Kind)
	}
	ctr := p.Spec.Containers[0]
	argv := append(append([]string{}, ctr.Command...), ctr.Args...)
	if len(argv) < 5 || strings.Join(argv[1:5], " ") != "exec -- tbot start" {
		t.Fatalf("command %q is not tbot-telemetry exec -- tbot start", argv)
	}
	env := []string{}
	for _, e := range ctr.Env {
		env = append(env, e.Name+"="+e.Value)
	}
	if !contains(env, "TELEPORT_ANONYMOUS_TELEMETRY=1") {
		t.Errorf("env %q: the opt-in is missing", env)
	}
	mounted := false
	for _, m := range ctr.VolumeMounts {
		for _, v := range p.Spec.Volumes {
			mounted = mounted || (m.Name == v.Name && m.MountPath == "/config")
		}
	}
	if !mounted || !contains(argv, "/config/tbot.yaml") {
		t.Errorf("the config file is not on a mounted volume")
	}

	config, tbot, c := tbotConfig(t), newFakeTbot(t, "exit 0"), testsupport.StartService(t)
	argv = replaceAll(argv, map[string]string{argv[0]: builtBinary(), "/config/tbot.yaml": config})
	res := runCommand(t, append(env, pathWith(tbot.dir), "TELEPORT_ANONYMOUS_TELEMETRY_ADDRESS="+c.URL), argv...)
	if res.Code != 0 {
		t.Fatalf("exit %d\n%s", res.Code, res.Stderr)
	}
	if _, telemetry := tbot.saw(t); telemetry != "0" {
		t.Errorf("tbot got telemetry %q, want 0", telemetry)
	}
	if ev := c.OnlyEvent(t).GetStart(); ev.GetJoinType() != "kubernetes" {
		t.Errorf("event %v", ev)
	}
	// tbot's --log-format json makes tbot-telemetry log JSON too.
	for _, line := range strings.Split(strings.TrimSpace(res.Stderr), "\n") {
		if line != "" && !json.Valid([]byte(line)) {
			t.Errorf("log line is not JSON: %s", line)
		}
	}
}

func TestReadmeIndexesEveryRecipe(t *testing.T) {
	readme := testsupport.ReadFile(t, "README.md")
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || path == "README.md" || strings.HasSuffix(path, "_test.go") {
			return err
		}
		if !strings.Contains(readme, "("+path+")") {
			t.Errorf("README.md does not link %s", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
