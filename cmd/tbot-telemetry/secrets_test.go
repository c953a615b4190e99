package main

import (
	"encoding/base64"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/tbot-telemetry/tbot-telemetry/config"
	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
)

// Every value planted in these tests contains "mkr" (in any case), so that
// one search finds any of them, whole or cut, in anything the program
// writes or sends. The helper variables are sent by design and are never
// planted.
var plantedValue = regexp.MustCompile(`(?i)mkr`)

// saltedFiles are tbot configuration files in which every secret, address,
// path and name is a planted value; they live in a directory whose name is
// planted too.
type saltedFiles struct {
	dir                                        string
	full, auth, v1, v1Kube, joinURI, badMethod string
	v1BadMethod                                string
	wrongBool, wrongList, wrongMap, wrongNest  string
	tokenFile, argsFile                        string
	fullText                                   string
}

const saltedFull = `version: v2
proxy_server: mkrfileproxy.example:443
diag_addr: mkrfilediag.example:3001
bot_name: mkrfilebotname
onboarding:
  join_method: bound_keypair
  token: mkrfiletoken
  bound_keypair:
    registration_secret: mkrfileregsecret
storage:
  type: directory
  path: /var/lib/mkrfilestorage
outputs:
  - type: identity
    cluster: mkrfilecluster
    destination: {type: directory, path: /opt/mkrfileidentitypath}
  - type: application
    app_name: mkrfileapp
    destination: {type: kubernetes_secret, name: mkrfilesecretname}
  - type: database
    service: mkrfiledbservice
    database: mkrfiledbname
    username: mkrfiledbuser
    destination: {type: memory}
  - type: kubernetes
    kubernetes_cluster: mkrfilekubecluster
    destination: {type: kubernetes_secret, name: mkrfilekubesecret}
services:
  - type: kubernetes/v2
    selectors: [{name: mkrfileselector}, {labels: {mkrfilelabel: mkrfilelabelvalue}}]
    destination: {type: directory, path: /opt/mkrfilekubepath}
  - type: database-tunnel
    service: mkrfiletunneldb
    database: mkrfiletunneldbname
    username: mkrfiletunneluser
    listen: tcp://mkrfilelisten.example:5432
`

