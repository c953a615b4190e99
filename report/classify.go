package report

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"

	"connectrpc.com/connect"
)

// classify turns a failed call into a SendError, looking into the error by
// type (and, where net/http has no type, for a constant phrase), never
// passing its text on: the text of transport errors embeds the URL.
func classify(err error, a *attempt, secrets []string) *SendError {
	code := connect.CodeOf(err)
	wire := connect.IsWireError(err)
	status, tooLarge := a.result()
	switch {
	case !wire && (code == connect.CodeDeadlineExceeded || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded)):
		return &SendError{Code: connect.CodeDeadlineExceeded, Reason: "no answer within the deadline"}
	case !wire && (code == connect.CodeCanceled || errors.Is(err, context.Canceled)):
		return &SendError{Code: connect.CodeCanceled, Reason: "sending was canceled"}
	case tooLarge || (!wire && code == connect.CodeResourceExhausted):
		return &SendError{Code: connect.CodeResourceExhausted, Reason: "response too large"}
	case status == 0:
		return classifyTransport(code, err)
	case wire:
		reason := serverMessage(err, secrets)
		if reason == "" {
			reason = fmt.Sprintf("http status %d", status)
		}
		return &SendError{Code: code, Reason: reason, retry: code == connect.CodeUnavailable}
	case status >= 300 && status < 400:
		return &SendError{Code: code, Reason: fmt.Sprintf("redirect not followed (http status %d)", status)}
	case status != http.StatusOK:
		return &SendError{Code: code, Reason: fmt.Sprintf("http status %d", status), retry: code == connect.CodeUnavailable}
	case isNetworkError(err):
		return &SendError{Code: connect.CodeUnavailable, Reason: "connection lost during the answer", retry: true}
	default:
		return &SendError{Code: code, Reason: "answer is not a valid connect response"}
	}
}

// classifyTransport names a failure before any answer arrived. connect-go
// gives them all code unavailable; those that another try cannot mend
// (certificates, settings, a name that does not exist) are not retried, and
// a settings or certificate problem is reported as unknown.
func classifyTransport(code connect.Code, err error) *SendError {
	var (
		verifyErr  *tls.CertificateVerificationError
		authErr    x509.UnknownAuthorityError
		hostErr    x509.HostnameError
		invalidErr x509.CertificateInvalidError
		recordErr  tls.RecordHeaderError
		dnsErr     *net.DNSError
		opErr      *net.OpError
	)
	unavailable := func(reason string, retry bool) *SendError {
		return &SendError{Code: connect.CodeUnavailable, Reason: reason, retry: retry}
	}
	for _, setting := range []error{errProxySetting, errProxyCGI, errCertFile} {
		if errors.Is(err, setting) {
			return &SendError{Code: connect.CodeUnknown, Reason: setting.Error()}
		}
	}
	switch {
	case strings.Contains(err.Error(), "server response headers exceeded"):
		// net/http's only report of MaxResponseHeaderBytes is this text.
		return &SendError{Code: connect.CodeResourceExhausted, Reason: "response too large"}
	case errors.As(err, &verifyErr), errors.As(err, &authErr), errors.As(err, &hostErr), errors.As(err, &invalidErr):
		return &SendError{Code: connect.CodeUnknown, Reason: "tls certificate not trusted"}
	case errors.As(err, &recordErr), errors.Is(err, http.ErrSchemeMismatch),
		errors.As(err, &opErr) && (opErr.Op == "remote error" || opErr.Op == "local error"):
		return &SendError{Code: connect.CodeUnknown, Reason: "tls handshake failed"}
	case errors.As(err, &opErr) && opErr.Op == "proxyconnect":
		return unavailable("proxy connection failed", true)
	case errors.As(err, &dnsErr):
		return unavailable("dns lookup failed", !dnsErr.IsNotFound)
	case errors.Is(err, syscall.ECONNREFUSED):
		return unavailable("connection refused", true)
	case errors.Is(err, syscall.ECONNRESET):
		return unavailable("connection reset", true)
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		return unavailable("network unreachable", true)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return unavailable("connection closed without an answer", true)
	}
	if code != connect.CodeUnavailable {
		return &SendError{Code: code, Reason: "request failed"}
	}
	return unavailable("connection failed", true)
}

func isNetworkError(err error) bool {
	var opErr *net.OpError
	return errors.As(err, &opErr) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET)
}
