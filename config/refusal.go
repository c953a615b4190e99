package config

import (
	"regexp"
	"strconv"
	"sync"
)

// Reason is why a start sends nothing: what tbot would refuse before it
// sends its event, or what this program will not send.
type Reason int

// The reasons. Each has one message, built by Refusal.Error.
const (
	// The command line and the environment.

	// MissingValue: a flag without its value.
	MissingValue Reason = iota + 1
	// UnknownFlag: a flag this release does not have.
	UnknownFlag
	// RequiredFlag: a required flag was not given.
	RequiredFlag
	// BadFlagValue: a value the flag does not take.
	BadFlagValue
	// UnexpectedArgument: a word where none is taken (a stray argument, a
	// mode this release does not have, `--flag=false` for a bool).
	UnexpectedArgument
	// FlagBeforeMode: a flag of `start legacy` before a mode.
	FlagBeforeMode
	// RepeatedFlag: a flag that cannot be repeated, repeated.
	RepeatedFlag
	// ConfigAndConfigString: a config path and a config string both given.
	ConfigAndConfigString
	// JoinMethodFlag: --join-method names a method outside the release's
	// enum.
	JoinMethodFlag
	// EnvNotBool: a variable that stands for a bool flag does not parse.
	EnvNotBool
	// TraceWithoutExporter: --trace without --trace-exporter.
	TraceWithoutExporter
	// ArgFile: an @file argument that cannot be read as tbot reads it.
	ArgFile
	// StorageURI: a --data-dir, --storage or --destination of a scheme
	// tbot does not store in.
	StorageURI

	// Reading the file.

	// FileMissing: the config file does not exist.
	FileMissing
	// FilePermission: the config file may not be read.
	FilePermission
	// FileUnreadable: the config file cannot be read for another reason.
	FileUnreadable
	// FileNotRegular: a directory, a FIFO, a device, a symlink loop.
	FileNotRegular
	// FileTooLarge: over MaxFileSize.
	FileTooLarge
	// ConfigStringInvalid: --config-string (TBOT_CONFIG) is not base64,
	// or too large.
	ConfigStringInvalid

	// What the file says.

	// FileEmpty: no document.
	FileEmpty
	// NotYAML: the file does not parse.
	NotYAML
	// WrongType: a value of the wrong YAML type.
	WrongType
	// UnknownVersion: a `version:` tbot does not read.
	UnknownVersion
	// V1NotRead: a v1 file, which this release no longer reads.
	V1NotRead
	// UnknownKey: a key a strict release does not know.
	UnknownKey
	// NoType: an entry of outputs or services without a type.
	NoType
	// UnknownType: a type this release does not know under that list.
	UnknownType
	// MissingField: an entry without a field its type requires.
	MissingField
	// BadField: a field of a value tbot does not take.
	BadField
	// FieldRefused: an entry sets a field the release refuses (roles).
	FieldRefused

	// The merged configuration.

	// CAConflict: ca_pins with ca_path, or insecure with either.
	CAConflict

	// The join method.

	// JoinMethodRefused: a join method this release refuses.
	JoinMethodRefused
	// JoinMethodUnknown: a join method no release accepts, which this
	// program never copies onto the wire (README.md, "The event").
	JoinMethodUnknown
)

// Refusal is why a start sends nothing. It names the flag, key or type it
// concerns and the line of the file, but never holds a value from the input:
// a value may be a token, a path or a name.
type Refusal struct {
	Reason Reason
	// Subject is the flag (with its dashes), key, type or variable the
	// refusal concerns; refuse keeps it only if it looks like a name
	// (safeSubject), since it may come from the input.
	Subject string
	// Line is the file's line, 0 when not known or not in a file.
	Line int
	// Detail completes some reasons in this program's own words (a YAML
	// type, where a key is); never input.
	Detail string
	// Hint is what the input most likely is, when that helps (an
	// unrendered template); shown after the refusal.
	Hint string
}

// refuse builds a Refusal; subject is checked to be a name.
func refuse(reason Reason, subject string) *Refusal {
	return &Refusal{Reason: reason, Subject: safeSubject(reason, subject)}
}

// at sets the line of the file.
func (r *Refusal) at(line int) *Refusal { r.Line = line; return r }

// with sets the detail.
func (r *Refusal) with(detail string) *Refusal { r.Detail = detail; return r }

// Error is the one place where refusals are put into words.
func (r *Refusal) Error() string {
	if r.Hint != "" {
		return r.sentence() + " (" + r.Hint + ")"
	}
	return r.sentence()
}

