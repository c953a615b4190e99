package config

import (
	"strings"

	"github.com/tbot-telemetry/tbot-telemetry/internal/environ"
)

// Env is the process environment as tbot would see it.
type Env map[string]string

// EnvFromList builds an Env from "KEY=value" entries, as a process's
// environment block holds them. Where a name is repeated, the first entry
// counts, as for tbot, a Go program (internal/environ has the rule).
func EnvFromList(list []string) Env {
	list = environ.Dedup(list)
	env := make(Env, len(list))
	for _, kv := range list {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env
}

// List returns the environment as "KEY=value" entries, for a child process.
func (e Env) List() []string {
	list := make([]string, 0, len(e))
	for k, v := range e {
		list = append(list, k+"="+v)
	}
	return list
}

// Get returns a variable's value, "" when it is unset.
func (e Env) Get(key string) string { return e[key] }

// lookup returns a variable's value, an empty one counting as unset, as it
// does for the kingpin flags tbot binds to variables.
func (e Env) lookup(key string) (string, bool) {
	v := e[key]
	return v, v != ""
}
