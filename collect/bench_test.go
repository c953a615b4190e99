package collect_test

import (
	"bytes"
	"os"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
)

// BenchmarkCollect is the receiver's rate on loopback: many concurrent
// clients, each event validated and appended to a real file before it is
// answered.
//
//	go test -run '^$' -bench BenchmarkCollect -benchtime 5s ./collect/
func BenchmarkCollect(b *testing.B) {
	for _, name := range []string{"connect+proto", "grpc+proto", "grpc-web+json"} {
		var p protocol
		for _, candidate := range protocols {
			if candidate.name == name {
				p = candidate
			}
		}
		b.Run(name, func(b *testing.B) {
			r := startReceiver(b)
			ctx := testContext(b, 10*time.Minute)
			// Each goroutine is one client, as each tbot is.
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				client := r.client(b, p)
				for pb.Next() {
					if _, err := client.SubmitTbotEvent(ctx, connect.NewRequest(startEvent(uuid.NewString()))); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/sec")
			out, err := os.ReadFile(r.output)
			if err != nil {
				b.Fatal(err)
			}
			if n := bytes.Count(out, []byte("\n")); n != b.N {
				b.Fatalf("%d lines for %d events", n, b.N)
			}
		})
	}
}
