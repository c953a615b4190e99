// Package platform stops a build for a platform this program does not run
// on, with a message that says so, before the packages that need Unix fail
// with errors that do not (README.md, "Platforms").
//
// tbot-telemetry runs on Linux and macOS, amd64 and arm64: exec supervises
// tbot with Unix signals, process groups and wait4. Packages that need Unix
// import this one, so that it is compiled, and fails, first.
package platform
