// Command record-tbot records which anonymous "start" event a real tbot
// binary sends for each of a list of cases (arguments, environment, files).
//
// It is a developer tool, not part of tbot-telemetry and not run by CI. It
// never builds tbot: give it a tbot binary built elsewhere (-tbot) and this
// project's own binary (-collector), whose `collect` receives the events.
// See README.md beside this file.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"
)

// A Case is one start of tbot, as cases.yaml lists it.
type Case struct {
	Name  string            `yaml:"name" json:"name"`
	Args  []string          `yaml:"args" json:"args"`
	Env   map[string]string `yaml:"env,omitempty" json:"env,omitempty"`
	Files map[string]string `yaml:"files,omitempty" json:"files,omitempty"`
}

// A Start is one case together with what tbot did.
type Start struct {
	Case
	// Event holds the nine tbot.* properties of the event collect
	// received, or nil when none arrived.
	Event      map[string]any `json:"event"`
	ExitCode   int            `json:"exit_code"`
	TimedOut   bool           `json:"timed_out,omitempty"`
	Events     int            `json:"events_received,omitempty"`
	StderrTail []string       `json:"stderr_tail"`
	// SendError holds the lines where tbot logged that its send failed
	// (collect refused the event, say): then a null event is not what
	// tbot would have sent.
	SendError []string `json:"send_error,omitempty"`
}

// A Recording is the output file.
type Recording struct {
	TbotVersion       string  `json:"tbot_version"`
	TbotVersionOutput string  `json:"tbot_version_output"`
	TeleportCommit    string  `json:"teleport_commit"`
	Source            string  `json:"source"`
	RecordedAt        string  `json:"recorded_at"`
	Starts            []Start `json:"starts"`
}

// The nine properties of a start event, as collect writes them.
var properties = []string{
	"tbot.run_mode",
	"tbot.version",
	"tbot.join_type",
	"tbot.helper",
	"tbot.helper_version",
	"tbot.destinations_other",
	"tbot.destinations_database",
	"tbot.destinations_kubernetes",
	"tbot.destinations_application",
}

var versionRE = regexp.MustCompile(`Teleport (?:Enterprise )?v([^ \n]+)`)

func main() {
	var (
		tbotPath  = flag.String("tbot", "", "path of a tbot binary (built elsewhere)")
		collector = flag.String("collector", "", "path of this project's tbot-telemetry binary")
		casesPath = flag.String("cases", "testdata/tbot-recordings/cases.yaml", "the case list")
		outPath   = flag.String("out", "", "the recording to write, e.g. testdata/tbot-recordings/tbot-13.1.3.json")
		commit    = flag.String("commit", "", "the Teleport commit the tbot binary was built from")
		source    = flag.String("source", "", "free text: where that commit came from")
		timeout   = flag.Duration("timeout", 20*time.Second, "kill tbot after this long")
		grace     = flag.Duration("grace", 300*time.Millisecond, "how long to wait for the event after tbot exits")
		only      = flag.String("only", "", "run only the cases whose name contains this (for trying cases out; then -out is optional)")
	)
	flag.Parse()
	if *tbotPath == "" || *collector == "" || (*outPath == "" && *only == "") || (*commit == "" && *only == "") {
		fmt.Fprintln(os.Stderr, "usage: record-tbot -tbot PATH -collector PATH -cases FILE -out FILE -commit SHA [-source TEXT]")
		os.Exit(2)
	}
	if err := run(*tbotPath, *collector, *casesPath, *outPath, *commit, *source, *only, *timeout, *grace); err != nil {
		fmt.Fprintln(os.Stderr, "record-tbot:", err)
		os.Exit(1)
	}
}

