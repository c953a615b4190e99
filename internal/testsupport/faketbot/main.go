// Command faketbot stands in for tbot in tests where what matters is how a
// Go program reads its environment: os.Getenv takes the first entry of a
// name given twice, as tbot (a Go program) does, where a shell takes the
// last. testsupport.BuildFakeTbot builds it as `tbot`.
//
//   - `tbot version` prints what a real tbot prints, for the version in
//     FAKE_TBOT_VERSION (17.4.2 when unset).
//   - Any other command writes what it sees to the file FAKE_TBOT_RECORD
//     names, as JSON (Record), prints "ready" on stdout, and runs until
//     SIGTERM or SIGINT, then exits 0: a daemon, as under systemd.
//   - `tbot -launch TRIGGER PROGRAM ARGS...` is the forking process before
//     the exec: it waits until it can read a line from the file TRIGGER
//     (a FIFO), then execs PROGRAM with ARGS and its own environment, as
//     the kernel handed it over, every entry kept.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// Record is what the stand-in writes at a start; testsupport.ReadRecord
// reads it back.
type Record struct {
	Args []string `json:"args"`
	// Getenv is what os.Getenv returned for each of the variables tests
	// look at ("" for unset).
	Getenv map[string]string `json:"getenv"`
	// Dir is its working directory.
	Dir string `json:"dir"`
}

// watched are the variables whose value the record holds.
var watched = []string{"TELEPORT_ANONYMOUS_TELEMETRY", "TBOT_CONFIG_PATH", "TBOT_CONFIG", "_TBOT_TELEMETRY_HELPER", "DO_NOT_TRACK"}

func main() {
	if len(os.Args) >= 4 && os.Args[1] == "-launch" {
		launch(os.Args[2], os.Args[3], os.Args[4:])
	}
	// Before any os.Getenv: Go's first lookup drops the later entries of a
	// repeated name from what os.Environ returns.
	if len(os.Args) >= 2 && os.Args[1] == "version" {
		v := os.Getenv("FAKE_TBOT_VERSION")
		if v == "" {
			v = "17.4.2"
		}
		fmt.Printf("Teleport v%s git:v%s-0-g0 go1.26\n", v, v)
		return
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	rec := Record{Args: os.Args[1:], Getenv: map[string]string{}}
	for _, k := range watched {
		rec.Getenv[k] = os.Getenv(k)
	}
	rec.Dir, _ = os.Getwd()
	data, _ := json.Marshal(rec)
	if path := os.Getenv("FAKE_TBOT_RECORD"); path != "" {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "faketbot:", err)
			os.Exit(3)
		}
	}
	fmt.Println("ready")
	<-stop
}

// launch waits for a line on trigger, then execs program with args and the
// environment this process was started with, read from /proc/self/environ
// (os.Environ may have dropped repeated names).
func launch(trigger, program string, args []string) {
	f, err := os.Open(trigger)
	if err == nil {
		_, err = bufio.NewReader(f).ReadString('\n')
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "faketbot -launch:", err)
		os.Exit(3)
	}
	raw, err := os.ReadFile("/proc/self/environ")
	if err != nil {
		fmt.Fprintln(os.Stderr, "faketbot -launch:", err)
		os.Exit(3)
	}
	var env []string
	for _, kv := range bytes.Split(bytes.TrimSuffix(raw, []byte{0}), []byte{0}) {
		if len(kv) > 0 {
			env = append(env, string(kv))
		}
	}
	err = syscall.Exec(program, append([]string{program}, args...), env)
	fmt.Fprintln(os.Stderr, "faketbot -launch:", err)
	os.Exit(3)
}
