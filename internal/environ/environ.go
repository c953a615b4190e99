// Package environ reads and edits environment lists ("KEY=value" entries, as
// os.Environ returns them and as a child process is given them) with the
// semantics of Go's own getenv, which tbot (a Go program) has: when a name
// is repeated, the first entry wins.
//
// Go's syscall package builds its table of the environment once, on the
// first os.Getenv, os.Environ or os.LookupEnv, keeping the first entry of
// each name and blanking the later ones; from then on os.Environ() silently
// leaves the later duplicates out. A list that comes from anywhere else (a
// test, a file, another process's environment) still has them, so whatever
// reads such a list must take the first entry, or it would read a value
// that tbot never sees. Set is the one way this program changes a child's
// environment: it leaves exactly one entry of the name.
//
// It imports nothing, so that the before-main path
// (cmd/tbot-telemetry/internal/beforemain) can use it before Go initializes
// anything heavy.
package environ

// Lookup returns the value of the first entry of key in list, and whether
// there is one, as Go's os.LookupEnv reads its own environment. An empty key
// is never found, as for Go.
func Lookup(list []string, key string) (string, bool) {
	if key == "" {
		return "", false
	}
	for _, kv := range list {
		if hasName(kv, key) {
			return kv[len(key)+1:], true
		}
	}
	return "", false
}

// Getter returns a getenv over list: the value of the first entry of a
// name, "" when there is none.
func Getter(list []string) func(key string) string {
	return func(key string) string {
		v, _ := Lookup(list, key)
		return v
	}
}

// Dedup returns list with only the first entry of each name, in their
// order, and without empty entries: what os.Environ() returns for a process
// started with list. An entry without "=" names nothing and is kept, as Go
// keeps it. list itself is left as it was.
//
// A map built from Dedup's result, entry by entry, holds what getenv reads.
func Dedup(list []string) []string {
	out := make([]string, 0, len(list))
	seen := make(map[string]bool, len(list))
	for _, kv := range list {
		if kv == "" {
			continue
		}
		name, ok := nameOf(kv)
		if ok {
			if seen[name] {
				continue
			}
			seen[name] = true
		}
		out = append(out, kv)
	}
	return out
}

// Set returns list with every entry of key left out and one key=value
// added at the end, so that the name is there once whichever entry a reader
// takes. list itself is left as it was.
func Set(list []string, key, value string) []string {
	out := make([]string, 0, len(list)+1)
	for _, kv := range list {
		if !hasName(kv, key) {
			out = append(out, kv)
		}
	}
	return append(out, key+"="+value)
}

// hasName says whether kv is an entry of key.
func hasName(kv, key string) bool {
	return len(kv) > len(key) && kv[len(key)] == '=' && kv[:len(key)] == key
}

// nameOf is the name of an entry, up to its first "="; false when it has
// none.
func nameOf(kv string) (string, bool) {
	for i := 0; i < len(kv); i++ {
		if kv[i] == '=' {
			return kv[:i], true
		}
	}
	return "", false
}
