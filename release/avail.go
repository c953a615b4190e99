package release

import "slices"

// Avail says which tbot releases have a fact, branch by branch, as Teleport
// ships them: a change lands on master and reaches each release branch it is
// backported to at a patch of that branch's own, so 17.7.7 can have what
// 18.1.0 lacks (docs/release-lines.md, "How to read this page").
//
// The zero Avail holds nowhere.
type Avail struct {
	// from and until hold at most one version per major, ascending.
	from, until []Version
}

// From is a fact that first appears at each of the given versions, one per
// release branch that has it, oldest branch first. A branch between two of
// them that is not listed never has it; every branch newer than the last one
// listed has it from its start, because the change is on master by then.
// A pre-release of the branch's first version (15.0.0-0) includes the
// master builds that came before that release.
func From(firsts ...string) Avail { return Avail{from: branchVersions(firsts)} }

// Until returns a that no longer holds from each of the given versions on,
// one per branch, by the same rules as From: it is gone from every branch
// newer than the last one listed.
func (a Avail) Until(lasts ...string) Avail {
	a.until = branchVersions(lasts)
	return a
}

// In reports whether release v has the fact.
func (a Avail) In(v Version) bool { return reached(a.from, v) && !reached(a.until, v) }

// Firsts and Lasts are the versions the fact was given, for the page that
// documents it.
func (a Avail) Firsts() []Version { return slices.Clone(a.from) }

// Lasts: see Firsts.
func (a Avail) Lasts() []Version { return slices.Clone(a.until) }

// reached reports whether v is at or past the entry of its branch in firsts,
// or on a branch newer than every entry.
func reached(firsts []Version, v Version) bool {
	if len(firsts) == 0 {
		return false
	}
	for _, f := range firsts {
		if f.Major == v.Major {
			return !v.Less(f)
		}
	}
	return v.Major > firsts[len(firsts)-1].Major
}

// branchVersions parses a table's versions; the table is code, so a
// malformed one is a programming error that every test run finds at once.
func branchVersions(list []string) []Version {
	out := make([]Version, 0, len(list))
	for _, s := range list {
		v, ok := ParseVersion(s)
		if !ok {
			panic("release: not a version in the table: " + s)
		}
		if n := len(out); n > 0 && out[n-1].Major >= v.Major {
			panic("release: versions of one fact must be one per branch, oldest first: " + s)
		}
		out = append(out, v)
	}
	return out
}
