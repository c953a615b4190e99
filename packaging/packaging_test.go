// Package packaging holds the nfpm configuration of the .deb and .rpm
// packages that `make release` builds (nfpm.yaml); its tests build them,
// and run `make install` and `make uninstall`, as a user would, and read
// what they produced.
package packaging

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
)

// bound bounds each make run; the first builds nfpm (tools/go.mod).
const bound = 5 * time.Minute

var built = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "tbot-telemetry-packaging-")
	if err != nil {
		return "", err
	}
	return testsupport.BuildTbotTelemetry(dir)
})

func TestMain(m *testing.M) {
	code := m.Run()
	if path, err := built(); err == nil {
		os.RemoveAll(filepath.Dir(path))
	}
	os.Exit(code)
}

func builtBinary(t *testing.T) string {
	t.Helper()
	path, err := built()
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// makeAt runs make in the module root with vars, and fails the test
// unless it succeeds.
func makeAt(t *testing.T, target string, vars ...string) string {
	t.Helper()
	res := testsupport.Run(t, bound, os.Environ(), append([]string{"make", "-C", "..", "--no-print-directory", target}, vars...)...)
	if res.Code != 0 {
		t.Fatalf("make %s %q: exit %d\n%s%s", target, vars, res.Code, res.Stdout, res.Stderr)
	}
	return res.Stdout
}

// dropIn is the example drop-in with tbot-telemetry at bin.
func dropIn(t *testing.T, bin string) string {
	t.Helper()
	data, err := os.ReadFile("../examples/systemd/tbot.service.d/telemetry.conf")
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(string(data), "/usr/local/bin/tbot-telemetry", bin)
	if !strings.Contains(string(data), "/usr/local/bin/tbot-telemetry") {
		t.Fatal("the example drop-in does not name /usr/local/bin/tbot-telemetry")
	}
	return s
}

// tree lists the regular files under root, with their modes.
func tree(t *testing.T, root string) map[string]fs.FileMode {
	t.Helper()
	files := map[string]fs.FileMode{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		files["/"+rel] = info.Mode()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestInstallAndUninstall(t *testing.T) {
	bin := builtBinary(t)
	want, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name  string
		vars  []string
		files map[string]fs.FileMode
		unit  string // the drop-in's path, if installed
	}{
		{"defaults", nil, map[string]fs.FileMode{"/usr/local/bin/tbot-telemetry": 0o755}, ""},
		{"PREFIX with the drop-in", []string{"PREFIX=/usr", "INSTALL_DROPIN=1"}, map[string]fs.FileMode{
			"/usr/bin/tbot-telemetry": 0o755, "/etc/systemd/system/tbot.service.d/telemetry.conf": 0o644,
		}, "/etc/systemd/system/tbot.service.d/telemetry.conf"},
		{"another unit", []string{"INSTALL_DROPIN=1", "SYSTEMD_UNIT=machine-id"}, map[string]fs.FileMode{
			"/usr/local/bin/tbot-telemetry": 0o755, "/etc/systemd/system/machine-id.service.d/telemetry.conf": 0o644,
		}, "/etc/systemd/system/machine-id.service.d/telemetry.conf"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dest := t.TempDir()
			vars := append([]string{"DESTDIR=" + dest, "BINARY=" + bin}, tt.vars...)
			makeAt(t, "install", vars...)
			got := tree(t, dest)
			if fmt.Sprint(got) != fmt.Sprint(tt.files) {
				t.Fatalf("installed %v, want %v", got, tt.files)
			}
			for path := range tt.files {
				data, err := os.ReadFile(filepath.Join(dest, path))
				if err != nil {
					t.Fatal(err)
				}
				switch path {
				case firstBinary(tt.files):
					if !bytes.Equal(data, want) {
						t.Errorf("%s is not the built binary", path)
					}
					res := testsupport.Run(t, time.Minute, nil, filepath.Join(dest, path), "version")
					if res.Code != 0 || !strings.HasPrefix(res.Stdout, "tbot-telemetry ") {
						t.Errorf("the installed binary: exit %d, %q", res.Code, res.Stdout)
					}
				case tt.unit:
					// It runs the binary where it was installed.
					if string(data) != dropIn(t, firstBinary(tt.files)) {
						t.Errorf("the drop-in does not run %s:\n%s", firstBinary(tt.files), data)
					}
				}
			}

			// A file of someone else's beside ours stays.
			other := filepath.Join(dest, filepath.Dir(firstBinary(tt.files)), "other-tool")
			if err := os.WriteFile(other, nil, 0o755); err != nil {
				t.Fatal(err)
			}
			makeAt(t, "uninstall", vars...)
			if got := tree(t, dest); len(got) != 1 {
				t.Errorf("after uninstall: %v, want only other-tool", got)
			}
			if tt.unit != "" {
				if _, err := os.Stat(filepath.Dir(filepath.Join(dest, tt.unit))); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("the empty drop-in directory is left: %v", err)
				}
			}
			// Twice is fine.
			makeAt(t, "uninstall", vars...)
		})
	}
}

