// Command childdelay measures how long tbot waits to start: the time from
// launching a command to the moment its child's main starts, for the child
// run directly and through `tbot-telemetry exec` with telemetry off and on,
// alternating the three in one run so that they share the machine's load.
// The child is bench/stampchild, given `start -c FILE` as tbot would be; it
// prints the wall clock as its main starts.
//
//	childdelay -bin BIN -child CHILD -config FILE -endpoint URL [-runs N]
//
// It prints a Markdown table (median, mean, 90th percentile) and the
// figures of issue 14's targets: telemetry on within 0.3 ms of off, and
// exec's own delay (through exec, less the child run directly) at most 2x
// the child's own start.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"time"
)

func main() {
	bin := flag.String("bin", "bin/tbot-telemetry", "the tbot-telemetry binary")
	child := flag.String("child", "", "the stamping child (bench/stampchild)")
	config := flag.String("config", "", "tbot's configuration file, for start -c")
	endpoint := flag.String("endpoint", "", "where exec sends with telemetry on")
	runs := flag.Int("runs", 200, "runs of each")
	warmup := flag.Int("warmup", 20, "unmeasured runs of each first")
	flag.Parse()
	if *child == "" || *config == "" || *endpoint == "" {
		fmt.Fprintln(os.Stderr, "childdelay: -child, -config and -endpoint are needed")
		os.Exit(2)
	}
	base := []string{"PATH=" + os.Getenv("PATH")}
	tbotArgs := []string{"start", "-c", *config}
	kinds := []struct {
		name string
		env  []string
		argv []string
	}{
		{"child run directly", base, append([]string{*child}, tbotArgs...)},
		{"exec, telemetry off", base, append([]string{*bin, "exec", "--", *child}, tbotArgs...)},
		{"exec, telemetry on", append(slices.Clone(base), "TELEPORT_ANONYMOUS_TELEMETRY=1",
			"TELEPORT_ANONYMOUS_TELEMETRY_ADDRESS="+*endpoint), append([]string{*bin, "exec", "--", *child}, tbotArgs...)},
	}
	delays := make([][]time.Duration, len(kinds))
	for i := range *warmup + *runs {
		for k, kind := range kinds {
			d, err := delay(kind.env, kind.argv)
			if err != nil {
				fmt.Fprintf(os.Stderr, "childdelay: %s: %v\n", kind.name, err)
				os.Exit(1)
			}
			if i >= *warmup {
				delays[k] = append(delays[k], d)
			}
		}
	}
	// Run by run, on less off: the two ran side by side, so a change of
	// the machine's load between rounds cancels out.
	paired := make([]time.Duration, *runs)
	for i := range paired {
		paired[i] = delays[2][i] - delays[1][i]
	}
	slices.Sort(paired)
	fmt.Printf("| launch to the child's main (%d runs each, alternating) | median | mean | p90 |\n|---|---|---|---|\n", *runs)
	med := make([]time.Duration, len(kinds))
	for k, kind := range kinds {
		slices.Sort(delays[k])
		med[k] = delays[k][len(delays[k])/2]
		fmt.Printf("| %s | %s | %s | %s |\n", kind.name, ms(med[k]), ms(mean(delays[k])), ms(delays[k][len(delays[k])*9/10]))
	}
	own, off, on := med[0], med[1]-med[0], med[2]-med[0]
	fmt.Printf("\nexec's own delay (median, less the child's own start): off %s, on %s; the child's own start %s\n", ms(off), ms(on), ms(own))
	fmt.Printf("on - off: medians %s, median of the paired differences %s (target <= 0.300 ms: %s)\n",
		ms(med[2]-med[1]), ms(paired[len(paired)/2]), met(med[2]-med[1] <= 300*time.Microsecond))
	fmt.Printf("exec's own delay / the child's own start: off %.2fx, on %.2fx (target <= 2x: %s, %s)\n",
		float64(off)/float64(own), float64(on)/float64(own), met(off <= 2*own), met(on <= 2*own))
}

// delay runs argv with env to its end and returns the time from just before
// its start to the wall clock that the child printed first.
func delay(env, argv []string) (time.Duration, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	launched := time.Now()
	out, err := cmd.Output()
	if err != nil {
		return 0, fmt.Errorf("%w; stderr: %s", err, stderr.Bytes())
	}
	first, _, _ := bytes.Cut(out, []byte("\n"))
	started, err := strconv.ParseInt(string(first), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("read the child's clock from %q: %w", out, err)
	}
	return time.Unix(0, started).Sub(launched), nil
}

func mean(ds []time.Duration) time.Duration {
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return sum / time.Duration(len(ds))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.3f ms", float64(d)/1e6) }

func met(ok bool) string {
	if ok {
		return "met"
	}
	return "not met"
}
