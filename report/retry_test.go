package report

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
)

// The waits between attempts, written out: 100 ms, doubling, up to 1 s.
func TestBackoffSchedule(t *testing.T) {
	want := []time.Duration{100, 200, 400, 800, 1000, 1000, 1000}
	for n, w := range want {
		if got := backoffBefore(n + 1); got != w*time.Millisecond {
			t.Errorf("before retry %d: %v, want %v", n+1, got, w*time.Millisecond)
		}
	}
	if got := backoffBefore(1000); got != time.Second {
		t.Errorf("before retry 1000: %v, want 1s", got)
	}
}

// Jitter draws from half the backoff to all of it, and does spread.
func TestJitter(t *testing.T) {
	for _, d := range []time.Duration{100 * time.Millisecond, time.Second} {
		low, high := d, time.Duration(0)
		for range 2000 {
			j := jitter(d)
			if j < d/2 || j > d {
				t.Fatalf("jitter(%v) = %v, outside [%v, %v]", d, j, d/2, d)
			}
			low, high = min(low, j), max(high, j)
		}
		// 2000 uniform draws all in one tenth of the range: about 0.9^2000.
		if low > d/2+d/10 || high < d-d/10 {
			t.Errorf("jitter(%v) drew only from %v to %v", d, low, high)
		}
	}
}

// A retry starts only when, after its wait, at least 100 ms are left for
// it: one that starts later can only end in deadline_exceeded, hiding the
// answer that made it retry.
func TestRoomFor(t *testing.T) {
	now := time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)
	end := now.Add(time.Second)
	for _, tt := range []struct {
		wait time.Duration
		want bool
	}{
		{0, true},
		{899 * time.Millisecond, true},
		{900 * time.Millisecond, false}, // 100 ms left: not more than the least an attempt needs
		{950 * time.Millisecond, false},
		{2 * time.Second, false},
	} {
		if got := roomFor(now, end, true, tt.wait); got != tt.want {
			t.Errorf("1s left, wait %v: room %v, want %v", tt.wait, got, tt.want)
		}
	}
	if !roomFor(now, time.Time{}, false, time.Hour) {
		t.Error("without a deadline there is always room")
	}
}

// Against a service that is always unavailable, Send retries with its
// backoff and gives up in time with the service's own answer: within 1.5 s,
// at most six attempts (with every wait at its shortest: 0, 50, 150, 350,
// 750 and 1250 ms), each at least half its backoff after the one before.
func TestSendBacksOffWithinTheDeadline(t *testing.T) {
	t.Parallel() // 1.5 s of waiting, beside the other tests
	var (
		mu       sync.Mutex
		arrivals []time.Time
	)
	srv := testsupport.StartServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrivals = append(arrivals, time.Now())
		mu.Unlock()
		http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
	}))
	res := send(t, srv.URL, nil, 1500*time.Millisecond)
	// The last attempt had time to hear the answer: that is the cause
	// reported, never the deadline.
	wantError(t, res.err, "unavailable: http status 503")

	mu.Lock()
	defer mu.Unlock()
	if n := len(arrivals); n < 2 || n > 6 {
		t.Errorf("%d attempts in 1.5 s, want 2 to 6 (4 or 5 on an idle machine)", n)
	}
	for i := 1; i < len(arrivals); i++ {
		least := []time.Duration{50, 100, 200, 400, 500}[min(i-1, 4)] * time.Millisecond
		if gap := arrivals[i].Sub(arrivals[i-1]); gap < least {
			t.Errorf("attempt %d came %v after the one before, want at least %v", i+1, gap, least)
		}
	}
}

// With no deadline of the caller's, Send gives itself 3 s (README.md), and
// the deadline travels with the call.
func TestSendDefaultDeadline(t *testing.T) {
	svc := testsupport.StartService(t)
	err := Send(context.Background(), SendOptions{Endpoint: svc.URL, Client: newHTTPClient(nil, (&netGuard{}).dial)}, testsupport.Event())
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	ms, err := strconv.Atoi(svc.Requests()[0].Header.Get("Connect-Timeout-Ms"))
	if err != nil || ms > 3000 || ms < 2000 {
		t.Errorf("Connect-Timeout-Ms %d (%v), want the 3 s default less the time to get there", ms, err)
	}

	// A deadline of the caller's is kept, even a longer one.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	svc.Reset()
	if err := Send(ctx, SendOptions{Endpoint: svc.URL, Client: newHTTPClient(nil, (&netGuard{}).dial)}, testsupport.Event()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if ms, _ := strconv.Atoi(svc.Requests()[0].Header.Get("Connect-Timeout-Ms")); ms <= 3000 {
		t.Errorf("Connect-Timeout-Ms %d, want the caller's 10 s", ms)
	}
}
