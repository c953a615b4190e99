// Command gendoc writes docs/release-lines.md from the release table, so
// that the page and the code cannot disagree: the prose is page.md.tmpl,
// every fact and its evidence comes from package release.
//
// Run it with `go generate ./release` (make generate); checkgenerate fails
// when the committed page is not what the table gives.
package main

import (
	"bytes"
	_ "embed"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"text/template"

	"github.com/tbot-telemetry/tbot-telemetry/release"
)

//go:embed page.md.tmpl
var page string

// firstBranch is the first release branch that sends the event.
const firstBranch = 12

func main() {
	out := flag.String("o", "", "the file to write")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "gendoc: -o FILE is required")
		os.Exit(2)
	}
	text, err := render()
	if err == nil {
		err = os.WriteFile(*out, text, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gendoc:", err)
		os.Exit(1)
	}
}

func render() ([]byte, error) {
	tmpl, err := template.New("page").Parse(page)
	if err != nil {
		return nil, fmt.Errorf("parse the template: %w", err)
	}
	var b bytes.Buffer
	err = tmpl.Execute(&b, map[string]string{
		"NewestBranch": fmt.Sprint(release.NewestBranch),
		"ByBranch":     byBranch(),
		"JoinMethods":  joinMethods(),
		"Types":        serviceTypes(),
		"Requirements": requirements(),
		"Keys":         keys(),
		"Flags":        cliFlags(),
		"Modes":        modes(),
		"Rules":        rules(),
	})
	if err != nil {
		return nil, fmt.Errorf("render the page: %w", err)
	}
	return b.Bytes(), nil
}

// branches are the columns of the tables: every branch that sends.
func branches() []int {
	var out []int
	for m := firstBranch; m <= release.NewestBranch; m++ {
		out = append(out, m)
	}
	return out
}

// cell says what a fact is on one branch: from which patch, until which,
// "yes" for the whole branch, or "—" for none of it.
func cell(a release.Avail, major int) string {
	on := func(list []release.Version) (release.Version, bool, bool) {
		for _, v := range list {
			if v.Major == major {
				return v, true, true
			}
		}
		return release.Version{}, false, len(list) > 0 && major > list[len(list)-1].Major
	}
	first, firstHere, inherited := on(a.Firsts())
	last, lastHere, gone := on(a.Lasts())
	switch {
	case gone, !firstHere && !inherited:
		return "—"
	case firstHere && lastHere:
		return first.String() + " – " + last.String()
	case lastHere:
		return "until " + last.String()
	case firstHere && (first.Minor != 0 || first.Patch != 0 || first.Pre != ""):
		return first.String()
	}
	return "yes"
}

func header(first string) string {
	var b strings.Builder
	b.WriteString("| " + first + " |")
	for _, m := range branches() {
		fmt.Fprintf(&b, " v%d |", m)
	}
	b.WriteString(" evidence |\n|---|")
	for range branches() {
		b.WriteString("---|")
	}
	b.WriteString("---|\n")
	return b.String()
}

func row(name string, a release.Avail, evidence string) string {
	var b strings.Builder
	b.WriteString("| " + name + " |")
	for _, m := range branches() {
		b.WriteString(" " + cell(a, m) + " |")
	}
	b.WriteString(" " + evidence + " |\n")
	return b.String()
}

func joinMethods() string {
	s := header("join method")
	for _, m := range release.Facts().JoinMethods {
		s += row("`"+m.Name+"`", m.Avail, m.Evidence)
	}
	return s
}

func serviceTypes() string {
	s := header("type")
	for _, t := range release.Facts().ServiceTypes {
		s += row("`"+t.Name+"` under `outputs:`", t.Output, t.Evidence)
		s += row("`"+t.Name+"` under `services:`", t.Service, "")
	}
	return s
}