func (r *Refusal) sentence() string {
	switch r.Reason {
	case MissingValue, UnknownFlag, RequiredFlag, BadFlagValue, UnexpectedArgument, FlagBeforeMode, RepeatedFlag,
		ConfigAndConfigString, JoinMethodFlag, TraceWithoutExporter, ArgFile, StorageURI:
		return "tbot would refuse its arguments: " + r.phrase()
	case EnvNotBool:
		return "tbot would refuse its environment: " + r.phrase()
	case FileMissing, FilePermission, FileUnreadable, FileNotRegular, FileTooLarge, FileEmpty, ConfigStringInvalid:
		return r.phrase()
	case CAConflict:
		return "tbot would refuse its configuration: " + r.phrase()
	case JoinMethodRefused:
		return "tbot would refuse the join method: " + r.phrase()
	case JoinMethodUnknown:
		return r.phrase()
	}
	if r.Line > 0 {
		return "config file: line " + strconv.Itoa(r.Line) + ": " + r.phrase()
	}
	return "config file: " + r.phrase()
}

// phrase is the reason in words, with its subject and detail. It is one
// flat switch with a case per reason, long by design: it is the one place
// where refusals are worded, so that no message is written twice.
func (r *Refusal) phrase() string {
	s, d := r.Subject, r.Detail
	switch r.Reason {
	case MissingValue:
		return "flag " + or(s, "a flag") + " is missing its value"
	case UnknownFlag:
		return "this tbot release has no flag " + or(s, "(unprintable)")
	case RequiredFlag:
		return "required flag " + or(s, "(unprintable)") + " not provided"
	case BadFlagValue:
		if d != "" {
			return s + " " + d
		}
		return "invalid value for " + or(s, "a flag")
	case UnexpectedArgument:
		return "unexpected argument" + prefixed(" ", d)
	case FlagBeforeMode:
		return "a flag comes before the start mode"
	case RepeatedFlag:
		return "a flag that cannot be repeated was repeated"
	case ConfigAndConfigString:
		return "cannot specify both config and config-string"
	case JoinMethodFlag:
		return "--join-method names a join method this tbot release does not know"
	case EnvNotBool:
		return s + " is not a boolean"
	case TraceWithoutExporter:
		return "--trace needs --trace-exporter"
	case ArgFile:
		return "an @file argument " + d
	case StorageURI:
		return or(s, "--data-dir") + " is not a storage tbot knows"
	case FileMissing:
		return r.source() + " does not exist"
	case FilePermission:
		return r.source() + " is not readable: permission denied"
	case FileUnreadable:
		return r.source() + " cannot be read" + prefixed(": ", d)
	case FileNotRegular:
		return r.source() + " is " + or(d, "not a regular file")
	case FileTooLarge:
		return r.source() + " is larger than " + maxFileSizeWords()
	case ConfigStringInvalid:
		return "config string is " + d
	case FileEmpty:
		return "config file is empty"
	case NotYAML:
		return "not valid YAML: " + d
	case WrongType:
		return "wrong value type (" + d + ")"
	case UnknownVersion:
		return "unrecognized config version"
	case V1NotRead:
		return "a v1 file, which this tbot release no longer reads"
	case UnknownKey:
		return d + " has a key this tbot release does not know" + quoted(s)
	case NoType:
		return "an entry of " + s + " has no type"
	case UnknownType:
		return "an entry of " + d + " has a type this tbot release does not know" + quoted(s)
	case MissingField:
		return d + " has no " + s
	case BadField:
		return d
	case FieldRefused:
		return d + " sets " + s + ", which this tbot release refuses"
	case CAConflict:
		return d
	case JoinMethodRefused:
		return "this tbot release does not accept it"
	case JoinMethodUnknown:
		return "the join method is not one that any tbot release accepts; nothing of it is sent"
	}
	return "refused"
}

// maxFileSizeWords is MaxFileSize as a person reads it.
func maxFileSizeWords() string { return strconv.Itoa(MaxFileSize>>20) + " MiB" }

// source is what a read refusal is about: the config file, or an @file.
func (r *Refusal) source() string { return or(r.Subject, "config file") }

func or(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

func prefixed(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}

func quoted(s string) string {
	if s == "" {
		return ""
	}
	return ": " + strconv.Quote(s)
}

// safeSubject keeps a subject only if it looks like a name: a key or type
// from the file by the stricter rule of fileName, a flag or variable by
// the rule of a flag's name. Anything else is not shown: it may be a value
// that was mistaken for a name.
func safeSubject(reason Reason, s string) string {
	ok := false
	switch reason {
	case UnknownKey, UnknownType:
		ok = fileName().MatchString(s) && digits(s) <= 4
	default:
		ok = flagName().MatchString(s)
	}
	if !ok {
		return ""
	}
	return s
}

// flagName is what a flag or a variable looks like.
var flagName = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^-{0,2}[A-Za-z0-9][A-Za-z0-9/_-]{0,39}$`)
})

// fileName is what tbot's keys and types look like (snake_case keys,
// dashed and slashed types). A token pasted where a key goes has capitals
// or many digits, and is not shown.
var fileName = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[a-z][a-z0-9_/.-]{0,39}$`)
})

func digits(s string) int {
	n := 0
	for _, c := range s {
		if c >= '0' && c <= '9' {
			n++
		}
	}
	return n
}

// badField is a refusal of something in the file, described in this
// program's words (detail), at a line of the file (0 when not known).
func badField(line int, detail string) *Refusal {
	return refuse(BadField, "").at(line).with(detail)
}
