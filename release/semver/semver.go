// Package semver reads and orders tbot's version numbers (X.Y.Z with an
// optional -pre-release and +build, as `tbot version` prints them): the one
// grammar that --tbot-version, the version probe and the release table all
// use. It imports nothing, so that exec's before-main path
// (cmd/tbot-telemetry/internal/beforemain) can read --tbot-version as main
// does before Go initializes anything heavy.
package semver

// Version is a tbot release number, ordered as semantic versions are: a
// pre-release comes before its release.
type Version struct {
	Major, Minor, Patch int
	// Pre is the pre-release part without its dash; empty for a release.
	Pre string
	// Build is the build metadata without its plus, which orders nothing.
	Build string
}

// maxNumber bounds each number, so that no input overflows an int.
const maxNumber = 999999

// Parse reads X.Y.Z[-pre][+build], with or without a leading v, around
// which spaces are ignored. It reports false for anything else.
func Parse(s string) (Version, bool) {
	s = trimSpace(s)
	if len(s) > 0 && s[0] == 'v' {
		s = s[1:]
	}
	var v Version
	if i := indexByte(s, '+'); i >= 0 {
		if v.Build = s[i+1:]; !validIdentifiers(v.Build) {
			return Version{}, false
		}
		s = s[:i]
	}
	if i := indexByte(s, '-'); i >= 0 {
		if v.Pre = s[i+1:]; !validIdentifiers(v.Pre) {
			return Version{}, false
		}
		s = s[:i]
	}
	nums := [3]*int{&v.Major, &v.Minor, &v.Patch}
	for part, p := range nums {
		n, rest, ok := number(s)
		if !ok {
			return Version{}, false
		}
		*p = n
		s = rest
		if part < 2 {
			if len(s) == 0 || s[0] != '.' {
				return Version{}, false
			}
			s = s[1:]
		}
	}
	if s != "" {
		return Version{}, false
	}
	return v, true
}

// number reads a number without a leading zero at the start of s.
func number(s string) (int, string, bool) {
	n, i := 0, 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		n = n*10 + int(s[i]-'0')
		i++
		if n > maxNumber {
			return 0, s, false
		}
	}
	if i == 0 || (i > 1 && s[0] == '0') {
		return 0, s, false
	}
	return n, s[i:], true
}

// validIdentifiers is a pre-release or build part: letters, digits, dots
// and dashes, at most 64 of them.
func validIdentifiers(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// String spells the version as tbot does, without a leading v.
func (v Version) String() string {
	s := itoa(v.Major) + "." + itoa(v.Minor) + "." + itoa(v.Patch)
	if v.Pre != "" {
		s += "-" + v.Pre
	}
	if v.Build != "" {
		s += "+" + v.Build
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
	for a != "" && b != "" {
		var x, y string
		x, a = cutDot(a)
		y, b = cutDot(b)
		if x == y {
			continue
		}
		xn, xNum := numeric(x)
		yn, yNum := numeric(y)
		switch {
		case xNum && yNum:
			return xn < yn
		case xNum:
			return true // numeric identifiers come first
		case yNum:
			return false
		}
		return x < y
	}
	return a == "" && b != ""
}

func cutDot(s string) (string, string) {
	if i := indexByte(s, '.'); i >= 0 {
		return s[:i], s[i+1:]
	}
	return s, ""
}

func numeric(s string) (int, bool) {
	n, rest, ok := number(s)
	return n, ok && rest == ""
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

func trimSpace(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\n' || s[0] == '\r') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t' || s[len(s)-1] == '\n' || s[len(s)-1] == '\r') {
		s = s[:len(s)-1]
	}
	return s
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