// run records every case of casesPath on the tbot at tbotPath, through one
// collect, into outPath. A tool run by hand, it is one long sequence of
// steps (start collect, read the cases, run each, write the recording) read
// top to bottom.
func run(tbotPath, collector, casesPath, outPath, commit, source, only string, timeout, grace time.Duration) error {
	tbotPath, err := filepath.Abs(tbotPath)
	if err != nil {
		return err
	}
	cases, err := readCases(casesPath)
	if err != nil {
		return err
	}

	versionOut, err := exec.Command(tbotPath, "version").Output()
	if err != nil {
		return fmt.Errorf("tbot version: %w", err)
	}
	m := versionRE.FindSubmatch(versionOut)
	if m == nil {
		return fmt.Errorf("tbot version printed no version: %q", versionOut)
	}
	rec := Recording{
		TbotVersion:       string(m[1]),
		TbotVersionOutput: string(versionOut),
		TeleportCommit:    commit,
		Source:            source,
		RecordedAt:        time.Now().UTC().Format(time.RFC3339),
	}

	work, err := os.MkdirTemp("", "record-tbot-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	events := filepath.Join(work, "events.jsonl")
	port, stopCollect, err := startCollector(collector, events, filepath.Join(work, "collect.log"))
	if err != nil {
		return err
	}
	defer stopCollect()

	for _, c := range cases {
		if only != "" && !strings.Contains(c.Name, only) {
			continue
		}
		s, err := runCase(tbotPath, c, port, events, timeout, grace)
		if err != nil {
			return fmt.Errorf("case %q: %w", c.Name, err)
		}
		sent := "no event"
		if s.Event != nil {
			sent = fmt.Sprintf("%v %v o=%v d=%v k=%v a=%v", s.Event["tbot.run_mode"], strconv.Quote(fmt.Sprint(s.Event["tbot.join_type"])),
				s.Event["tbot.destinations_other"], s.Event["tbot.destinations_database"],
				s.Event["tbot.destinations_kubernetes"], s.Event["tbot.destinations_application"])
		}
		last := ""
		if n := len(s.StderrTail); n > 0 {
			last = s.StderrTail[n-1]
		}
		fmt.Fprintf(os.Stderr, "%-48s exit=%d %s | %.140s\n", c.Name, s.ExitCode, sent, last)
		if len(s.SendError) > 0 {
			fmt.Fprintf(os.Stderr, "WARNING: case %q: tbot's send failed: %q\n", c.Name, s.SendError)
		}
		if s.Events > 1 {
			fmt.Fprintf(os.Stderr, "WARNING: case %q: %d events received\n", c.Name, s.Events)
		}
		rec.Starts = append(rec.Starts, s)
	}

	if outPath == "" {
		return nil
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rec); err != nil {
		return err
	}
	return os.WriteFile(outPath, b.Bytes(), 0o644)
}

func readCases(path string) ([]Case, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var cases []Case
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&cases); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	seen := map[string]bool{}
	for i, c := range cases {
		if c.Name == "" || seen[c.Name] {
			return nil, fmt.Errorf("%s: case %d: empty or repeated name %q", path, i, c.Name)
		}
		seen[c.Name] = true
		for name := range c.Files {
			if filepath.IsAbs(name) || !filepath.IsLocal(name) {
				return nil, fmt.Errorf("%s: case %q: file name %q must be relative and inside the case's dir", path, c.Name, name)
			}
		}
	}
	return cases, nil
}

