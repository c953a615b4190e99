// Command alternate times whole commands side by side, one run of each in
// turn, so that a shared machine's load falls on all of them alike
// (hyperfine runs one command's runs, then the next's). Each command runs
// directly, without a shell, in this process's environment, and must exit 0.
//
//	alternate [-runs N] [-warmup N] LABEL CMD [ARGS...] [--- LABEL CMD [ARGS...]]...
//
// It prints a Markdown table: median, mean and 90th percentile of the wall
// time, the largest peak RSS (the kernel's ru_maxrss, as GNU time's %M),
// and each median and mean as a ratio to the first command's.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"time"
)

type command struct {
	label string
	argv  []string
	times []time.Duration
	rss   int64 // KiB
}

func main() {
	runs := flag.Int("runs", 200, "measured runs of each command")
	warmup := flag.Int("warmup", 20, "unmeasured runs of each command first")
	flag.Parse()
	var cmds []*command
	for rest := flag.Args(); len(rest) > 0; {
		end := slices.Index(rest, "---")
		if end < 0 {
			end = len(rest)
		}
		if end < 2 {
			fmt.Fprintln(os.Stderr, "alternate: each command needs a label and a program")
			os.Exit(2)
		}
		cmds = append(cmds, &command{label: rest[0], argv: rest[1:end]})
		rest = rest[min(end+1, len(rest)):]
	}
	if len(cmds) == 0 {
		fmt.Fprintln(os.Stderr, "alternate: no command given")
		os.Exit(2)
	}
	for i := range *warmup + *runs {
		for _, c := range cmds {
			d, rss, err := runOnce(c.argv)
			if err != nil {
				fmt.Fprintf(os.Stderr, "alternate: %s: %v\n", c.label, err)
				os.Exit(1)
			}
			if i >= *warmup {
				c.times = append(c.times, d)
				c.rss = max(c.rss, rss)
			}
		}
	}
	fmt.Printf("| command (%d runs each, alternating) | median | mean | p90 | peak RSS | median ratio | mean ratio |\n|---|---|---|---|---|---|---|\n", *runs)
	ref := cmds[0]
	slices.Sort(ref.times)
	for _, c := range cmds {
		slices.Sort(c.times)
		fmt.Printf("| %s | %s | %s | %s | %d KiB | %.2fx | %.2fx |\n", c.label, ms(median(c.times)), ms(mean(c.times)),
			ms(c.times[len(c.times)*9/10]), c.rss, float64(median(c.times))/float64(median(ref.times)),
			float64(mean(c.times))/float64(mean(ref.times)))
	}
}

// runOnce runs argv to its end, its output discarded, and returns its wall
// time and peak RSS in KiB.
func runOnce(argv []string) (time.Duration, int64, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	start := time.Now()
	err := cmd.Run()
	elapsed := time.Since(start)
	if err != nil {
		return 0, 0, fmt.Errorf("run %s: %w", argv[0], err)
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss
	}
	return elapsed, rss, nil
}

func median(ds []time.Duration) time.Duration { return ds[len(ds)/2] }

func mean(ds []time.Duration) time.Duration {
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return sum / time.Duration(len(ds))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }
