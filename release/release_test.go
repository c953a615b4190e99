package release

import (
	"slices"
	"strings"
	"testing"
)

// The availability of a fact, read branch by branch.
func TestAvail(t *testing.T) {
	oracle := From("17.7.7", "18.2.1")
	gone := From("15.1.3").Until("19.0.0")
	dev := From("15.0.0-0")
	tests := []struct {
		a       Avail
		version string
		want    bool
	}{
		{oracle, "16.4.12", false}, // before the first branch that has it
		{oracle, "17.7.6", false},  // the patch before the backport
		{oracle, "17.7.7", true},   // the backport's own patch
		{oracle, "17.8.0", true},
		{oracle, "18.0.0", false}, // 18.0.0 was cut before the change reached master
		{oracle, "18.2.0", false},
		{oracle, "18.2.1", true},
		{oracle, "19.0.0", true}, // a newer branch than the last one listed has it
		{oracle, "25.1.0", true},
		{gone, "15.1.2", false},
		{gone, "15.1.3", true},
		{gone, "18.9.9", true},
		{gone, "19.0.0", false},
		{gone, "20.0.0", false},
		{dev, "14.3.9", false},
		{dev, "15.0.0-dev", true}, // a master build before the release
		{dev, "15.0.0", true},
		{From("16.4.0"), "15.4.24", false}, // never backported to v15
		{Avail{}, "17.0.1", false},
	}
	for _, tt := range tests {
		v, _ := ParseVersion(tt.version)
		if got := tt.a.In(v); got != tt.want {
			t.Errorf("%v.In(%s) = %v, want %v", tt.a.from, tt.version, got, tt.want)
		}
	}
}

// A table with two versions of one branch in one fact, or out of order,
// is a programming error found at once.
func TestFromRefusesAMalformedList(t *testing.T) {
	for _, list := range [][]string{{"17.7.7", "17.7.8"}, {"18.2.1", "17.7.7"}, {"17.x"}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("From(%q) did not panic", list)
				}
			}()
			From(list...)
		}()
	}
}

// Which release a version is judged as.
func TestFor(t *testing.T) {
	tests := []struct {
		version, judgedAt string
		open              bool
	}{
		{"", "19.999.999", true},
		{"not a version", "19.999.999", true},
		{"11.3.0", "12.1.0", false}, // older than the first tbot that sends: its rules
		{"12.0.0", "12.1.0", false},
		{"12.1.0", "12.1.0", false},
		{"13.1.3", "13.1.3", false},
		{"15.0.0-dev", "15.0.0-dev", false},
		{"18.11.2", "18.11.2", false},
		{"19.0.0", "19.0.0", true}, // the newest branch the table knows
		{"19.3.1", "19.3.1", true},
		{"25.0.0", "25.0.0", true}, // newer than the table
	}
	for _, tt := range tests {
		got := For(tt.version)
		if got.Version.String() != tt.judgedAt || got.Open != tt.open {
			t.Errorf("For(%q) = %s open %v, want %s open %v", tt.version, got.Version, got.Open, tt.judgedAt, tt.open)
		}
	}
}

// tbot's code has three counters of its own; everything else is other.
func TestBucketOf(t *testing.T) {
	tests := map[string]Bucket{
		"application": Application, "database": Database, "kubernetes": Kubernetes,
		"application-tunnel": Other, "application-proxy": Other, "database-tunnel": Other,
		"kubernetes/v2": Other, "kubernetes/argo-cd": Other, "identity": Other, "ssh_host": Other,
		"never-heard-of-it": Other, "": Other, "Application": Other,
	}
	for typ, want := range tests {
		if got := BucketOf(typ); got != want {
			t.Errorf("BucketOf(%q) = %v, want %v", typ, got, want)
		}
	}
}

// Every rule's entry is at its own index, named and explained.
func TestRulesAreComplete(t *testing.T) {
	for i, r := range Facts().Rules {
		if r.Rule != Rule(i) || r.Name == "" || r.Says == "" || r.Evidence == "" || len(r.Avail.Firsts()) == 0 {
			t.Errorf("Facts().Rules[%d] = %+v: want its own Rule, a name, what it says, evidence and releases", i, r)
		}
	}
}

