package config

import (
	"bytes"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// This file turns yaml.v3's errors into refusals: they quote values from the
// file (a token, a path), which a refusal never does, and for a broken block
// they name the line where the block starts rather than the line that broke
// it.

// The patterns of yaml.v3's messages, compiled only when one is described.
var (
	yamlTypeError = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile("^line (\\d+): cannot unmarshal (!!\\w+)(?: `(?s:.*)`)? into (.+)$")
	})
	yamlLine   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(?:yaml: )?(?:line (\d+): )?(.*)$`) })
	yamlQuoted = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile("'[^']*'|\"[^\"]*\"|`[^`]*`") })
	// yamlToken is a quoted YAML indicator in a message (did not find
	// expected ',' or ']'): the parser's words, kept as they are.
	yamlToken = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile("^['\"`][-\\[\\]{},:?|>!&*#%@]{1,3}['\"`]$") })
)

// describeYAMLError rewrites an error of yaml.v3 for the file data into a
// refusal that keeps only the line and the kind of problem.
func describeYAMLError(err error, data []byte) *Refusal {
	var r *Refusal
	if errors.As(err, &r) {
		return r // one of this package's decoders refused a value
	}
	var typeErr *yaml.TypeError
	if errors.As(err, &typeErr) && len(typeErr.Errors) > 0 {
		return describeTypeError(typeErr.Errors[0])
	}
	m := yamlLine().FindStringSubmatch(err.Error())
	line, _ := strconv.Atoi(m[1])
	msg := yamlQuoted().ReplaceAllStringFunc(m[2], func(q string) string {
		if yamlToken().MatchString(q) {
			return q
		}
		return "…"
	})
	return refuse(NotYAML, "").at(problemLine(data, line, m[2])).with(msg)
}

// describeTypeError is one of yaml.v3's type errors in a user's words:
// `line 2: cannot unmarshal !!str `yes` into bool` becomes line 2, a
// string where a boolean was expected.
func describeTypeError(e string) *Refusal {
	if m := yamlTypeError().FindStringSubmatch(e); m != nil {
		line, _ := strconv.Atoi(m[1])
		return refuse(WrongType, "").at(line).with(m[2] + " where " + goTypeWord(m[3]) + " was expected")
	}
	m := yamlLine().FindStringSubmatch(e)
	line, _ := strconv.Atoi(m[1])
	return refuse(WrongType, "").at(line).with(yamlQuoted().ReplaceAllString(m[2], "…"))
}

// goTypeWord names a Go type in the words of a YAML user.
func goTypeWord(t string) string {
	switch {
	case t == "bool":
		return "a boolean"
	case t == "string":
		return "a string"
	case t == "time.Duration":
		return "a duration"
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "int") || strings.HasPrefix(t, "uint") || strings.HasPrefix(t, "float"):
		return "a number"
	}
	return "a mapping"
}

// wrongKind is a value that is not of the kind tbot decodes there.
func wrongKind(n *yaml.Node, want string) *Refusal {
	return refuse(WrongType, "").at(n.Line).with("expected " + want)
}

// The errors that yaml.v3 reports at the start of the block they broke,
// and the bounds of the search for the line that broke it.
var (
	blockErrors = []string{"did not find expected key", "did not find expected '-' indicator",
		"mapping values are not allowed in this context"}
	maxSearchedFile  = 64 << 10
	maxSearchedLines = 200
)

// problemLine is the line that broke a block: yaml.v3 names the block's
// first line for the errors of blockErrors, so the file is parsed line by
// line from there until the same error appears. Anything else, and files
// too large to parse so often, keep yaml.v3's line.
func problemLine(data []byte, reported int, msg string) int {
	found := false
	for _, b := range blockErrors {
		found = found || strings.Contains(msg, b)
	}
	if !found || len(data) > maxSearchedFile {
		return reported
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	from := max(reported, 1)
	for n := from; n <= len(lines) && n < from+maxSearchedLines; n++ {
		var doc yaml.Node
		err := yaml.Unmarshal(bytes.Join(lines[:n], nil), &doc)
		if err == nil {
			continue
		}
		if m := yamlLine().FindStringSubmatch(err.Error()); m[2] == msg {
			return n
		}
	}
	return reported
}