// requirementWords says what a requirement checks, in the page's words.
func requirementWords(r release.Requirement) string {
	fields := "`" + strings.Join(r.Fields, "`, `") + "`"
	switch r.Kind {
	case release.NeedsString:
		return fields + " set (a string)"
	case release.NeedsList:
		return fields + " set (a list)"
	case release.NeedsValue:
		return fields + " set"
	case release.NeedsOneOfValues:
		return fields + " one of `" + strings.Join(r.Values, "`, `") + "`"
	case release.RefusesField:
		return fields + " refused"
	case release.NeedsAtMostOne:
		return "at most one of " + fields
	case release.NeedsDirectory:
		return "a directory destination"
	case release.NeedsURL:
		return fields + " a URL"
	case release.NeedsARN:
		return fields + " an ARN"
	case release.NeedsSelector:
		return "a selector (`" + r.Fields[0] + "`) with exactly one of name and labels"
	case release.NeedsSelectors:
		return fields + ": at least one selector, each with exactly one of name and labels"
	case release.NeedsAWSSession:
		return "`" + r.Fields[0] + "` at most 12h, `" + r.Fields[1] + "` shorter"
	case release.NeedsLifetime:
		return "`credential_ttl` and `renewal_interval` both or neither, the TTL not shorter than the interval (unless one-shot) and at most " + r.Values[0]
	case release.NeedsAbsolutePath:
		return fields + " an absolute path"
	case release.NeedsIPs:
		return fields + " IP addresses"
	case release.NeedsHostPorts:
		return fields + " host:port"
	case release.NeedsListWhenSet:
		return fields + " a list, when set"
	}
	return fields
}

func requirements() string {
	s := header("type: requires")
	for _, t := range release.Facts().ServiceTypes {
		for _, r := range t.Requires {
			s += row("`"+t.Name+"`: "+requirementWords(r), r.Avail, r.Evidence)
		}
	}
	return s
}

func keys() string {
	places := []struct {
		place release.KeyPlace
		name  string
	}{{release.V1Top, "v1 top level"}, {release.V2Top, "v2 top level"}, {release.Onboarding, "onboarding"},
		{release.V1Storage, "v1 storage"}, {release.V1Destination, "v1 destination"}, {release.V1Database, "v1 destination's database"}}
	s := header("key")
	for _, p := range places {
		for _, k := range release.Facts().Keys {
			if k.Place == p.place {
				s += row(p.name+": `"+k.Name+"`", k.Avail, k.Evidence)
			}
		}
	}
	return s
}

func flagName(f *release.Flag) string {
	name := "`--" + f.Name + "`"
	if f.Short != 0 {
		name = "`-" + string(f.Short) + "`/" + name
	}
	return name
}

func cliFlags() string {
	s := header("flag")
	for _, group := range []struct {
		where string
		uses  []release.FlagUse
	}{{"global", release.Facts().GlobalFlags}, {"`start` (legacy)", release.Facts().StartFlags}, {"every mode but legacy", release.Facts().ModeFlags}} {
		for _, u := range group.uses {
			s += row(group.where+": "+flagName(u.Flag), u.Avail, u.Evidence)
		}
	}
	s += "\nVariables that stand for flags:\n\n" + header("variable")
	seen := map[string]bool{}
	for _, list := range [][]release.FlagUse{release.Facts().GlobalFlags, release.Facts().StartFlags, release.Facts().ModeFlags} {
		for _, u := range list {
			if f := u.Flag; f.Env != "" && !seen[f.Env] {
				seen[f.Env] = true
				s += row("`"+f.Env+"` ("+flagName(f)+")", f.EnvAvail, "")
			}
		}
	}
	return s
}

