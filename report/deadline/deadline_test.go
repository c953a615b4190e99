package deadline

import (
	"testing"
	"time"
)

// README.md, "Flags of report and exec": 3s by default.
func TestDefaultIsREADMEs(t *testing.T) {
	if Default != 3*time.Second {
		t.Errorf("the default deadline is %v; README.md says 3s", Default)
	}
}
