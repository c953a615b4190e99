package report

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"connectrpc.com/connect"

	"github.com/tbot-telemetry/tbot-telemetry/config"
	prehogv1alpha "github.com/tbot-telemetry/tbot-telemetry/gen/prehog/v1alpha"
	"github.com/tbot-telemetry/tbot-telemetry/gen/prehog/v1alpha/prehogv1alphaconnect"
)

// MaxResponseBytes bounds what is read of an answer and of its headers: a
// success is an empty message and a Connect error a short JSON object.
const MaxResponseBytes = 64 << 10

// DefaultTimeout is the deadline Send applies when its context has none, so
// that retries always end.
const DefaultTimeout = 3 * time.Second

const (
	initialBackoff = 100 * time.Millisecond
	maxBackoff     = time.Second
	// minAttemptBudget is the least time a retry must have left; one that
	// starts with less can only end in deadline_exceeded and hide the error
	// that caused it.
	minAttemptBudget = 100 * time.Millisecond
	// maxServerMessage bounds what a server's error message adds to the one
	// warning line.
	maxServerMessage = 80
)

// SendOptions say where and how an event goes.
type SendOptions struct {
	// Endpoint is the base URL of the reporting service (see Endpoint).
	Endpoint string
	// Client sends the request; nil means NewHTTPClient(Env).
	Client *http.Client
	// Env is the environment the client reads its proxy and certificate
	// settings from, when Client is nil.
	Env config.Env
	// Logger gets the debug lines and the plain-http warning; nil discards
	// them.
	Logger *slog.Logger
}

// SendError is why an event was not sent: a Connect code and a short phrase
// that is safe to log. It deliberately does not wrap the error it stands
// for: transport errors embed the URL, which may carry credentials, and a
// server's own words are kept only after sanitizing.
type SendError struct {
	Code   connect.Code
	Reason string
	retry  bool
}

func (e *SendError) Error() string { return e.Code.String() + ": " + e.Reason }

// Send posts the event to the endpoint over Connect (binary proto, as tbot
// sends it). ctx carries the one deadline, which covers DNS, connecting, TLS,
// the call and its retries: an unavailable service is asked again, with
// jittered exponential backoff and the very same event, while the deadline
// leaves room for another attempt. Any error it returns is a *SendError.
func Send(ctx context.Context, opts SendOptions, req *prehogv1alpha.SubmitTbotEventRequest) error {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if req == nil {
		return &SendError{Code: connect.CodeInvalidArgument, Reason: "no event to send"}
	}
	endpoint, err := parseEndpoint(opts.Endpoint)
	if err != nil {
		return err
	}
	// The endpoint is named by its scheme and whether it is loopback only:
	// its host, path and userinfo stay out of the logs.
	loopback := isLoopbackHost(endpoint.Hostname())
	if endpoint.Scheme == "http" && !loopback {
		log.Warn("Sending anonymous telemetry over plain http to a host that is not loopback; anyone on the way can read it.",
			"scheme", endpoint.Scheme, "loopback", loopback)
	}
	log.Debug("Sending anonymous telemetry.", "scheme", endpoint.Scheme, "loopback", loopback)

	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
	}
	client := opts.Client
	if client == nil {
		if client, err = NewHTTPClient(opts.Env); err != nil {
			return &SendError{Code: connect.CodeUnknown, Reason: "http client could not be set up"}
		}
	}
	svc := prehogv1alphaconnect.NewTbotReportingServiceClient(boundedDoer{client}, opts.Endpoint,
		connect.WithReadMaxBytes(MaxResponseBytes))
	secrets := endpointSecrets(endpoint)

	started := time.Now()
	backoff := initialBackoff
	for tries := 1; ; tries++ {
		sendErr := submit(ctx, svc, req, secrets)
		if sendErr == nil {
			log.Debug("Successfully transmitted anonymous telemetry", "distinct_id", req.GetDistinctId(), "duration", time.Since(started))
			return nil
		}
		wait := jitter(backoff)
		if !sendErr.retry || !roomFor(ctx, wait) {
			return sendErr
		}
		log.Debug("Anonymous telemetry not accepted yet; trying again.", "attempt", tries, "error", sendErr.Error(), "wait", wait)
		if !sleep(ctx, wait) {
			return sendErr
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

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

func submit(ctx context.Context, svc prehogv1alphaconnect.TbotReportingServiceClient,
	req *prehogv1alpha.SubmitTbotEventRequest, secrets []string) *SendError {
	a := &attempt{}
	_, err := svc.SubmitTbotEvent(context.WithValue(ctx, attemptKey{}, a), connect.NewRequest(req))
	if err == nil {
		return nil
	}
	return classify(err, a, secrets)
}

// jitter spreads retries of many bots restarting at once: half the backoff,
// plus up to as much again.
func jitter(d time.Duration) time.Duration {
	return d/2 + rand.N(d/2+1)
}

// roomFor says whether the deadline leaves time to wait and then attempt.
func roomFor(ctx context.Context, wait time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return !ok || time.Until(deadline) > wait+minAttemptBudget
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// attempt is what one HTTP exchange showed, for classify: Connect's own
// errors do not carry the HTTP status.
type attempt struct {
	mu       sync.Mutex
	status   int
	tooLarge bool
}

type attemptKey struct{}

func (a *attempt) answered(status int) {
	if a == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.status = status
}

func (a *attempt) overflowed() {
	if a == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.tooLarge = true
}

func (a *attempt) result() (status int, tooLarge bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.status, a.tooLarge
}

// boundedDoer records each answer's status and cuts its body off. Connect
// stops reading at its own limit but then drains the rest to reuse the
// connection, which an endless body would make last until the deadline.
type boundedDoer struct{ client *http.Client }

var errResponseTooLarge = errors.New("response too large")

func (d boundedDoer) Do(r *http.Request) (*http.Response, error) {
	resp, err := d.client.Do(r)
	if err != nil {
		return nil, err
	}
	a, _ := r.Context().Value(attemptKey{}).(*attempt)
	a.answered(resp.StatusCode)
	resp.Body = &boundedBody{ReadCloser: resp.Body, left: 2 * MaxResponseBytes, attempt: a}
	return resp, nil
}

type boundedBody struct {
	io.ReadCloser
	left    int64
	attempt *attempt
}

func (b *boundedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		b.attempt.overflowed()
		return 0, errResponseTooLarge
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}

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
