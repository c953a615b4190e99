// Package release is the table of tbot's release lines: for each line, what
// its `tbot start` reads (flags, variables, config versions, keys, output and
// service types, join methods), how it merges its flags over its file, what it
// refuses before it sends its start event, and what that event then says.
//
// It is facts only, no behaviour: config reads tbot's arguments and file by
// the rules of the line it is given, and event derives what that line sends.
// docs/release-lines.md gives the evidence for every row, and
// testdata/tbot-recordings holds what real tbot binaries sent.
package release
