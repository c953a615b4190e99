package report

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/tbot-telemetry/tbot-telemetry/config"
	"github.com/tbot-telemetry/tbot-telemetry/event"
	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
	"github.com/tbot-telemetry/tbot-telemetry/release"
)

// The work between reading tbot's configuration and the bytes on the wire.
func BenchmarkDeriveAndMarshal(b *testing.B) {
	view := &config.View{
		Release:    release.For("17.4.2"),
		Oneshot:    true,
		JoinMethod: "github",
		Counted:    []string{"identity", "application", "database-tunnel", "kubernetes/v2", "ssh-multiplexer"},
	}
	env := config.Env{event.EnvHelper: "gha:teleport-actions/auth", event.EnvHelperVersion: "2.1.2"}
	src := event.Sources{Now: testsupport.Now, NewID: uuid.NewRandom}
	b.ReportAllocs()
	for b.Loop() {
		req, err := event.Derive(view, env, "v17.4.2", src)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := proto.Marshal(req); err != nil {
			b.Fatal(err)
		}
	}
}

// One send to a loopback Connect handler, connection kept alive between
// sends as it would be between retries.
func BenchmarkSendLoopback(b *testing.B) {
	svc := testsupport.StartService(b)
	client, err := NewHTTPClient(nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(client.CloseIdleConnections)
	opts := SendOptions{Endpoint: svc.URL, Client: client}
	ev := testsupport.Event()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b.ReportAllocs()
	for b.Loop() {
		if err := Send(ctx, opts, ev); err != nil {
			b.Fatal(err)
		}
		svc.Reset()
	}
}
