package report

import (
	"errors"
	"io"
	"net/http"
	"sync"
)

// MaxResponseBytes bounds what is read of an answer and of its headers: a
// success is an empty message and a Connect error a short JSON object.
const MaxResponseBytes = 64 << 10

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
