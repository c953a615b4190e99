package environ

import (
	"encoding/json"
	"io"
	"os"
	"slices"
	"testing"
)

// childEnv, when set, makes the test binary the Go program that reports
// how Go itself reads its environment (see goReads).
const childEnv = "ENVIRON_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		report := goReport{Environ: os.Environ(), Values: map[string]*string{}}
		for _, key := range []string{"A", "B", "C", "EMPTY", "", "NOEQUALS"} {
			if v, ok := os.LookupEnv(key); ok {
				report.Values[key] = &v
			} else {
				report.Values[key] = nil
			}
		}
		json.NewEncoder(os.Stdout).Encode(report)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// goReport is what a Go program read of the environment it was given.
type goReport struct {
	Environ []string
	Values  map[string]*string // nil: not found
}

// goReads starts this test binary, a Go program as tbot is, with exactly
// list as its environment (plus the variable that makes it report), and
// returns what it read.
func goReads(t *testing.T, list []string) goReport {
	t.Helper()
	// os.StartProcess, not os/exec: os/exec drops repeated names itself
	// (keeping the last), so its child would never see the list as given.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	proc, err := os.StartProcess(os.Args[0], []string{os.Args[0], "-test.run=^$"}, &os.ProcAttr{
		// GORACE: a test binary built with -race sleeps a second as it
		// exits unless told not to.
		Env:   append([]string{childEnv + "=1", "GORACE=atexit_sleep_ms=0"}, list...),
		Files: []*os.File{nil, w, os.Stderr},
	})
	w.Close()
	if err != nil {
		t.Fatalf("the Go child: %v", err)
	}
	out, readErr := io.ReadAll(r)
	if st, err := proc.Wait(); err != nil || !st.Success() || readErr != nil {
		t.Fatalf("the Go child: %v, %v, %v", st, err, readErr)
	}
	var rep goReport
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("the Go child said %q: %v", out, err)
	}
	// Its own two entries come first; what follows is list as Go saw it.
	rep.Environ = rep.Environ[2:]
	return rep
}

// The list has every case of a repeated or odd entry; Lookup and Dedup must
// read it exactly as a real Go program reads its own environment.
var oddList = []string{"A=first", "B=", "A=second", "C=x=y", "NOEQUALS", "", "B=later", "EMPTY=", "=nameless", "A=third"}

func TestLookupReadsAsGoDoes(t *testing.T) {
	rep := goReads(t, oddList)
	for key, want := range rep.Values {
		got, ok := Lookup(oddList, key)
		if ok != (want != nil) || (ok && got != *want) {
			t.Errorf("Lookup(%q) = %q, %v; a Go program reads %v", key, got, ok, show(want))
		}
		if want != nil && Getter(oddList)(key) != *want {
			t.Errorf("Getter(%q) = %q; a Go program reads %q", key, Getter(oddList)(key), *want)
		}
	}
	// Written out too, so that a change in Go's own reading shows here.
	for key, want := range map[string]string{"A": "first", "B": "", "C": "x=y", "EMPTY": ""} {
		if got, ok := Lookup(oddList, key); !ok || got != want {
			t.Errorf("Lookup(%q) = %q, %v; want %q", key, got, ok, want)
		}
	}
	for _, key := range []string{"", "NOEQUALS", "MISSING", "A=first"} {
		if got, ok := Lookup(oddList, key); ok {
			t.Errorf("Lookup(%q) = %q, want not found", key, got)
		}
	}
	if got := Getter(oddList)("MISSING"); got != "" {
		t.Errorf("Getter of a missing name = %q", got)
	}
}

func TestDedupIsWhatGoEnvironGives(t *testing.T) {
	list := slices.Clone(oddList)
	got := Dedup(list)
	if rep := goReads(t, oddList); !slices.Equal(got, rep.Environ) {
		t.Errorf("Dedup = %q\nGo's os.Environ() = %q", got, rep.Environ)
	}
	want := []string{"A=first", "B=", "C=x=y", "NOEQUALS", "EMPTY=", "=nameless"}
	if !slices.Equal(got, want) {
		t.Errorf("Dedup = %q, want %q", got, want)
	}
	if !slices.Equal(list, oddList) {
		t.Errorf("Dedup changed its argument to %q", list)
	}
	if got := Dedup(nil); len(got) != 0 {
		t.Errorf("Dedup(nil) = %q", got)
	}
}

func TestSetLeavesOneEntry(t *testing.T) {
	list := []string{"T=1", "PATH=/bin", "T=yes", "TT=2", "T", "XT=3"}
	got := Set(list, "T", "0")
	want := []string{"PATH=/bin", "TT=2", "T", "XT=3", "T=0"}
	if !slices.Equal(got, want) {
		t.Errorf("Set = %q, want %q", got, want)
	}
	if !slices.Equal(list, []string{"T=1", "PATH=/bin", "T=yes", "TT=2", "T", "XT=3"}) {
		t.Errorf("Set changed its argument to %q", list)
	}
	// A Go program started with it reads the value set.
	if rep := goReads(t, Set([]string{"A=1", "B=2", "A=3"}, "A", "0")); rep.Values["A"] == nil || *rep.Values["A"] != "0" {
		t.Errorf("a Go program reads A=%v after Set, want 0", show(rep.Values["A"]))
	}
	if got := Set(nil, "T", ""); !slices.Equal(got, []string{"T="}) {
		t.Errorf("Set(nil) = %q", got)
	}
}

func show(v *string) string {
	if v == nil {
		return "nothing"
	}
	return "\"" + *v + "\""
}

// A name ends at its entry's first "=", so a value holding "=" does not
// make a new name, and the empty name before a leading "=" is a name like
// any other; entries without "=" name nothing and are all kept, repeats
// included, as Go keeps them.
func TestDedupNamesEndAtTheFirstEquals(t *testing.T) {
	list := []string{"C=x=y", "C=z", "NOEQUALS", "D=1", "NOEQUALS", "D==2", "=a", "=b"}
	want := []string{"C=x=y", "NOEQUALS", "D=1", "NOEQUALS", "=a"}
	got := Dedup(list)
	if !slices.Equal(got, want) {
		t.Errorf("Dedup = %q, want %q", got, want)
	}
	if rep := goReads(t, list); !slices.Equal(got, rep.Environ) {
		t.Errorf("Dedup = %q\nGo's os.Environ() = %q", got, rep.Environ)
	}
}