func firstBinary(files map[string]fs.FileMode) string {
	for path := range files {
		if strings.HasSuffix(path, "/tbot-telemetry") {
			return path
		}
	}
	return ""
}

// An entry of a package's payload.
type entry struct {
	mode  fs.FileMode // permission bits
	mtime int64
	data  []byte
}

// TestPackages builds the .deb and .rpm packages as `make release` does,
// from a binary built here, and reads them with nothing but Go's standard
// library. (`make release-check` shows that two builds are byte-identical.)
func TestPackages(t *testing.T) {
	bin, err := os.ReadFile(builtBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	const version, epoch = "v1.2.3-4-gabcdef0", 1700000000
	build := func() string {
		dist := t.TempDir()
		for _, arch := range []string{"amd64", "arm64"} {
			if err := os.WriteFile(filepath.Join(dist, "tbot-telemetry-"+version+"-linux-"+arch), bin, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		makeAt(t, "packages", "DIST_DIR="+dist, "VERSION="+version, "SOURCE_DATE_EPOCH="+strconv.Itoa(epoch))
		return dist
	}
	first := build()

	wantDropIn := dropIn(t, "/usr/bin/tbot-telemetry")
	for _, tt := range []struct{ arch, rpmArch string }{{"amd64", "x86_64"}, {"arm64", "aarch64"}} {
		for _, format := range []string{"deb", "rpm"} {
			name := "tbot-telemetry-" + version + "-linux-" + tt.arch + "." + format
			t.Run(name, func(t *testing.T) {
				data, err := os.ReadFile(filepath.Join(first, name))
				if err != nil {
					t.Fatal(err)
				}
				var files map[string]entry
				var meta map[string]string
				if format == "deb" {
					files, meta = readDeb(t, data)
					if meta["Package"] != "tbot-telemetry" || meta["Version"] != "1.2.3+4.gabcdef0" || meta["Architecture"] != tt.arch {
						t.Errorf("control %v", meta)
					}
				} else {
					files, meta = readRPM(t, data)
					if meta["name"] != "tbot-telemetry" || meta["version"] != "1.2.3+4.gabcdef0" || meta["arch"] != tt.rpmArch {
						t.Errorf("header %v", meta)
					}
				}
				if len(files) != 2 {
					t.Errorf("files %v, want the binary and the drop-in only (nothing in /etc: not enabled)", keys(files))
				}
				if f, ok := files["/usr/bin/tbot-telemetry"]; !ok || f.mode != 0o755 || !bytes.Equal(f.data, bin) || f.mtime != epoch {
					t.Errorf("/usr/bin/tbot-telemetry: present %v, mode %v, mtime %d, the binary: %v", ok, f.mode, f.mtime, bytes.Equal(f.data, bin))
				}
				const unit = "/usr/share/tbot-telemetry/tbot.service.d/telemetry.conf"
				if f, ok := files[unit]; !ok || f.mode != 0o644 || string(f.data) != wantDropIn || f.mtime != epoch {
					t.Errorf("%s: present %v, mode %v, mtime %d:\n%s", unit, ok, f.mode, f.mtime, f.data)
				}
			})
		}
	}
	// Debian's own tool, where there is one, lists the same.
	if dpkgDeb, err := exec.LookPath("dpkg-deb"); err == nil {
		out, err := exec.Command(dpkgDeb, "-c", filepath.Join(first, "tbot-telemetry-"+version+"-linux-amd64.deb")).Output()
		if err != nil || !strings.Contains(string(out), "./usr/bin/tbot-telemetry\n") || !strings.Contains(string(out), "./usr/share/tbot-telemetry/tbot.service.d/telemetry.conf\n") {
			t.Errorf("dpkg-deb -c: %v\n%s", err, out)
		}
	}
}

func keys(m map[string]entry) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// readDeb reads a .deb: an ar archive of debian-binary, control.tar.gz and
// data.tar.gz. It returns the regular files of data.tar.gz and the control
// file's fields.
func readDeb(t *testing.T, data []byte) (map[string]entry, map[string]string) {
	t.Helper()
	if !bytes.HasPrefix(data, []byte("!<arch>\n")) {
		t.Fatal("not an ar archive")
	}
	members := map[string][]byte{}
	for rest := data[8:]; len(rest) >= 60; {
		name := strings.TrimSuffix(strings.TrimSpace(string(rest[:16])), "/")
		size, err := strconv.Atoi(strings.TrimSpace(string(rest[48:58])))
		if err != nil || 60+size > len(rest) {
			t.Fatalf("bad ar member header %q", rest[:60])
		}
		members[name] = rest[60 : 60+size]
		rest = rest[60+size+size%2:]
	}
	if string(members["debian-binary"]) != "2.0\n" {
		t.Errorf("debian-binary %q", members["debian-binary"])
	}
	control := readTarGz(t, members["control.tar.gz"])
	meta := map[string]string{}
	for _, line := range strings.Split(string(control["/control"].data), "\n") {
		if k, v, ok := strings.Cut(line, ": "); ok && !strings.HasPrefix(line, " ") {
			meta[k] = v
		}
	}
	return readTarGz(t, members["data.tar.gz"]), meta
}

func readTarGz(t *testing.T, data []byte) map[string]entry {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]entry{}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[strings.TrimPrefix(h.Name, ".")] = entry{mode: fs.FileMode(h.Mode) & fs.ModePerm, mtime: h.ModTime.Unix(), data: body}
	}
}

// readRPM reads an .rpm: a 96-byte lead, the signature header (padded to 8
// bytes), the main header, and a gzip'd cpio (newc) payload. It returns the
// payload's regular files and the main header's name, version and arch.
func readRPM(t *testing.T, data []byte) (map[string]entry, map[string]string) {
	t.Helper()
	if len(data) < 96 || !bytes.Equal(data[:4], []byte{0xed, 0xab, 0xee, 0xdb}) {
		t.Fatal("no rpm lead")
	}
	rest := data[96:]
	header := func(pad bool) (index, store []byte) {
		if len(rest) < 16 || !bytes.Equal(rest[:3], []byte{0x8e, 0xad, 0xe8}) {
			t.Fatal("no rpm header")
		}
		n, size := int(binary.BigEndian.Uint32(rest[8:12])), int(binary.BigEndian.Uint32(rest[12:16]))
		end := 16 + 16*n + size
		if end > len(rest) {
			t.Fatal("rpm header past the end")
		}
		index, store = rest[16:16+16*n], rest[16+16*n:end]
		if pad && end%8 != 0 {
			end += 8 - end%8
		}
		rest = rest[end:]
		return index, store
	}
	header(true) // the signature
	index, store := header(false)
	meta := map[string]string{}
	names := map[uint32]string{1000: "name", 1001: "version", 1022: "arch"}
	for i := 0; i+16 <= len(index); i += 16 {
		tag, typ, off := binary.BigEndian.Uint32(index[i:]), binary.BigEndian.Uint32(index[i+4:]), binary.BigEndian.Uint32(index[i+8:])
		if name, ok := names[tag]; ok && typ == 6 && int(off) < len(store) {
			s, _, _ := bytes.Cut(store[off:], []byte{0})
			meta[name] = string(s)
		}
	}
	zr, err := gzip.NewReader(bytes.NewReader(rest))
	if err != nil {
		t.Fatalf("payload: %v", err)
	}
	return readCpio(t, bufio.NewReader(zr)), meta
}

// readCpio reads cpio's "newc" format: a 110-byte ASCII header, the name,
// and the data, each padded to 4 bytes, up to TRAILER!!!.
func readCpio(t *testing.T, r *bufio.Reader) map[string]entry {
	t.Helper()
	files := map[string]entry{}
	read := func(n int) []byte {
		b := make([]byte, n)
		if _, err := io.ReadFull(r, b); err != nil {
			t.Fatalf("cpio: %v", err)
		}
		return b
	}
	field := func(h []byte, i int) int64 {
		v, err := strconv.ParseInt(string(h[6+8*i:6+8*i+8]), 16, 64)
		if err != nil {
			t.Fatalf("cpio header %q", h)
		}
		return v
	}
	for {
		h := read(110)
		if string(h[:6]) != "070701" {
			t.Fatalf("cpio magic %q", h[:6])
		}
		mode, mtime, size, nameSize := field(h, 1), field(h, 5), field(h, 6), field(h, 11)
		name := strings.TrimSuffix(string(read(int(nameSize))), "\x00")
		read(int((4 - (110+nameSize)%4) % 4))
		if name == "TRAILER!!!" {
			return files
		}
		body := read(int(size))
		read(int((4 - size%4) % 4))
		if mode&0o170000 == 0o100000 {
			files["/"+strings.TrimPrefix(strings.TrimPrefix(name, "."), "/")] = entry{mode: fs.FileMode(mode) & fs.ModePerm, mtime: mtime, data: body}
		}
	}
}

// The package version that deb and rpm get for what git describe says.
func TestPackageVersion(t *testing.T) {
	for version, want := range map[string]string{
		"v1.2.3":                  "1.2.3",
		"v0.3.0-5-gabc1234":       "0.3.0+5.gabc1234",
		"v0.3.0-5-gabc1234-dirty": "0.3.0+5.gabc1234.dirty",
		"v1.2.3-dirty":            "1.2.3+dirty",
		"v1.2.3-rc.1":             "1.2.3~rc.1",
		"v1.2.3-rc.1-2-gabc1234":  "1.2.3~rc.1+2.gabc1234",
		"d43fef5":                 "0.0.0+d43fef5",
		"6fd1431-dirty":           "0.0.0+6fd1431.dirty", // a commit that starts with a digit
		"dev":                     "0.0.0+dev",
	} {
		got := makeAt(t, "print-package-version", "VERSION="+version)
		if strings.TrimSpace(got) != want {
			t.Errorf("VERSION=%s: package version %q, want %q", version, strings.TrimSpace(got), want)
		}
	}
}