func writeSaltedFiles(t *testing.T, root string) saltedFiles {
	t.Helper()
	dir := filepath.Join(root, "mkrconfigdir")
	f := saltedFiles{dir: dir, fullText: saltedFull}
	file := func(name, content string) string {
		return writeFile(t, filepath.Join(dir, name), content, 0o600)
	}
	// tbot reads a token that is an absolute path from that file; this
	// program must not even open it.
	f.tokenFile = file("mkrtokenfiledir/token", "mkrtokenfilecontent\n")
	f.full = file("full.yaml", saltedFull)
	f.auth = file("auth.yaml", `version: v2
auth_server: mkrfileauth.example:3025
onboarding:
  join_method: token
  token: `+f.tokenFile+`
  ca_pins: [sha256:mkrfilecapin]
  ca_path: /etc/mkrfilecapath/ca.pem
services:
  - type: application-tunnel
    app_name: mkrfiletunnelapp
    listen: tcp://mkrfiletunnellisten.example:8443
  - type: workload-identity-x509
    selector: {name: mkrfilewidname}
    destination: {type: directory, path: /opt/mkrfilewidpath}
  - type: mkrfilefuturetype
    mkrfilefutureoption: mkrfilefuturevalue
`)
	f.v1 = file("v1.yaml", `auth_server: mkrv1auth.example:3025
onboarding:
  join_method: iam
  token: mkrv1token
storage:
  directory: /var/lib/mkrv1storage
destinations:
  - directory: /opt/mkrv1identity
    roles: [mkrv1role]
    cluster: mkrv1cluster
  - directory: {path: /opt/mkrv1apppath, symlinks: try-secure}
    app: mkrv1app
  - memory: true
    database: {service: mkrv1dbservice, database: mkrv1dbname, username: mkrv1dbuser}
  - directory: /opt/mkrv1kubepath
    kubernetes_cluster: mkrv1kubecluster
`)
	f.v1Kube = file("v1kube.yaml", "onboarding:\n  join_method: kubernetes\n  token: mkrv1kubetoken\ndestinations:\n  - directory: /opt/mkrv1kubedir\n")
	f.badMethod = file("badmethod.yaml", "version: v2\nonboarding:\n  join_method: mkrbadmethod\n")
	f.v1BadMethod = file("v1badmethod.yaml", "onboarding:\n  join_method: mkrv1badmethod\n  token: mkrv1token\n")
	f.joinURI = file("joinuri.yaml", `version: v2
join_uri: tbot+proxy+bound-keypair://MKRFILEURITOKEN:MKRFILEURISECRET@mkr-file-urihost.example:443
onboarding:
  bound_keypair:
    registration_secret: mkrfileurisecret
outputs:
  - type: database
    service: mkrfileuridbservice
    destination: {type: kubernetes_secret, name: mkrfileurisecretname}
`)
	// Files tbot refuses for a value of the wrong type, the wrong value
	// itself planted and planted values around it.
	f.wrongBool = file("wrong-bool.yaml", "version: v2\nproxy_server: mkrwrongproxy.example:443\nonboarding: {token: mkrwrongtoken}\noneshot: mkrwrongbool\n")
	f.wrongList = file("wrong-list.yaml", "version: v2\nauth_server: mkrwrongauth.example:3025\nonboarding:\n  token: mkrwrongtoken\n  join_method: [mkrwrongmethod]\n")
	f.wrongMap = file("wrong-map.yaml", "version: v2\nonboarding: {token: mkrwrongtoken}\ncredential_ttl: {mkrwrongkey: mkrwrongduration}\n")
	f.wrongNest = file("wrong-nest.yaml", "version: v2\noutputs:\n  - type: identity\n    roles: mkrwrongroles\n    destination: {type: directory, path: /opt/mkrwrongpath}\n")
	// kingpin would expand @file into arguments; tbot's own would.
	f.argsFile = file("mkrargs", "--cluster\nmkrexpandedcluster\n")
	return f
}

// secretCase is one salted tbot invocation. join is the join type its event
// must carry (which shows the planted inputs were read where they count);
// empty means tbot refuses it and nothing may be sent.
type secretCase struct {
	name string
	env  config.Env
	args []string
	join string // of the event; empty when no event is sent
	// version of the tbot; empty for the newest.
	version string
}

const saltedJoinURI = "tbot+proxy+github://MKRTOKEN:MKRSECRET@mkr-host.example:443"

