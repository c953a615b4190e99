package testsupport

import (
	"os/signal"
	"syscall"
	"testing"
)

// SkipIfInheritedIgnored skips a test that needs sig delivered when this
// process was started with sig ignored, as `nohup make test` starts it with
// SIGHUP. Such a signal stays ignored for every process the test starts
// (supervise.Catch leaves it so on purpose, and a shell cannot trap a
// signal it was started with ignored), so no child can ever see it;
// TestExecKeepsAnIgnoredSIGHUPIgnored checks that side instead.
func SkipIfInheritedIgnored(t testing.TB, sig syscall.Signal) {
	t.Helper()
	// The Go runtime keeps SIGHUP and SIGINT ignored when they were ignored
	// at start, and signal.Ignored reports exactly that.
	if signal.Ignored(sig) {
		t.Skipf("%v was ignored when this test process started (nohup?); no child can receive it", sig)
	}
}