// The names of one kind are unique, so that a question about a name has
// one answer.
func TestNamesAreUnique(t *testing.T) {
	seen := map[string]bool{}
	check := func(id string) {
		if seen[id] {
			t.Errorf("%s is in the table twice", id)
		}
		seen[id] = true
	}
	for _, m := range Facts().JoinMethods {
		check("join:" + m.Name)
	}
	for _, s := range Facts().ServiceTypes {
		check("type:" + s.Name)
	}
	for _, k := range Facts().Keys {
		check(factID("key", k.Place, k.Name))
	}
	for _, m := range Facts().Modes {
		check("mode:" + m.Name)
		for _, a := range m.Aliases {
			check("mode:" + a)
		}
	}
}

func factID(kind string, place KeyPlace, name string) string {
	return kind + ":" + []string{"v1", "v2", "onboarding", "storage", "destination", "database"}[place] + ":" + name
}

// has answers "does release v have fact id?" through the package's own
// questions, the ones config asks.
func has(t *testing.T, id, version string) bool {
	t.Helper()
	rel := For(version)
	kind, name, _ := strings.Cut(id, ":")
	inFlags := func(uses []FlagUse) bool {
		return slices.ContainsFunc(uses, func(u FlagUse) bool { return u.Flag.Name == name })
	}
	switch kind {
	case "join":
		return rel.AcceptsJoinMethod(name)
	case "output":
		_, ok := rel.OutputType(name)
		return ok
	case "service":
		_, ok := rel.ServiceType(name)
		return ok
	case "key":
		place, key, _ := strings.Cut(name, ":")
		places := map[string]KeyPlace{"v1": V1Top, "v2": V2Top, "onboarding": Onboarding, "storage": V1Storage,
			"destination": V1Destination, "database": V1Database}
		return slices.Contains(rel.Keys(places[place]), key)
	case "global":
		return inFlags(rel.GlobalFlags())
	case "start":
		return inFlags(rel.StartFlags())
	case "modeflag":
		return inFlags(rel.ModeFlags())
	case "mode":
		return slices.ContainsFunc(rel.Modes(), func(m *Mode) bool { return m.Name == name })
	case "rule":
		for _, r := range Facts().Rules {
			if r.Name == name {
				return rel.Has(r.Rule)
			}
		}
	}
	t.Fatalf("no fact %s", id)
	return false
}

// A branch between two that got a change, and that no backport reached,
// does not inherit it.
func TestAvailSkipsABranchWithoutTheBackport(t *testing.T) {
	a := From("15.1.3", "17.0.0")
	for version, want := range map[string]bool{"15.1.3": true, "16.4.0": false, "17.0.0": true, "18.0.0": true} {
		v, _ := ParseVersion(version)
		if got := a.In(v); got != want {
			t.Errorf("In(%s) = %v, want %v", version, got, want)
		}
	}
}

// What each release's questions answer, beyond the names of the table:
// which flags legacy takes, which variables stand for flags, which checks
// a type makes.
func TestReleaseQuestions(t *testing.T) {
	names := func(uses []FlagUse) []string {
		var out []string
		for _, u := range uses {
			out = append(out, u.Flag.Name)
		}
		return out
	}
	rel := For("17.7.7")
	var legacy *Mode
	for _, m := range rel.Modes() {
		if m.Name == LegacyMode {
			legacy = m
		}
	}
	if got := names(rel.FlagsOf(legacy)); !slices.Contains(got, "data-dir") || slices.Contains(got, "storage") {
		t.Errorf("start legacy on 17.7.7 takes %v; want --data-dir and no --storage", got)
	}
	for version, want := range map[string]string{"16.4.9": "", "17.2.8": "", "17.2.9": "TBOT_CONFIG_PATH", "18.0.0": "TBOT_CONFIG_PATH"} {
		if got := For(version).Binds(FlagConfig); got != want {
			t.Errorf("%s binds -c to %q, want %q", version, got, want)
		}
	}
	refuses := func(version string) bool {
		for _, r := range For(version).Requirements(identityType()) {
			if r.Kind == RefusesField {
				return true
			}
		}
		return false
	}
	if refuses("18.11.0") || !refuses("19.0.0") {
		t.Errorf("identity refuses roles: 18.11.0 %v, 19.0.0 %v; want only 19", refuses("18.11.0"), refuses("19.0.0"))
	}
}

func identityType() *ServiceType {
	for _, t := range Facts().ServiceTypes {
		if t.Name == "identity" {
			return t
		}
	}
	panic("no identity type")
}
