module github.com/tbot-telemetry/tbot-telemetry

go 1.26.8

require (
	connectrpc.com/connect v1.21.1
	github.com/alecthomas/kingpin/v2 v2.4.0
	github.com/google/uuid v1.6.0
	github.com/posthog/posthog-go v1.5.2
	github.com/xhit/go-str2duration/v2 v2.1.0
	google.golang.org/protobuf v1.36.12
	gopkg.in/yaml.v3 v3.0.1
)

require github.com/alecthomas/units v0.0.0-20211218093645-b94a6e3cc137 // indirect
