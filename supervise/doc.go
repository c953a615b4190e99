// Package supervise runs a program as a child the way a wrapper that stands
// in front of it must: the child gets the wrapper's own stdin, stdout and
// stderr (the same open files, not copies through pipes), the signals that
// are meant for it are relayed, its exit is mirrored as a shell would report
// it (128+N for death by signal N, 127 for a program that is not there, 126
// for one that cannot be executed), and, when the wrapper is PID 1 of a
// container, orphaned processes that the kernel re-parents to it are reaped
// so that they do not pile up as zombies.
//
// # Who waits for children
//
// Reaping orphans means calling wait4(-1), which collects any child that has
// ended, not only orphans. A process that also waits for its own children in
// the usual way (os.Process.Wait, os/exec) would then lose exit statuses to
// the reaper at random: the supervised program's exit code, or the version
// probe's. So a Supervisor has two modes, chosen once, and in each exactly
// one party waits for every child:
//
//   - Without reaping (the wrapper is not PID 1), each Process waits for its
//     own child with os.Process.Wait, and nothing ever calls wait4(-1).
//
//   - With reaping (PID 1), one goroutine owns all waiting. On every SIGCHLD it
//     calls wait4(-1, WNOHANG) until nothing more has ended, and hands each
//     status to the Process registered under that pid; a pid that nobody
//     registered is an orphan and its status is dropped. Start forks and
//     registers the new pid while holding the same lock the reaper holds for a
//     sweep, so a child that ends at once cannot be collected before it is
//     registered. Every child of the wrapper must then be started through the
//     Supervisor (Start or Output) and never waited for in any other way; that
//     is why the caller runs its version probe with Output rather than
//     os/exec.
//
// wait4 is called without __WALL, so it never collects the clone that the Go
// runtime makes once to learn whether pidfds work (that child has no exit
// signal and is waited for by the runtime itself); the reaper also triggers
// that check before it starts, so the two never meet.
//
// In reaping mode, Process.Signal takes the reaper's lock and signals only a
// pid that has not been collected yet, so a signal can never reach an
// unrelated process that reused the pid, even where pidfds are not available.
//
// # Signals
//
// Catch starts catching the signals to relay (SIGTERM, SIGINT, SIGHUP,
// SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH) before the child is started, so none
// that arrives in between is lost or takes its default action on the
// wrapper; those are queued and relayed once the child runs. SIGHUP or SIGINT
// that the wrapper was started with ignored (nohup, a background job of a
// shell) stays ignored, for the child too, instead of being caught and
// relayed; the Go runtime keeps no other signal ignored. The runtime's own
// SIGURG and SIGCHLD are never relayed. The child stays in the wrapper's
// process group, so that it keeps the terminal for job control; a signal
// sent to the whole group (Ctrl-C on a terminal, systemd's default
// KillMode) therefore reaches the child twice, once directly and once
// relayed, which programs that stop on the first one do not notice.
//
// # What it imports
//
// Only packages that the Go runtime initializes first (os, os/signal,
// syscall, strconv, time, context, errors, io, sync, slices): no fmt,
// strings or path/filepath. Go initializes packages in import-path order as
// soon as their imports are ready, so a package that needs one of those
// waits behind crypto, protobuf and the rest (what each costs was measured:
// cmd/tbot-telemetry/internal/beforemain/deps_test.go); exec's before-main
// path, which starts PROGRAM from an init function, relies on this package
// being ready before them (that test and one of cmd/tbot-telemetry check
// it).
package supervise

// Unix only: a build for another platform stops at package platform, with
// a message that says so.
import _ "github.com/tbot-telemetry/tbot-telemetry/internal/platform"
