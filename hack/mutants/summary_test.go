package main

import "testing"

// A share is rounded down: a run with a survivor never reads 100%.
func TestPercentRoundsDown(t *testing.T) {
	for _, tt := range []struct {
		caught, total int
		want          string
	}{
		{419, 421, "99%"},
		{5, 6, "83%"},
		{6, 6, "100%"},
		{0, 3, "0%"},
		{0, 0, "-"},
	} {
		if got := percent(tally{Caught: tt.caught, Total: tt.total}); got != tt.want {
			t.Errorf("percent(%d of %d) = %q, want %q", tt.caught, tt.total, got, tt.want)
		}
	}
}