func modes() string {
	s := header("mode")
	for _, m := range release.Facts().Modes {
		name := "`" + m.Name + "`"
		if len(m.Aliases) > 0 {
			name += " (" + strings.Join(m.Aliases, ", ") + ")"
		}
		var own []string
		for _, u := range m.Flags {
			f := "--" + u.Flag.Name
			if u.Required {
				f += " (required)"
			}
			own = append(own, f)
		}
		if len(own) > 0 {
			name += ": " + strings.Join(own, ", ")
		}
		s += row(name, m.Avail, m.Evidence)
	}
	return s
}

func rules() string {
	s := header("rule")
	for _, r := range release.Facts().Rules {
		s += row("**"+r.Name+"**: "+r.Says, r.Avail, r.Evidence)
	}
	return s
}

// change is one fact that changes at a version: a subject (a name) and
// what is said of it, so that the names that change alike are listed once.
type change struct {
	version   release.Version
	predicate string
	subject   string
}

// byBranch lists, branch by branch, every version where something the
// event depends on changed, so that "what does 18.2.3 do" is read down one
// list.
func byBranch() string {
	var all []change
	note := func(predicate, subject string, a release.Avail) {
		for _, v := range a.Firsts() {
			all = append(all, change{v, "+ " + predicate, subject})
		}
		for _, v := range a.Lasts() {
			all = append(all, change{v, "− " + predicate, subject})
		}
	}
	for _, m := range release.Facts().JoinMethods {
		note("join methods", "`"+m.Name+"`", m.Avail)
	}
	for _, t := range release.Facts().ServiceTypes {
		note("types under `outputs:`", "`"+t.Name+"`", t.Output)
		note("types under `services:`", "`"+t.Name+"`", t.Service)
		for _, r := range t.Requires {
			// A check as old as its type is in the type's tables, not here.
			if r.Avail.Firsts()[0].String() != "12.1.0" {
				note("requires "+requirementWords(r)+" of", "`"+t.Name+"`", r.Avail)
			}
		}
	}
	for _, k := range release.Facts().Keys {
		note("keys", "`"+k.Name+"`", k.Avail)
	}
	for _, group := range []struct {
		where string
		uses  []release.FlagUse
	}{{"global flags", release.Facts().GlobalFlags}, {"flags of `start`", release.Facts().StartFlags}, {"flags of every mode", release.Facts().ModeFlags}} {
		for _, u := range group.uses {
			note(group.where, flagName(u.Flag), u.Avail)
		}
	}
	for _, m := range release.Facts().Modes {
		note("modes", "`"+m.Name+"`", m.Avail)
	}
	for _, r := range release.Facts().Rules {
		note("rule", r.Name, r.Avail)
	}
	var b strings.Builder
	for _, major := range branches() {
		writeBranch(&b, major, all)
	}
	return b.String()
}

// writeBranch writes one branch's list: a line per version, and on it each
// predicate once with its subjects.
func writeBranch(b *strings.Builder, major int, all []change) {
	var here []change
	for _, c := range all {
		if c.version.Major == major {
			here = append(here, c)
		}
	}
	slices.SortStableFunc(here, func(x, y change) int {
		switch {
		case x.version.Less(y.version):
			return -1
		case y.version.Less(x.version):
			return 1
		}
		return strings.Compare(x.predicate, y.predicate)
	})
	fmt.Fprintf(b, "\n### v%d\n\n", major)
	if len(here) == 0 {
		fmt.Fprintf(b, "No change of its own: what master had when it was cut.\n")
		return
	}
	for i := 0; i < len(here); {
		var parts []string
		j := i
		for j < len(here) && here[j].version == here[i].version {
			k := j
			var subjects []string
			for k < len(here) && here[k].version == here[j].version && here[k].predicate == here[j].predicate {
				if !slices.Contains(subjects, here[k].subject) {
					subjects = append(subjects, here[k].subject)
				}
				k++
			}
			parts = append(parts, here[j].predicate+" "+strings.Join(subjects, ", "))
			j = k
		}
		fmt.Fprintf(b, "- **%s**: %s\n", here[i].version, strings.Join(parts, "; "))
		i = j
	}
}
