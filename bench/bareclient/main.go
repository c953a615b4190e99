// Command bareclient is the floor that bench/e2e.sh measures report against:
// the least a Go program can do to send the event with connect-go, protobuf
// and net/http (the dependencies tbot-telemetry sends with). It posts the
// request that bench/reqbytes wrote with http.DefaultClient and nothing else:
// no arguments, no file, no logging, no deadline, no retries.
//
//	bareclient REQUEST.bin ENDPOINT
package main

import (
	"context"
	"net/http"
	"os"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	prehogv1alpha "github.com/tbot-telemetry/tbot-telemetry/gen/prehog/v1alpha"
	"github.com/tbot-telemetry/tbot-telemetry/gen/prehog/v1alpha/prehogv1alphaconnect"
)

func main() {
	body, err := os.ReadFile(os.Args[1])
	if err != nil {
		fail(err)
	}
	var req prehogv1alpha.SubmitTbotEventRequest
	if err := proto.Unmarshal(body, &req); err != nil {
		fail(err)
	}
	client := prehogv1alphaconnect.NewTbotReportingServiceClient(http.DefaultClient, os.Args[2])
	if _, err := client.SubmitTbotEvent(context.Background(), connect.NewRequest(&req)); err != nil {
		fail(err)
	}
}

func fail(err error) {
	os.Stderr.WriteString("bareclient: " + err.Error() + "\n")
	os.Exit(1)
}
