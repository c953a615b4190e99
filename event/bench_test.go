package event

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"gopkg.in/yaml.v3"

	"github.com/tbot-telemetry/tbot-telemetry/config"
	"github.com/tbot-telemetry/tbot-telemetry/release"
)

// bigConfig writes a v2 file with n outputs of rotating types.
func bigConfig(b *testing.B, n int) string {
	b.Helper()
	types := []string{"identity", "application", "database", "kubernetes", "kubernetes/v2", "ssh-multiplexer"}
	var sb strings.Builder
	sb.WriteString("version: v2\nproxy_server: teleport.example.com:443\nonboarding:\n  join_method: github\n  token: bot\noutputs:\n")
	// What each type needs besides a destination, or tbot (and config)
	// refuses the file.
	extra := map[string]string{
		"application":   "    app_name: app\n",
		"database":      "    service: db\n    database: postgres\n",
		"kubernetes":    "    kubernetes_cluster: k8s\n",
		"kubernetes/v2": "    selectors: [{name: k8s}]\n",
	}
	for i := range n {
		typ := types[i%len(types)]
		fmt.Fprintf(&sb, "  - type: %s\n    roles: [access]\n%s    destination:\n      type: directory\n      path: /opt/out/%d\n", typ, extra[typ], i)
	}
	path := filepath.Join(b.TempDir(), "tbot.yaml")
	if err := os.WriteFile(path, []byte(sb.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkParseAndDerive is the whole work of a report before the send:
// parse tbot's arguments, read and decode the file, merge, derive, marshal.
// Its cost must grow linearly with the size of the file.
func BenchmarkParseAndDerive(b *testing.B) {
	for _, size := range []struct {
		name string
		path func(*testing.B) string
	}{
		{"small", func(*testing.B) string { return filepath.Join("..", "testdata", "v2", "service-identity.yaml") }},
		{"typical", func(*testing.B) string { return filepath.Join("..", "testdata", "v2", "outputs-and-services.yaml") }},
		{"outputs=100", func(b *testing.B) string { return bigConfig(b, 100) }},
		{"outputs=1000", func(b *testing.B) string { return bigConfig(b, 1000) }},
		{"outputs=10000", func(b *testing.B) string { return bigConfig(b, 10000) }},
	} {
		b.Run(size.name, func(b *testing.B) {
			path := size.path(b)
			args := []string{"start", "-c", path, "--oneshot"}
			b.ReportAllocs()
			for b.Loop() {
				parseAndDerive(b, args)
			}
		})
	}
}

// BenchmarkParseAndDeriveVsYAMLNode sets the whole of BenchmarkParseAndDerive
// beside its floor, yaml.v3's own decode of the same file into a yaml.Node
// (read included): the parser the project chose, for parity with tbot. The
// ratio of the two at each size is in BENCHMARKS.md.
func BenchmarkParseAndDeriveVsYAMLNode(b *testing.B) {
	for _, n := range []int{1, 100, 1000, 10000} {
		b.Run(fmt.Sprintf("outputs=%d", n), func(b *testing.B) {
			path := bigConfig(b, n)
			b.Run("parse-and-derive", func(b *testing.B) {
				args := []string{"start", "-c", path, "--oneshot"}
				b.ReportAllocs()
				for b.Loop() {
					parseAndDerive(b, args)
				}
			})
			b.Run("yaml-node", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					data, err := os.ReadFile(path)
					if err != nil {
						b.Fatal(err)
					}
					var node yaml.Node
					if err := yaml.Unmarshal(data, &node); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// BenchmarkDeriveAndMarshal is the pure part alone.
func BenchmarkDeriveAndMarshal(b *testing.B) {
	view := &config.View{Release: release.For("17.4.2"), Oneshot: true, JoinMethod: "github", Counted: []string{"identity", "kubernetes", "application", "database"}}
	env := config.Env{EnvHelper: "gha:teleport-actions/auth", EnvHelperVersion: "2.1.2"}
	b.ReportAllocs()
	for b.Loop() {
		req, err := Derive(view, env, "v17.4.2", fixed)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := proto.Marshal(req); err != nil {
			b.Fatal(err)
		}
	}
}

// parseAndDerive is what report does between tbot's arguments and the
// bytes on the wire, as tbot 17.4.2 reads them.
func parseAndDerive(b *testing.B, args []string) {
	inv, err := config.ParseArgs(args, config.Env{}, release.For("17.4.2"))
	if err != nil {
		b.Fatal(err)
	}
	view, err := inv.Load()
	if err != nil {
		b.Fatal(err)
	}
	req, err := Derive(view, config.Env{}, "17.4.2", fixed)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := proto.Marshal(req); err != nil {
		b.Fatal(err)
	}
}
