package release

import "testing"

// Which line a version falls in, written from docs/release-lines.md's facts
// rather than from the table's own boundaries.
func TestFor(t *testing.T) {
	tests := []struct {
		version, line string
		open          bool
	}{
		{"", "19", true},
		{"not a version", "19", true},
		{"11.3.0", "12.1", false}, // older than the first tbot that sends: its rules
		{"12.0.0", "12.1", false},
		{"12.1.0", "12.1", false},
		{"12.4.10", "12.4", false},
		{"13.0.0", "13.0.0", false},
		{"13.1.3", "13", false},
		{"14.3.3", "14", false},
		{"15.0.0-dev", "15.0.0-dev", false},
		{"15.4.0", "15.1", false},
		{"15.0.2", "15", false},
		{"17.4.2", "17.2.9", false},
		{"16.0.3", "16", false},
		{"16.1.0", "16.1", false},
		{"19.1.0", "19", true},
		{"25.0.0", "19", true}, // newer than the table
	}
	for _, tt := range tests {
		got := For(tt.version)
		if got.Name != tt.line || got.Open != tt.open {
			t.Errorf("For(%q) = line %s open %v, want %s open %v", tt.version, got.Name, got.Open, tt.line, tt.open)
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

// Each row must differ from the one before it, and the join methods only
// ever grow until a line drops one on purpose.
func TestTableIsOrdered(t *testing.T) {
	for i := 1; i < len(Lines); i++ {
		if !Lines[i-1].Since.Less(Lines[i].Since) {
			t.Errorf("line %s does not come after %s", Lines[i].Name, Lines[i-1].Name)
		}
	}
}
