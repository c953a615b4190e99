package report

import (
	"errors"
	"regexp"
	"strings"
	"sync"

	"connectrpc.com/connect"
)

// maxServerMessage bounds what a server's error message adds to the one
// warning line.
const maxServerMessage = 80

// addressLike finds what could be an address in a server's message: a URL,
// userinfo, an IPv4 or IPv6 address.
// It is compiled only when a server sends a message.
var addressLike = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`://|@|\b\d{1,3}(\.\d{1,3}){3}\b|[0-9A-Fa-f]{0,4}(:[0-9A-Fa-f]{0,4}){2,}`)
})

// serverMessage is the server's own message, kept to printable ASCII and
// maxServerMessage bytes, and withheld when it might name an address or
// repeat a part of the endpoint.
func serverMessage(err error, secrets []string) string {
	var ce *connect.Error
	if !errors.As(err, &ce) {
		return ""
	}
	msg := printable(ce.Message())
	if msg == "" {
		return ""
	}
	lower := strings.ToLower(msg)
	for _, s := range secrets {
		if s != "" && strings.Contains(lower, strings.ToLower(s)) {
			return "server message withheld"
		}
	}
	if addressLike().MatchString(msg) {
		return "server message withheld"
	}
	if len(msg) > maxServerMessage {
		msg = msg[:maxServerMessage-3] + "..."
	}
	return msg
}

// printable keeps printable ASCII, turns any run of other bytes into one
// space and trims the ends, so that a message cannot forge log lines.
func printable(s string) string {
	var b strings.Builder
	space := false
	for i := 0; i < len(s) && b.Len() < 4*maxServerMessage; i++ {
		c := s[i]
		if c > 0x20 && c < 0x7f {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteByte(c)
			space = false
			continue
		}
		space = true
	}
	return b.String()
}
