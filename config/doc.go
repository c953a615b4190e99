// Package config reads what tbot reads at start (its command line, the
// environment variables that stand for its flags, and its configuration file,
// v1 or v2) and reduces it to the small View that the start event needs.
//
// It follows the newest tbot's grammar and merge rules, so that the event
// says what tbot itself would say, and it is lenient where tbot grows
// (unknown flags, modes, keys and service types are passed over) but refuses
// what tbot refuses. Secrets (tokens, join URIs, registration secrets) are
// only ever checked for presence and never kept, logged or returned; error
// messages name what was wrong without quoting the input.
package config
