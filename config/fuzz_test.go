package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
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
func independentCount(data []byte) (int, bool) {
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
			if item != nil { // yaml.v3, for tbot as for us, drops null entries
				n++
			}
		}
	}
	return n, true
}

func FuzzParseFile(f *testing.F) {
	seedFiles(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := parseFile(data)
		if err != nil {
			if v != nil {
				t.Fatal("a view with an error")
			}
			return
		}
		if v.JoinMethod != "" && !isPlausibleJoinMethod(v.JoinMethod) {
			// The merge refuses it; parseFile may carry it, but it must be
			// refused before it reaches an event.
			if _, err := merge(&Invocation{}, v); err == nil {
				t.Fatalf("implausible join method %q accepted", v.JoinMethod)
			}
		}
		if n, ok := independentCount(data); ok && n != len(v.Outputs)+len(v.Services) {
			t.Fatalf("counted %d outputs and services, a plain decode finds %d", len(v.Outputs)+len(v.Services), n)
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
		inv, err := ParseArgs(args, Env{})
		if err != nil {
			if inv != nil {
				t.Fatal("an invocation with an error")
			}
			return
		}
		if errors.Is(err, ErrNotStart) {
			return
		}
		v, err := merge(inv, &fileView{})
		if err != nil {
			return
		}
		if len(v.Services) > 1 {
			t.Fatalf("a command line alone configured %d services", len(v.Services))
		}
		if v.JoinMethod != "" && !isPlausibleJoinMethod(v.JoinMethod) {
			t.Fatalf("implausible join method %q", v.JoinMethod)
		}
	})
}
