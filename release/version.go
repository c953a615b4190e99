package release

import (
	"strconv"
	"strings"
)

// Version is a tbot release number, X.Y.Z with an optional pre-release
// (15.0.0-dev, 16.0.0-rc.1), ordered as semantic versions are: a
// pre-release comes before its release.
type Version struct {
	Major, Minor, Patch int
	// Pre is the pre-release part without its dash; empty for a release.
	Pre string
}

// ParseVersion reads X.Y.Z[-pre][+build], with or without a leading v. It
// reports false for anything else, which the caller treats as an unknown
// release.
func ParseVersion(s string) (Version, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	s, _, _ = strings.Cut(s, "+")
	core, pre, hasPre := strings.Cut(s, "-")
	if hasPre && !validPre(pre) {
		return Version{}, false
	}
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return Version{}, false
	}
	var nums [3]int
	for i, p := range parts {
		if p == "" || len(p) > 6 || (len(p) > 1 && p[0] == '0') {
			return Version{}, false
		}
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return Version{}, false
		}
		nums[i] = n
	}
	return Version{Major: nums[0], Minor: nums[1], Patch: nums[2], Pre: pre}, true
}

func validPre(pre string) bool {
	if pre == "" || len(pre) > 64 {
		return false
	}
	for i := 0; i < len(pre); i++ {
		c := pre[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// String spells the version as tbot does, without a leading v.
func (v Version) String() string {
	s := strconv.Itoa(v.Major) + "." + strconv.Itoa(v.Minor) + "." + strconv.Itoa(v.Patch)
	if v.Pre != "" {
		s += "-" + v.Pre
	}
	return s
}

// Less orders versions; pre-releases are compared as semantic versioning
// says (numeric identifiers numerically, others as text, fewer first).
func (v Version) Less(w Version) bool {
	if v.Major != w.Major {
		return v.Major < w.Major
	}
	if v.Minor != w.Minor {
		return v.Minor < w.Minor
	}
	if v.Patch != w.Patch {
		return v.Patch < w.Patch
	}
	return lessPre(v.Pre, w.Pre)
}

func lessPre(a, b string) bool {
	switch {
	case a == b:
		return false
	case a == "":
		return false // a release comes after its pre-releases
	case b == "":
		return true
	}
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		if as[i] == bs[i] {
			continue
		}
		an, aErr := strconv.Atoi(as[i])
		bn, bErr := strconv.Atoi(bs[i])
		switch {
		case aErr == nil && bErr == nil:
			return an < bn
		case aErr == nil:
			return true // numeric identifiers come first
		case bErr == nil:
			return false
		}
		return as[i] < bs[i]
	}
	return len(as) < len(bs)
}
