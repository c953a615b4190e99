//go:build !unix

package record

import (
	"errors"
	"os"
)

// The program runs on Linux and macOS only (package internal/platform);
// these let the package build elsewhere, so that a build for another
// platform stops with internal/platform's one error.

func flock(*os.File) error { return errors.ErrUnsupported }

func idOf(os.FileInfo) fileID { return fileID{} }
