// Command maxrss runs a command and writes its peak resident set size, in
// bytes, to the file named by its first argument, then exits with the
// command's status. Tests use it as a small middle process: a child's
// ru_maxrss also counts the memory it shared with its parent before exec
// (Go starts children with vfork), so measuring from a large test process
// would report the test's own peak.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: maxrss OUTFILE COMMAND [ARGS...]")
		os.Exit(125)
	}
	cmd := exec.Command(os.Args[2], os.Args[3:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	if cmd.ProcessState == nil {
		fmt.Fprintln(os.Stderr, "maxrss:", err)
		os.Exit(125)
	}
	rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss * 1024
	if err := os.WriteFile(os.Args[1], []byte(fmt.Sprint(rss)), 0o666); err != nil {
		fmt.Fprintln(os.Stderr, "maxrss:", err)
		os.Exit(125)
	}
	os.Exit(cmd.ProcessState.ExitCode())
}
