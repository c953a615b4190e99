package main

import (
	"bytes"
	"os"
	"testing"
)

// The committed page is what the table gives: a fact changed in the table
// and not regenerated fails here, as it does in make checkgenerate.
func TestPageIsGenerated(t *testing.T) {
	want, err := render()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../../docs/release-lines.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("docs/release-lines.md is not what the release table gives: run `make generate`")
	}
}

// Every branch and a fact of each kind reach the page.
func TestPageSaysWhatTheTableSays(t *testing.T) {
	page, err := render()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"### v15", "### v19",
		"- **17.7.7**: + join methods `oracle`",
		"- **18.2.1**: + join methods `oracle`",
		"| `oracle` | — | — | — | — | — | 17.7.7 | 18.2.1 | yes |",
		"| `spiffe-svid` under `outputs:` | — | — | — | 15.1.3 | yes | yes | yes | — |",
		"**--no-oneshot wins**",
	} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("the page lacks %q", want)
		}
	}
}
