package config

import (
	"encoding/base64"
	"errors"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// MaxFileSize bounds what is read of a configuration file (and of an @file
// argument, and of a decoded --config-string); no tbot file comes near it,
// so anything larger is refused rather than parsed.
const MaxFileSize = 4 << 20

// readConfigFile reads a configuration file, refusing what is not a regular
// file (a FIFO would block, a device would never end) and what is too large.
// Its errors never name the path.
func readConfigFile(path string) ([]byte, error) {
	data, r := readBounded(path)
	if r != nil {
		return nil, r
	}
	return data, nil
}

// readBounded reads a regular file of at most MaxFileSize bytes; the
// refusal says why not, without the path.
func readBounded(path string) ([]byte, *Refusal) {
	info, err := os.Stat(path)
	switch {
	case err != nil:
		return nil, describeFSError(err)
	case info.IsDir():
		return nil, refuse(FileNotRegular, "").with("a directory")
	case !info.Mode().IsRegular():
		return nil, refuse(FileNotRegular, "")
	case info.Size() > MaxFileSize:
		return nil, refuse(FileTooLarge, "")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, describeFSError(err)
	}
	defer f.Close()
	// The file may have grown since the Stat: read one byte past the
	// bound to tell.
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	switch {
	case err != nil:
		return nil, describeFSError(err)
	case len(data) > MaxFileSize:
		return nil, refuse(FileTooLarge, "")
	}
	return data, nil
}

func describeFSError(err error) *Refusal {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return refuse(FileMissing, "")
	case errors.Is(err, fs.ErrPermission):
		return refuse(FilePermission, "")
	case errors.Is(err, syscall.ELOOP):
		return refuse(FileNotRegular, "").with("a symlink loop")
	}
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		// The errno's words (e.g. "input/output error"), never the path.
		return refuse(FileUnreadable, "").with(pathErr.Err.Error())
	}
	return refuse(FileUnreadable, "")
}

// decodeConfigString decodes tbot's --config-string (TBOT_CONFIG): standard,
// padded base64 of the YAML.
func decodeConfigString(s string) ([]byte, error) {
	// DecodedLen counts the padding too (up to 2 bytes more than decoded):
	// it only keeps a string far over the bound from being decoded, and the
	// decoded size is what is held to the bound, as a file's is.
	tooLarge := refuse(ConfigStringInvalid, "").with("larger than " + maxFileSizeWords())
	if base64.StdEncoding.DecodedLen(len(s)) > MaxFileSize+2 {
		return nil, tooLarge
	}
	data, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, refuse(ConfigStringInvalid, "").with("not valid base64")
	}
	if len(data) > MaxFileSize {
		return nil, tooLarge
	}
	return data, nil
}
