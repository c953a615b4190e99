package config

import (
	"errors"
	"net/url"
	"strings"
)

// joinURI is what a join URI (`tbot+proxy+<method>://<token>[:<parameter>]@<host:port>`)
// says that is not a secret: its join method. The token and parameter are
// checked for presence and dropped.
type joinURI struct {
	Set        bool
	JoinMethod string
}

// urlSafeJoinMethods maps the spellings that a URI scheme allows back to the
// join method names.
var urlSafeJoinMethods = map[string]string{
	"boundkeypair":   "bound_keypair",
	"azuredevops":    "azure_devops",
	"terraformcloud": "terraform_cloud",
	"genericoidc":    "generic_oidc",
}

// isPlausibleJoinMethod tells whether s has the shape of every join method
// tbot has known (lower-case letters, digits and _, at most 32): a newer one
// passes, anything else (a typo, a pasted secret) is refused.
func isPlausibleJoinMethod(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

var errBadJoinURI = errors.New("not a valid join URI")

// parseJoinURI reads the join method out of a join URI. Its errors never
// quote the URI, which holds a token.
func parseJoinURI(raw string) (joinURI, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return joinURI{}, errBadJoinURI
	}
	parts := strings.Split(u.Scheme, "+")
	if len(parts) != 3 || parts[0] != "tbot" || (parts[1] != "proxy" && parts[1] != "auth") {
		return joinURI{}, errBadJoinURI
	}
	if u.Host == "" {
		return joinURI{}, errors.New("join URI has no address")
	}
	method := parts[2]
	if m, ok := urlSafeJoinMethods[method]; ok {
		method = m
	}
	method = strings.ReplaceAll(method, "-", "_")
	if !isPlausibleJoinMethod(method) {
		return joinURI{}, errors.New("join URI has an unrecognized join method")
	}
	return joinURI{Set: true, JoinMethod: method}, nil
}
