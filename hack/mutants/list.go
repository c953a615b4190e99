package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// mutant is one hand-written change that a real bug would make: a find and
// replace on one source file, which the owning package's own tests must
// catch.
type mutant struct {
	// List is the list file it comes from, Line where its block starts.
	List string
	Line int
	// Name says what the bug is, as a reviewer would: "status 1 mirrored
	// as success".
	Name string
	// File is the file to change, from the repository's root.
	File string
	// Find occurs exactly once in File; Replace is what it becomes.
	Find, Replace string
	// Package is the package whose own tests must catch it: the file's
	// directory unless the list says otherwise.
	Package string
	// Run, when set, is a -run pattern that keeps a slow package's run to
	// the tests that concern the mutant.
	Run string
	// WhySurvives explains a mutant that the owning package's tests are
	// known not to catch; a survivor without it is a gap to close.
	WhySurvives string
}

// fields of a block, in the order README.md gives them.
var fields = []string{"mutant", "file", "find", "replace", "package", "run", "why-survives"}

// readLists reads every list file in dir (*.txt) or, when names are
// given, those lists only (a name is a file name without .txt).
func readLists(dir string, names []string) ([]mutant, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		return nil, err
	}
	var all []mutant
	found := map[string]bool{}
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".txt")
		if len(names) > 0 && !slices.Contains(names, name) {
			continue
		}
		found[name] = true
		ms, err := readList(p)
		if err != nil {
			return nil, err
		}
		all = append(all, ms...)
	}
	for _, n := range names {
		if !found[n] {
			return nil, fmt.Errorf("no mutant list %s.txt in %s", n, dir)
		}
	}
	return all, nil
}

// readList parses one list: blocks of "field: value" lines separated by
// blank lines; lines starting with # are comments. In find and replace,
// \n stands for a newline, \t for a tab and \\ for a backslash.
func readList(path string) ([]mutant, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var (
		out   []mutant
		block map[string]string
		start int
	)
	flush := func() error {
		if block == nil {
			return nil
		}
		m, err := fromBlock(block)
		if err != nil {
			return fmt.Errorf("%s:%d: %w", path, start, err)
		}
		m.List, m.Line = filepath.Base(path), start
		out = append(out, m)
		block = nil
		return nil
	}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#"):
		case strings.TrimSpace(line) == "":
			if err := flush(); err != nil {
				return nil, err
			}
		default:
			key, value, ok := strings.Cut(line, ":")
			if !ok || !slices.Contains(fields, key) {
				return nil, fmt.Errorf("%s:%d: want one of %s, then a colon", path, n, strings.Join(fields, ", "))
			}
			if block == nil {
				block, start = map[string]string{}, n
			}
			if _, dup := block[key]; dup {
				return nil, fmt.Errorf("%s:%d: %s twice in one mutant", path, n, key)
			}
			block[key] = strings.TrimPrefix(value, " ")
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}

// fromBlock checks a block's fields and makes the mutant.
func fromBlock(b map[string]string) (mutant, error) {
	for _, k := range []string{"mutant", "file", "find", "replace"} {
		// replace may be empty: the mutant deletes what it finds.
		if v, ok := b[k]; !ok || (v == "" && k != "replace") {
			return mutant{}, fmt.Errorf("a mutant needs %s", k)
		}
	}
	m := mutant{
		Name: b["mutant"], File: b["file"], Find: unescape(b["find"]), Replace: unescape(b["replace"]),
		Package: b["package"], Run: b["run"], WhySurvives: b["why-survives"],
	}
	if m.Find == m.Replace {
		return mutant{}, errors.New("replace is the same as find")
	}
	if m.Package == "" {
		m.Package = "./" + filepath.Dir(m.File)
	}
	return m, nil
}

// unescape turns \n, \t and \\ into what they stand for.
func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			switch s[i+1] {
			case 'n':
				b.WriteByte('\n')
				i++
				continue
			case 't':
				b.WriteByte('\t')
				i++
				continue
			case '\\':
				b.WriteByte('\\')
				i++
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
