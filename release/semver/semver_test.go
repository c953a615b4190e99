package semver

import "testing"

func TestParse(t *testing.T) {
	for in, want := range map[string]string{
		"13.1.3": "13.1.3", "v15.0.0-dev": "15.0.0-dev", " 17.4.2 ": "17.4.2", "16.0.0-rc.1+abc": "16.0.0-rc.1+abc", "0.0.0-a.b-c": "0.0.0-a.b-c",
	} {
		v, ok := Parse(in)
		if !ok || v.String() != want {
			t.Errorf("Parse(%q) = %v, %v; want %s", in, v, ok, want)
		}
	}
	for _, in := range []string{"", "v", "17", "17.4", "17.4.2.1", "latest", "17.04.2", "17.4.2-", "17.4.2-a b", "-1.0.0", "17.4.2+", "V17.4.2", "9999999.0.0", "1.2.3 secret"} {
		if v, ok := Parse(in); ok {
			t.Errorf("Parse(%q) = %v, want not a version", in, v)
		}
	}
}

func TestVersionOrder(t *testing.T) {
	// Ascending, as semantic versioning orders them.
	order := []string{"12.0.5", "12.1.0", "13.1.3", "15.0.0-alpha.1", "15.0.0-alpha.2", "15.0.0-beta", "15.0.0-dev", "15.0.0", "15.0.1", "16.0.0"}
	for i := 0; i+1 < len(order); i++ {
		a, _ := Parse(order[i])
		b, _ := Parse(order[i+1])
		if !a.Less(b) || b.Less(a) {
			t.Errorf("want %s < %s", order[i], order[i+1])
		}
	}
}
