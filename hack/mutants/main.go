// Command mutants is this repository's mutation check, run on demand with
// `make mutants` (it is too slow for CI). It applies each hand-written
// mutant of hack/mutants/lists (a find and replace on one source file, the
// change a real bug would make), runs the tests of the package that owns
// the file, and counts the mutant caught when they fail. The work tree is
// never touched: each mutant is a build overlay. See README.md beside it.
//
//	go run ./hack/mutants [-j N] [-timeout D] [-results FILE] [LIST...]
//	go run ./hack/mutants -check [LIST...]
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	jobs := flag.Int("j", 1, "mutants tested at once")
	timeout := flag.Duration("timeout", 10*time.Minute, "bound on one package's tests under one mutant")
	results := flag.String("results", "", "also write the results as Markdown to this file")
	lists := flag.String("lists", "hack/mutants/lists", "the directory of the mutant lists")
	check := flag.Bool("check", false, "only check that every mutant applies (its find occurs once); run no tests")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: go run ./hack/mutants [-j N] [-timeout D] [-results FILE] [LIST...]")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *check {
		if err := checkLists(*lists, flag.Args()); err != nil {
			fmt.Fprintln(os.Stderr, "mutants:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*lists, flag.Args(), *jobs, *timeout, *results); err != nil {
		fmt.Fprintln(os.Stderr, "mutants:", err)
		os.Exit(1)
	}
}

func run(lists string, names []string, jobs int, timeout time.Duration, resultsFile string) error {
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	ms, err := readLists(filepath.Join(root, lists), names)
	if err != nil {
		return err
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "mutants-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	r := &runner{root: root, work: work, goCmd: goCmd, timeout: timeout}
	started := time.Now()
	if err := r.baseline(ms); err != nil {
		return err
	}
	res, err := r.all(ms, max(jobs, 1))
	if err != nil {
		return err
	}
	sum := summarize(res)
	sum.print(os.Stdout)
	if resultsFile != "" {
		command := "go run ./hack/mutants " + strings.Join(os.Args[1:], " ")
		if err := os.WriteFile(resultsFile, sum.markdown(command, time.Since(started)), 0o644); err != nil {
			return err
		}
	}
	return sum.verdict()
}

// checkLists applies every mutant without running any test, and fails when
// one is stale.
func checkLists(lists string, names []string) error {
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	ms, err := readLists(filepath.Join(root, lists), names)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "mutants-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	r := &runner{root: root, work: work}
	var problems []string
	for i, m := range ms {
		_, why, err := r.apply(m, filepath.Join(work, strconv.Itoa(i)))
		if err != nil {
			return err
		}
		if why != "" {
			problems = append(problems, fmt.Sprintf("%s:%d %q: %s", m.List, m.Line, m.Name, why))
		}
	}
	if len(problems) > 0 {
		return errors.New("stale mutants:\n" + strings.Join(problems, "\n"))
	}
	fmt.Printf("%d mutants apply\n", len(ms))
	return nil
}

// baseline runs each package's tests, as the mutants will run them, on the
// code as it is: a test that fails already would count every mutant
// caught.
func (r *runner) baseline(ms []mutant) error {
	type key struct{ pkg, run string }
	var keys []key
	for _, m := range ms {
		if k := (key{m.Package, m.Run}); !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		fmt.Printf("baseline %s %s\n", k.pkg, k.run)
		tr, err := r.goTest(k.pkg, k.run, "")
		if err != nil {
			return err
		}
		if tr.failed {
			return fmt.Errorf("the tests of %s (-run %q) fail without any mutant:\n%s", k.pkg, k.run, tr.output)
		}
	}
	return nil
}

// all runs every mutant, jobs at once, printing each outcome as it comes.
func (r *runner) all(ms []mutant, jobs int) ([]result, error) {
	res := make([]result, len(ms))
	errs := make([]error, len(ms))
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for range jobs {
		wg.Go(func() {
			for i := range next {
				res[i], errs[i] = r.one(i, ms[i])
				mu.Lock()
				fmt.Printf("%-8s %-40s %s %s %s\n", res[i].Outcome, res[i].Package, res[i].Name, res[i].By, res[i].Took.Round(100*time.Millisecond))
				mu.Unlock()
			}
		})
	}
	for i := range ms {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return res, nil
}
