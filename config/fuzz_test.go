package config

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/tbot-telemetry/tbot-telemetry/release"
)

// seedFiles adds every file of testdata as a seed, good and bad.
func seedFiles(f *testing.F) {
	for _, dir := range []string{"v1", "v2", "bad"} {
		files, _ := filepath.Glob(testdata(dir + "/*.yaml"))
		for _, name := range files {
			if data, err := os.ReadFile(name); err == nil && len(data) < 64<<10 {
				f.Add(data)
			}
		}
	}
}

// independentCount counts a file's outputs, services and v1 destinations
// with a plain decode into maps, to check parseFile against.
func independentCount(data []byte, keepNullDestinations bool) (int, bool) {
	var doc map[string]any
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		return 0, false
	}
	n := 0
	for _, key := range []string{"outputs", "services", "destinations"} {
		if key == "destinations" && doc["version"] == "v2" {
			continue
		}
		if key != "destinations" && doc["version"] != "v2" {
			continue
		}
		list, _ := doc[key].([]any)
		for _, item := range list {
			// yaml.v3 drops null entries, except from tbot 12-13's list of
			// destination pointers, which keeps them (and crashes on them).
			if item != nil || (key == "destinations" && keepNullDestinations) {
				n++
			}
		}
	}
	return n, true
}

// fuzzReleases are read with every fuzzed file: the strict v1 reader, the
// strict v2 one, a lenient one, and the newest, open one.
var fuzzReleases = []string{"13.1.3", "15.0.0-dev", "18.0.0", ""}

func FuzzParseFile(f *testing.F) {
	seedFiles(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, version := range fuzzReleases {
			rel := release.For(version)
			v, err := parseFile(data, rel)
			if err != nil {
				if v != nil {
					t.Fatal("a view with an error")
				}
				continue
			}
			// Whatever the file says, only a join method that the release
			// (or, for an open one or one that never checked, some
			// release) accepts gets through.
			if merged, err := merge(&Invocation{Release: rel}, v); err == nil && merged.JoinMethod != "" &&
				!rel.AcceptsJoinMethod(merged.JoinMethod) && !release.AnyReleaseAccepts(merged.JoinMethod) {
				t.Fatalf("%s: join method %q accepted", rel, merged.JoinMethod)
			}
			if n, ok := independentCount(data, !rel.Has(release.MigratesV1)); ok && n != len(v.Outputs)+len(v.Services) {
				t.Fatalf("%s: counted %d outputs and services, a plain decode finds %d", rel, len(v.Outputs)+len(v.Services), n)
			}
		}
	})
}

func FuzzParseArgs(f *testing.F) {
	for _, args := range [][]string{
		{"start", "-c", "/etc/tbot.yaml", "--oneshot"},
		{"start", "identity", "--destination=./out", "--join-method=github"},
		{"-d", "start", "--config=/etc/tbot.yaml"},
		{"start", "k8s/v2", "--destination", "x", "--label-selector", "a=b", "--no-oneshot"},
		{"start", "noop", "--join-uri", "tbot+proxy+bound-keypair://t:s@h:1"},
		{"start", "-dc", "x", "--future", "v", "mode"},
		{"configure", "identity"},
		{"start", "--token"},
	} {
		f.Add(strings.Join(args, "\x00"))
	}
	f.Fuzz(func(t *testing.T, joined string) {
		args := strings.Split(joined, "\x00")
		for _, a := range args {
			// Keep the fuzzer off real files: a config path is a file read.
			if strings.Contains(a, "/") || strings.HasPrefix(a, "-c") || strings.HasPrefix(a, "--config") {
				return
			}
		}
		for _, version := range fuzzReleases {
			rel := release.For(version)
			inv, err := ParseArgs(args, Env{}, rel)
			if err != nil {
				if inv != nil {
					t.Fatal("an invocation with an error")
				}
				continue
			}
			v, err := merge(inv, &fileView{})
			if err != nil {
				continue
			}
			if len(v.Counted) > 1 {
				t.Fatalf("%s: a command line alone configured %d services", rel, len(v.Counted))
			}
			if v.JoinMethod != "" && !rel.AcceptsJoinMethod(v.JoinMethod) && !(rel.Open && release.AnyReleaseAccepts(v.JoinMethod)) {
				t.Fatalf("%s: join method %q accepted", rel, v.JoinMethod)
			}
		}
	})
}
