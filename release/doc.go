// Package release is the table of what each tbot release does at `tbot
// start`, branch by branch and patch by patch: which flags, variables,
// config versions, keys, output and service types and join methods it
// accepts, what each type requires of its entries, how it merges its flags
// over its file, what it refuses before it sends its start event, and what
// that event then says.
//
// It is facts only, no behaviour: config reads tbot's arguments and file by
// the rules of the release it is given, and event derives what that release
// sends. docs/release-lines.md is generated from the table
// (internal/gendoc), and testdata/tbot-recordings holds what real tbot
// binaries sent.
package release

//go:generate go run ./internal/gendoc -o ../docs/release-lines.md
