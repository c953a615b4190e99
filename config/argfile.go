package config

import (
	"bufio"
	"bytes"
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
				return nil, refuse(ArgFile, "").with("nests too deep")
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
	if path == "" {
		return nil, refuse(ArgFile, "").with("names no file")
	}
	data, r := readBounded(path)
	if r != nil {
		// readBounded's words, about an @file rather than the config file.
		return nil, refuse(ArgFile, "").with(strings.TrimPrefix(r.phrase(), "config file "))
	}
	var lines []string
	// kingpin's scanner, with its 64 KiB limit on a line.
	scanner := bufio.NewScanner(bytes.NewReader(data))
	for scanner.Scan() {
		line := scanner.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		lines = append(lines, line)
	}
	if scanner.Err() != nil {
		return nil, refuse(ArgFile, "").with("has a line longer than 64 KiB")
	}
	return lines, nil
}
