package config

import (
	"bufio"
	"errors"
	"os"
	"strings"
)

// tbot's parser (kingpin) reads an argument @FILE as the arguments written
// in FILE, one per line, blank lines and # comments skipped, and does so
// again for any @ among them. tbot then starts as if they had been given,
// so this program reads them too: within bounds, and with kingpin's own
// expansion off, so that nothing else ever makes it read a file.

// maxArgFileExpansions bounds the @FILE arguments of one command line; a
// file that names itself would keep tbot's parser busy forever, and tbot
// never starts.
const maxArgFileExpansions = 16

func expandArgFiles(args []string) ([]string, error) {
	out := make([]string, 0, len(args))
	queue := args
	expansions := 0
	for len(queue) > 0 {
		a := queue[0]
		queue = queue[1:]
		switch {
		case a == "--":
			// kingpin reads everything after -- as it is.
			return append(append(out, a), queue...), nil
		case strings.HasPrefix(a, "@"):
			if expansions++; expansions > maxArgFileExpansions {
				return nil, errors.New("tbot would refuse its arguments: @file arguments nest too deep")
			}
			lines, err := readArgFile(a[1:])
			if err != nil {
				return nil, err
			}
			queue = append(lines, queue...)
		default:
			out = append(out, a)
		}
	}
	return out, nil
}

// readArgFile reads an @FILE as kingpin does. Its errors never name the
// file or quote it.
func readArgFile(path string) ([]string, error) {
	refuse := func(why string) error { return errors.New("tbot would refuse its arguments: an @file argument " + why) }
	if path == "" {
		return nil, refuse("names no file")
	}
	info, err := os.Stat(path)
	switch {
	case err != nil:
		return nil, refuse("cannot be read")
	case !info.Mode().IsRegular():
		return nil, refuse("is not a regular file")
	case info.Size() > MaxFileSize:
		return nil, refuse("is larger than 4 MiB")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, refuse("cannot be read")
	}
	defer f.Close()
	var lines []string
	// kingpin's scanner, with its 64 KiB limit on a line.
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		line := scanner.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		lines = append(lines, line)
	}
	if scanner.Err() != nil {
		return nil, refuse("cannot be read")
	}
	return lines, nil
}