// startCollector runs `collect` on a free loopback port until stop is called.
func startCollector(collector, output, logPath string) (port int, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, nil, err
	}
	port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	logf, err := os.Create(logPath)
	if err != nil {
		return 0, nil, err
	}
	cmd := exec.Command(collector, "collect", "--listen", fmt.Sprintf("127.0.0.1:%d", port), "--output", output)
	cmd.Stdout = logf
	cmd.Stderr = logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return 0, nil, fmt.Errorf("starting collect: %w", err)
	}
	stop = func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		logf.Close()
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			c.Close()
			return port, stop, nil
		}
		if time.Now().After(deadline) {
			stop()
			log, _ := os.ReadFile(logPath)
			return 0, nil, fmt.Errorf("collect did not listen on port %d: %s", port, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var b64RE = regexp.MustCompile(`\$\{base64:([^}]+)\}`)

// runCase runs one case: its files in a directory of its own, tbot with its
// arguments and environment, and the event collect received (or none). It
// is long because a tbot start has many parts to set up and take down; they
// are kept in the order tbot meets them.
func runCase(tbotPath string, c Case, port int, events string, timeout, grace time.Duration) (Start, error) {
	s := Start{Case: c, StderrTail: []string{}}
	dir, err := os.MkdirTemp("", "tbot-case-")
	if err != nil {
		return s, err
	}
	defer os.RemoveAll(dir)

	// The files, with $DIR replaced.
	contents := map[string]string{}
	for name, content := range c.Files {
		content = strings.ReplaceAll(content, "$DIR", dir)
		contents[name] = content
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return s, err
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			return s, err
		}
	}
	var expandErr error
	expand := func(v string) string {
		v = strings.ReplaceAll(v, "$DIR", dir)
		return b64RE.ReplaceAllStringFunc(v, func(m string) string {
			name := b64RE.FindStringSubmatch(m)[1]
			content, ok := contents[name]
			if !ok {
				expandErr = fmt.Errorf("${base64:%s}: no such file in the case", name)
			}
			return base64.StdEncoding.EncodeToString([]byte(content))
		})
	}

	args := make([]string, len(c.Args))
	for i, a := range c.Args {
		args[i] = expand(a)
	}
	env := map[string]string{
		"PATH":                                 os.Getenv("PATH"),
		"HOME":                                 dir,
		"TELEPORT_ANONYMOUS_TELEMETRY":         "1",
		"TELEPORT_ANONYMOUS_TELEMETRY_ADDRESS": fmt.Sprintf("http://127.0.0.1:%d", port),
	}
	for k, v := range c.Env {
		env[k] = expand(v)
	}
	if expandErr != nil {
		return s, expandErr
	}
	envList := make([]string, 0, len(env))
	for k, v := range env {
		envList = append(envList, k+"="+v)
	}

	before, err := fileSize(events)
	if err != nil {
		return s, err
	}

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, tbotPath, args...)
	cmd.Dir = dir
	cmd.Env = envList
	var stderr bytes.Buffer
	cmd.Stdout = io.Discard
	cmd.Stderr = &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	runErr := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case runErr == nil:
	case errors.As(runErr, &exitErr):
	default:
		return s, runErr
	}
	s.ExitCode = cmd.ProcessState.ExitCode()
	if ctx.Err() != nil {
		s.TimedOut = true
	}

	// The event, if any: tbot waits for its send before it exits, so
	// the line is normally there already.
	var lines [][]byte
	deadline := time.Now().Add(grace)
	for {
		lines, err = newLines(events, before)
		if err != nil {
			return s, err
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	s.Events = len(lines)
	if len(lines) > 0 {
		var ev struct {
			Event      string         `json:"event"`
			Properties map[string]any `json:"properties"`
		}
		d := json.NewDecoder(bytes.NewReader(lines[0]))
		d.UseNumber()
		if err := d.Decode(&ev); err != nil {
			return s, fmt.Errorf("collect's line %q: %w", lines[0], err)
		}
		s.Event = map[string]any{}
		for _, p := range properties {
			v, ok := ev.Properties[p]
			if !ok {
				return s, fmt.Errorf("collect's line lacks %s: %q", p, lines[0])
			}
			s.Event[p] = v
		}
	}
	if s.Events == 1 {
		s.Events = 0 // omitted: the usual case
	}
	s.StderrTail = stderrTail(stderr.String(), dir, port)
	s.SendError = sendError(stderr.String(), dir, port)
	return s, nil
}

func fileSize(path string) (int64, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// newLines returns the complete lines written to path after offset.
func newLines(path string, offset int64) ([][]byte, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	var lines [][]byte
	for {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return lines, nil
		}
		if len(bytes.TrimSpace(b[:i])) > 0 {
			lines = append(lines, b[:i])
		}
		b = b[i+1:]
	}
}

var (
	timestampRE = regexp.MustCompile(`\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?`)
	durationRE  = regexp.MustCompile(`(duration[:=]"?)[0-9.]+[µnm]?s`)
	ansiRE      = regexp.MustCompile(`\x1b\[[0-9;]*[A-Za-z]`)
	uuidRE      = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
)

// sendError returns the line where tbot says its send failed and the two
// after it (the error often follows on lines of its own), masked as in
// stderrTail; nil when there is none.
func sendError(stderr, dir string, port int) []string {
	lines := strings.Split(stderr, "\n")
	for i, l := range lines {
		if strings.Contains(strings.ToLower(l), "failed to send anonymous telemetry") {
			return mask(lines[i:min(i+3, len(lines))], dir, port)
		}
	}
	return nil
}

// stderrTail returns the last three non-empty lines of tbot's stderr, each
// cut to 300 characters, with the things that change from run to run (the
// case's dir, the collector's port, times, ids) replaced.
func stderrTail(stderr, dir string, port int) []string {
	var all []string
	sc := bufio.NewScanner(strings.NewReader(stderr))
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for sc.Scan() {
		if l := strings.TrimRight(ansiRE.ReplaceAllString(sc.Text(), ""), " \t\r"); strings.TrimSpace(l) != "" {
			all = append(all, l)
		}
	}
	if len(all) > 3 {
		all = all[len(all)-3:]
	}
	return mask(all, dir, port)
}

// mask cuts each line to 300 characters and replaces what changes from run
// to run.
func mask(lines []string, dir string, port int) []string {
	dirs := []string{dir}
	if real, err := filepath.EvalSymlinks(dir); err == nil && real != dir {
		dirs = append(dirs, real)
	}
	out := []string{}
	for _, l := range lines {
		for _, d := range dirs {
			l = strings.ReplaceAll(l, d, "$DIR")
		}
		l = ansiRE.ReplaceAllString(l, "")
		l = strings.ReplaceAll(l, fmt.Sprintf("127.0.0.1:%d", port), "127.0.0.1:$PORT")
		l = timestampRE.ReplaceAllString(l, "$$TIME")
		l = durationRE.ReplaceAllString(l, "${1}$$DURATION")
		l = uuidRE.ReplaceAllString(l, "$$UUID")
		if r := []rune(l); len(r) > 300 {
			l = string(r[:300])
		}
		out = append(out, l)
	}
	return out
}
