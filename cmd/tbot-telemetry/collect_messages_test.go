package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tbot-telemetry/tbot-telemetry/config"
)

// What collect says when its flags or the key cannot work, before it
// starts: one line that says what is wrong, and a hint only where one
// fits. Every combination of the key file and POSTHOG_API_KEY that cannot
// give a key is here (those that can are the forwarding tests).
func TestCollectMessages(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	empty, blank := write("empty", ""), write("blank", " \n\t\n")
	output := filepath.Join(dir, "events.jsonl")
	forwarding := []string{"--output", output, "--posthog-host", "https://us.i.posthog.com"}
	withFile := func(file string) []string {
		return append(append([]string{}, forwarding...), "--posthog-api-key-file", file)
	}
	set, blankEnv := config.Env{"POSTHOG_API_KEY": posthogKey}, config.Env{"POSTHOG_API_KEY": " \n"}

	const (
		noKey     = "ERRO [TBOT-TELE] --posthog-host needs the project API key. flag:--posthog-host hint:put it in POSTHOG_API_KEY or in a file named by --posthog-api-key-file "
		emptyEnv  = "ERRO [TBOT-TELE] POSTHOG_API_KEY is empty; --posthog-host needs the project API key. flag:--posthog-host tbot-telemetry/"
		emptyFile = "ERRO [TBOT-TELE] --posthog-api-key-file names an empty file. flag:--posthog-api-key-file tbot-telemetry/"
		fileWins  = "ERRO [TBOT-TELE] --posthog-api-key-file names an empty file. flag:--posthog-api-key-file hint:the file is read instead of POSTHOG_API_KEY: put the key in it, or leave the flag out "
	)
	cases := []struct {
		name string
		env  config.Env
		args []string
		code int
		want string
	}{
		{"no key anywhere", nil, forwarding, 2, noKey},
		{"POSTHOG_API_KEY blank", blankEnv, forwarding, 2, emptyEnv},
		{"POSTHOG_API_KEY empty", config.Env{"POSTHOG_API_KEY": ""}, forwarding, 2, emptyEnv},
		{"empty key file, no POSTHOG_API_KEY", nil, withFile(empty), 2, emptyFile},
		{"blank key file, no POSTHOG_API_KEY", nil, withFile(blank), 2, emptyFile},
		{"empty key file, POSTHOG_API_KEY blank", blankEnv, withFile(empty), 2, emptyFile},
		{"empty key file, POSTHOG_API_KEY set", set, withFile(empty), 2, fileWins},
		{"blank key file, POSTHOG_API_KEY set", set, withFile(blank), 2, fileWins},
		{"key file missing, POSTHOG_API_KEY set", set, withFile(filepath.Join(dir, "missing")), 1, "reading the PostHog API key file: "},
		{"key file missing, no POSTHOG_API_KEY", nil, withFile(filepath.Join(dir, "missing")), 1, "reading the PostHog API key file: "},
		{"key file is a directory", set, withFile(dir), 1, "reading the PostHog API key file: "},
		{"key file without --posthog-host", set, []string{"--posthog-api-key-file", empty}, 2,
			"ERRO [TBOT-TELE] --posthog-api-key-file is for --posthog-host. flag:--posthog-api-key-file tbot-telemetry/"},
		{"no output", set, []string{"--posthog-host", "https://us.i.posthog.com"}, 2,
			"ERRO [TBOT-TELE] --posthog-host needs --output: the file is the record that is forwarded. flag:--posthog-host tbot-telemetry/"},
		{"host not a URL", set, []string{"--output", output, "--posthog-host", "us.i.posthog.com"}, 2,
			"ERRO [TBOT-TELE] --posthog-host must be an http or https URL. flag:--posthog-host hint:such as https://us.i.posthog.com "},
		{"a port alone", nil, []string{"--listen", "8080"}, 2,
			"ERRO [TBOT-TELE] --listen needs an address with a port, not a port alone. flag:--listen value:8080 hint:write :8080 to listen on every interface, or 127.0.0.1:8080 for this machine only "},
		{"a certificate without its key", nil, []string{"--tls-cert-file", empty}, 2,
			"ERRO [TBOT-TELE] --tls-cert-file needs --tls-key-file, the certificate's private key. flag:--tls-cert-file tbot-telemetry/"},
		{"a key without its certificate", nil, []string{"--tls-key-file", empty}, 2,
			"ERRO [TBOT-TELE] --tls-key-file needs --tls-cert-file, the certificate it is the key of. flag:--tls-key-file tbot-telemetry/"},
		{"a certificate that is not one", nil, []string{"--tls-cert-file", blank, "--tls-key-file", blank}, 1,
			"reading the TLS certificate and key: "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sys := newTestSystem(t, c.env)
			ctx, cancel := context.WithTimeout(context.Background(), collectBound)
			defer cancel()
			args := append([]string{"collect"}, c.args...)
			if !strings.Contains(strings.Join(c.args, " "), "--listen") {
				args = append(args, "--listen", "127.0.0.1:0")
			}
			err := run(ctx, args, sys.system)
			// What main would print: the usage line, or the error.
			said := sys.err.String()
			if exitCode(err) == 1 {
				said = err.Error()
			}
			if code := exitCode(err); code != c.code || !strings.Contains(said, c.want) {
				t.Errorf("exit %d, saying %q;\nwant %d and %q", code, said, c.code, c.want)
			}
			if c.code == 2 && strings.Count(strings.TrimSpace(said), "\n") != 0 {
				t.Errorf("more than one line: %q", said)
			}
			if strings.Contains(said, posthogKey) {
				t.Errorf("it says the key: %q", said)
			}
			if _, err := os.Stat(output); err == nil {
				t.Errorf("the output file was made before the flags were found wrong")
			}
		})
	}
}
