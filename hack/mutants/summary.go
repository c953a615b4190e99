package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// tally is one package's count.
type tally struct {
	Package                 string
	Caught, Survived, Total int
}

// summary is a whole run.
type summary struct {
	results  []result
	packages []tally
	total    tally
}

func summarize(res []result) summary {
	s := summary{results: res, total: tally{Package: "all"}}
	byPackage := map[string]*tally{}
	for _, r := range res {
		t := byPackage[r.Package]
		if t == nil {
			t = &tally{Package: r.Package}
			byPackage[r.Package] = t
		}
		for _, t := range []*tally{t, &s.total} {
			switch r.Outcome {
			case caught:
				t.Caught++
				t.Total++
			case survived:
				t.Survived++
				t.Total++
			}
		}
	}
	for _, t := range byPackage {
		s.packages = append(s.packages, *t)
	}
	slices.SortFunc(s.packages, func(a, b tally) int { return strings.Compare(a.Package, b.Package) })
	return s
}

// percent is rounded down, so that 100% means none survived (419 of 421
// would round up to 100%).
func percent(t tally) string {
	if t.Total == 0 {
		return "-"
	}
	return strconv.Itoa(100*t.Caught/t.Total) + "%"
}

// print writes the per-package counts and every mutant that needs a look.
func (s summary) print(w io.Writer) {
	fmt.Fprintln(w)
	for _, t := range append(slices.Clone(s.packages), s.total) {
		fmt.Fprintf(w, "%-50s caught %3d of %3d  %s\n", t.Package, t.Caught, t.Total, percent(t))
	}
	for _, r := range s.results {
		switch {
		case r.Outcome == survived && r.WhySurvives == "":
			fmt.Fprintf(w, "SURVIVED, unexplained: %s (%s:%d)\n", r.Name, r.List, r.Line)
		case r.Outcome == caught && r.WhySurvives != "":
			fmt.Fprintf(w, "caught now, drop its why-survives: %s (%s:%d)\n", r.Name, r.List, r.Line)
		case r.Outcome == stale || r.Outcome == broken:
			fmt.Fprintf(w, "%s: %s (%s:%d): %s\n", strings.ToUpper(string(r.Outcome)), r.Name, r.List, r.Line, r.Detail)
		}
	}
}

// verdict fails the run for a list that needs mending (stale or broken
// mutants) and for a survivor nobody explained.
func (s summary) verdict() error {
	var problems []string
	for _, r := range s.results {
		switch {
		case r.Outcome == stale || r.Outcome == broken:
			problems = append(problems, fmt.Sprintf("%s mutant %q (%s:%d)", r.Outcome, r.Name, r.List, r.Line))
		case r.Outcome == survived && r.WhySurvives == "":
			problems = append(problems, fmt.Sprintf("unexplained survivor %q (%s:%d)", r.Name, r.List, r.Line))
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// markdown is the results page (hack/mutants/RESULTS.md).
func (s summary) markdown(command string, took time.Duration) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Mutation check: last results\n\n")
	fmt.Fprintf(&b, "Written by `%s` (`make mutants`) on %s with %s, %s, in %s. ",
		strings.TrimSpace(command), time.Now().UTC().Format("2006-01-02"), runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH, took.Round(time.Second))
	b.WriteString("Each mutant is caught only by the tests of the package that owns the file (a -run pattern, where given, keeps a slow package to the tests that concern it). How it works and how to add mutants: [README.md](README.md).\n\n")
	b.WriteString("| package | caught | of | |\n|---|---|---|---|\n")
	for _, t := range append(slices.Clone(s.packages), s.total) {
		fmt.Fprintf(&b, "| `%s` | %d | %d | %s |\n", t.Package, t.Caught, t.Total, percent(t))
	}
	b.WriteString("\n## Survivors\n\n")
	none := true
	for _, r := range s.results {
		if r.Outcome != caught {
			none = false
			why := r.WhySurvives
			if why == "" {
				why = "**unexplained**"
			}
			fmt.Fprintf(&b, "- %s: %s (`%s`, %s:%d). %s\n", r.Outcome, r.Name, r.File, r.List, r.Line, why)
		}
	}
	if none {
		b.WriteString("None.\n")
	}
	b.WriteString("\n## Every mutant\n\n| package | mutant | outcome | first failing test |\n|---|---|---|---|\n")
	for _, r := range s.results {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", r.Package, strings.ReplaceAll(r.Name, "|", "\\|"), r.Outcome, r.By)
	}
	return b.Bytes()
}
