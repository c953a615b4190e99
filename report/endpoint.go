package report

import (
	"net/netip"
	"net/url"
	"strings"

	"connectrpc.com/connect"
)

// EnvAddress is the variable tbot reads for where to send.
const EnvAddress = "TELEPORT_ANONYMOUS_TELEMETRY_ADDRESS"

// DefaultEndpoint is where tbot sends its event.
const DefaultEndpoint = "https://reporting-tbot.teleportinfra.sh"

// Endpoint picks where to send: the flag, else the variable tbot reads, else
// tbot's default. getenv reads the injected environment; nil is an empty
// one.
func Endpoint(flag string, getenv func(string) string) string {
	if flag != "" {
		return flag
	}
	if getenv == nil {
		getenv = noEnv
	}
	if v := getenv(EnvAddress); v != "" {
		return v
	}
	return DefaultEndpoint
}

// parseEndpoint checks that the endpoint is an http or https URL with a
// host; its errors name what is wrong, never the URL.
func parseEndpoint(raw string) (*url.URL, error) {
	invalid := func(reason string) error {
		return &SendError{Code: connect.CodeInvalidArgument, Reason: reason}
	}
	if strings.TrimSpace(raw) == "" {
		return nil, invalid("endpoint is empty")
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		// url.Parse's error quotes the URL, credentials included.
		return nil, invalid("endpoint is not a valid url")
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, invalid("endpoint scheme is not http or https")
	case u.Hostname() == "":
		return nil, invalid("endpoint has no host")
	}
	return u, nil
}

// endpointSecrets are the parts of the endpoint that a server's message
// must not carry into the logs.
func endpointSecrets(u *url.URL) []string {
	secrets := []string{u.Hostname(), u.User.Username(), u.RawQuery}
	if p, ok := u.User.Password(); ok {
		secrets = append(secrets, p)
	}
	if path := strings.Trim(u.Path, "/"); path != "" {
		secrets = append(secrets, path)
	}
	return secrets
}

// isLoopbackHost says whether a URL's host name stays on this machine:
// localhost, 127.0.0.0/8 or ::1.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}