func secretCases(f saltedFiles) []secretCase {
	fullBase64 := base64.StdEncoding.EncodeToString([]byte(f.fullText))
	return []secretCase{
		{name: "legacy mode over the file", join: "token", args: []string{"start", "-c", f.full,
			"--token", "mkrflagtoken", "--join-method", "token", "--auth-server", "mkrflagauth.example:3025",
			"--data-dir", "/var/lib/mkrflagdatadir", "--destination-dir", "/opt/mkrflagdestdir",
			"--diag-addr", "mkrflagdiag.example:3000", "--pid-file", "/run/mkrflagpid/tbot.pid",
			"--ca-pin", "sha256:mkrflagcapin", "--oneshot", "--certificate-ttl", "1h"}},
		{name: "application mode, file path, token and proxy from the environment", join: "bound_keypair",
			env: config.Env{"TBOT_CONFIG_PATH": f.full, "TELEPORT_BOT_TOKEN": "mkrenvtoken", "TELEPORT_PROXY": "mkrenvproxy.example:443"},
			args: []string{"start", "app", "--destination", "/opt/mkrflagappdest", "--app", "mkrflagapp",
				"--storage", "/var/lib/mkrflagstorage", "--registration-secret", "mkrflagregsecret", "--join-method", "bound_keypair"}},
		{name: "database mode, token file", join: "bound_keypair", env: config.Env{"TELEPORT_AUTH_SERVER": "mkrenvauth.example:3025"},
			args: []string{"start", "db", "-c", f.auth,
				"--destination", "kubernetes-secret:///mkrflagdbsecret", "--service", "mkrflagdbservice",
				"--database", "mkrflagdbname", "--username", "mkrflagdbuser", "--registration-secret-path", "/run/mkrflagregsecretpath",
				"--token", f.tokenFile, "--join-method", "bound_keypair", "--reader-user", "mkrflagreader", "--reader-group", "mkrflaggroup"}},
		{name: "kubernetes mode over a v1 file", join: "iam", version: "18.2.10", args: []string{"start", "k8s", "-c", f.v1,
			"--destination", "/opt/mkrflagkubedest", "--kubernetes-cluster", "mkrflagkubecluster",
			"--static-key-path", "/etc/mkrflagstatickey"}},
		// tbot applies a join URI only once its event is on its way, so
		// these send; the join method is the flag's.
		{name: "identity mode, join_uri in the file", join: "bound_keypair", args: []string{"start", "identity", "-c", f.joinURI,
			"--destination", "file:///opt/mkrflagiddest", "--cluster", "mkrflagcluster", "--storage", "memory://", "--join-method", "bound_keypair"}},
		{name: "join_uri flag", join: "github", args: []string{"start", "noop", "--join-uri", saltedJoinURI,
			"--storage", "/var/lib/mkrjoinuristorage", "--registration-secret", "mkrjoinuriregsecret", "--join-method", "github"}},
		{name: "join_uri with a token", join: "github", args: []string{"start", "noop", "--join-uri", saltedJoinURI, "--token", "mkrconflicttoken", "--join-method", "github"}},
		{name: "join_uri without an address", join: "github", args: []string{"start", "noop", "--join-uri", "tbot+proxy+github://MKRNOADDRTOKEN:MKRNOADDRSECRET@", "--join-method", "github"}},
		{name: "malformed join_uri", join: "github", args: []string{"start", "noop", "--join-uri", "mkr not a uri %zz", "--join-method", "github"}},
		{name: "tunnel with flags passed over", join: "bound_keypair", args: []string{"start", "db-tunnel", "-c", f.full,
			"--listen", "tcp://mkrflaglisten.example:1", "--service", "mkrflagtunnelservice", "--username", "mkrflagtunneluser",
			"--database", "mkrflagtunneldb", "--future-flag", "mkrfuturevalue", "--future-flag2=mkrfuturevalue2", "-Zmkrfutureshort"}},
		{name: "TBOT_CONFIG and selectors", join: "bound_keypair", env: config.Env{"TBOT_CONFIG": fullBase64},
			args: []string{"start", "k8s/v2", "--destination", "/opt/mkrflagk8sdest", "--name-selector", "mkrflagselector",
				"--label-selector", "mkrflaglabel=mkrflaglabelvalue"}},

		{name: "refused: wrong type, planted", args: []string{"start", "-c", f.wrongBool, "--diag-addr", "mkrwrongflagdiag.example:1"}},
		{name: "refused: wrong type, a list", args: []string{"start", "-c", f.wrongList}},
		{name: "refused: wrong type, a map", args: []string{"start", "-c", f.wrongMap}},
		{name: "refused: wrong type, nested", args: []string{"start", "-c", f.wrongNest}},
		{name: "refused: flag missing its value", args: []string{"start", "identity", "--token", "mkrmissingtoken",
			"--proxy-server", "mkrmissingproxy.example:443", "--cluster", "mkrmissingcluster", "--destination"}},
		{name: "refused: short flag missing its value", args: []string{"start", "-c", f.full, "--token", "mkrmissingtoken", "-a"}},
		{name: "refused: implausible join method", args: []string{"start", "--join-method", "MKR-Bad Method", "--token", "mkrbadmethodtoken"}},
		{name: "refused: bad duration", args: []string{"start", "--certificate-ttl", "mkrbadduration", "--token", "mkrbaddurationtoken"}},
		{name: "refused: bad log format", args: []string{"start", "--log-format", "mkrlogformat", "-c", f.full}},
		{name: "refused: a join method of no release in the file", args: []string{"start", "-c", f.badMethod}},
		// tbot 13 sent a file's join method unchecked; this program sends it
		// where some release accepts it, and never text that none does.
		{name: "a join method tbot 13 sent unchecked", join: "kubernetes", version: "13.1.3", args: []string{"start", "-c", f.v1Kube}},
		{name: "refused: a join method of no release, tbot 13", version: "13.1.3", args: []string{"start", "-c", f.v1BadMethod}},
		{name: "refused: unexpected argument", args: []string{"start", "identity", "--destination", "/opt/mkrunexpecteddest", "mkrunexpectedarg"}},
		{name: "@file argument", join: "github", args: []string{"start", "identity", "--destination", "/opt/mkrexpanddest", "--join-method", "github", "@" + f.argsFile}},
		{name: "refused: TBOT_DEBUG not a boolean", env: config.Env{"TBOT_DEBUG": "mkrnotabool"}, args: []string{"start", "-c", f.full}},
		{name: "refused: TBOT_CONFIG not base64", env: config.Env{"TBOT_CONFIG": "mkr!!notbase64"}, args: []string{"start"}},
		{name: "refused: -c with TBOT_CONFIG", env: config.Env{"TBOT_CONFIG": fullBase64}, args: []string{"start", "-c", f.full}},
		{name: "refused: missing file", args: []string{"start", "-c", filepath.Join(f.dir, "mkrmissing.yaml")}},
	}
}

// noPlantedValue fails the test when text carries any planted value.
func noPlantedValue(t *testing.T, where, text string) {
	t.Helper()
	if loc := plantedValue.FindStringIndex(text); loc != nil {
		t.Errorf("%s carries a planted value near %q:\n%s", where, text[max(0, loc[0]-60):min(len(text), loc[1]+60)], text)
	}
}

// checkLogFormat checks that every line of stderr is in the format asked
// for, so that the json runs test the JSON handler's output and not
// something else.
func checkLogFormat(t *testing.T, where, format, stderr string) {
	t.Helper()
	if format == "json" {
		testsupport.LogLines(t, stderr)
		return
	}
	textLines(t, stderr)
}

func countWarnings(format, stderr string) int {
	if format == "json" {
		return strings.Count(stderr, `"level":"warning"`)
	}
	return strings.Count(stderr, " WARN [TBOT-TELE] ")
}

// TestNoSecretsAnywhere runs every command at debug level, in both log
// formats, on tbot inputs salted with planted values in every class the
// README.md names under "The event" (tokens, secrets, addresses, paths,
// names, anything else from the file), on paths that send and paths tbot refuses, and checks
// that no planted value reaches stdout, stderr, the wire or the collector.
func TestNoSecretsAnywhere(t *testing.T) {
	root := t.TempDir()
	files := writeSaltedFiles(t, root)
	// PROGRAM for exec: it prints nothing, whatever it is given, so that
	// all output of exec is this program's own.
	// It says the version it is told, as `tbot version` would.
	child := writeFile(t, filepath.Join(root, "tbot"),
		"#!/bin/sh\n[ \"$1\" = version ] && echo \"Teleport v$FAKE_TBOT_VERSION git: go1.26\"\nexit 0\n", 0o755)
	collector := collectStart(t)
	cases := secretCases(files)

	sent := 0
	for _, format := range []string{"text", "json"} {
		for _, tc := range cases {
			if tc.join != "" {
				sent++
			}
			t.Run(format+"/"+tc.name, func(t *testing.T) {
				tbotArgs := tc.args
				if _, envDebug := tc.env[config.EnvDebug]; format == "text" && !envDebug {
					// tbot's own -d asks for debug logs too (and would
					// hide a bad TBOT_DEBUG, as it does from tbot).
					tbotArgs = append([]string{"-d"}, tbotArgs...)
				}
				env := withEnv(tc.env, "TELEPORT_ANONYMOUS_TELEMETRY", "1",
					"_TBOT_TELEMETRY_HELPER", "gha:teleport-actions/auth", "_TBOT_TELEMETRY_HELPER_VERSION", "2.1.2")
				ours := []string{"--debug", "--log-format", format}
				version := tc.version
				if version == "" {
					version = "19.1.0"
				}

				check := func(how string, srv *testsupport.Service, code int, stdout, stderr string, wantStdout bool) {
					t.Helper()
					if code != 0 {
						t.Errorf("%s: exit %d; stderr:\n%s", how, code, stderr)
					}
					checkLogFormat(t, how, format, stderr)
					noPlantedValue(t, how+": stdout", stdout)
					noPlantedValue(t, how+": stderr", stderr)
					if tc.join == "" {
						if n := countWarnings(format, stderr); n != 1 {
							t.Errorf("%s: %d warnings, want 1:\n%s", how, n, stderr)
						}
						if stdout != "" {
							t.Errorf("%s: refused, yet printed %q", how, stdout)
						}
					} else if wantStdout != (stdout != "") {
						t.Errorf("%s: stdout %q", how, stdout)
					}
					if srv == nil {
						return
					}
					events := srv.Events()
					if tc.join == "" {
						if srv.Connections() != 0 {
							t.Errorf("%s: refused, yet connected %d times", how, srv.Connections())
						}
						return
					}
					if len(events) != 1 || events[0].GetStart().GetJoinType() != tc.join {
						t.Fatalf("%s: want one event with join type %q, got %v; stderr:\n%s", how, tc.join, events, stderr)
					}
					if !strings.Contains(stderr, "Successfully transmitted anonymous telemetry") {
						t.Errorf("%s: no debug line on success, so not at debug level:\n%s", how, stderr)
					}
					noPlantedValue(t, how+": the event", fmt.Sprint(events[0]))
					noPlantedValue(t, how+": the request", srv.Requests()[0].Text())
				}

				// report, in-process, to a loopback service recording the
				// raw request.
				srv := testsupport.StartService(t)
				sys := newTestSystem(t, env)
				code := sys.run(t, append(append([]string{"report", "--endpoint", srv.URL, "--tbot-version", version}, ours...), append([]string{"--"}, tbotArgs...)...)...)
				check("report", srv, code, sys.out.String(), sys.err.String(), false)

				// report --dry-run, in-process: the event on stdout.
				sys = newTestSystem(t, env)
				code = sys.run(t, append(append([]string{"report", "--dry-run", "--tbot-version", version}, ours...), append([]string{"--"}, tbotArgs...)...)...)
				check("report --dry-run", nil, code, sys.out.String(), sys.err.String(), true)
				if tc.join != "" && !strings.Contains(sys.out.String(), `"tbot.join_type":"`+tc.join+`"`) {
					t.Errorf("report --dry-run: want join type %q: %s", tc.join, sys.out)
				}

				// exec, the built binary: PROGRAM gets the salted arguments
				// and the salted environment; its version is asked of it.
				srv = testsupport.StartService(t)
				execEnv := withEnv(env, "PATH", "/usr/bin:/bin", "FAKE_TBOT_VERSION", version)
				run := runBinary(t, execEnv, append(append([]string{"exec", "--endpoint", srv.URL}, ours...), append([]string{"--", child}, tbotArgs...)...)...)
				check("exec", srv, run.Code, run.Stdout, run.Stderr, false)

				// report, the built binary, to the built collector.
				if tc.join != "" {
					run = runBinary(t, env, append(append([]string{"report", "--strict", "--endpoint", collector.baseURL(), "--tbot-version", version}, ours...), append([]string{"--"}, tbotArgs...)...)...)
					check("report to collect", nil, run.Code, run.Stdout, run.Stderr, false)
				}
			})
		}
	}

	if code := collector.stop(syscall.SIGTERM); code != 0 {
		t.Errorf("collect exited %d; stderr:\n%s", code, collector.stderr.String())
	}
	if lines := collectLines(t, collector.stdout.String()); len(lines) != sent {
		t.Errorf("collect wrote %d lines, want %d", len(lines), sent)
	}
	noPlantedValue(t, "collect: stdout", collector.stdout.String())
	noPlantedValue(t, "collect: stderr", collector.stderr.String())
}
