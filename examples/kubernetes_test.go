package examples

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
)

// The Kubernetes recipes that use Teleport's own tbot image: a Deployment
// whose init container fetches tbot-telemetry into an emptyDir, and values
// for Teleport's tbot chart with an image built on Teleport's. No cluster
// is at hand: the tests read the manifests, then run what their
// containers would run (the init container's script, the tbot container's
// command) against a release and a collector on loopback and a stand-in
// tbot.

// release is a tbot-telemetry release on loopback, in the layout of make
// release's dist/ under <version>/.
type release struct {
	URL, Version, File string
}

// releaseVariant is what a test serves as the release.
type releaseVariant int

const (
	goodRelease     releaseVariant = iota
	changedBinary                  // a binary that SHA256SUMS does not vouch for
	noLineForBinary                // SHA256SUMS without the binary's line
)

// writeFile writes content to path, making its directories.
func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func serveRelease(t *testing.T, version string, variant releaseVariant) release {
	t.Helper()
	file := "tbot-telemetry-" + version + "-linux-" + runtime.GOARCH
	bin, err := os.ReadFile(builtBinary())
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(bin)
	sums := hex.EncodeToString(sum[:]) + "  " + file + "\n"
	switch variant {
	case changedBinary:
		bin = append(bin, 0)
	case noLineForBinary:
		sums = strings.Replace(sums, file, file+".deb", 1)
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, version, file), string(bin))
	writeFile(t, filepath.Join(dir, version, "SHA256SUMS"), sums)
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)
	return release{URL: srv.URL, Version: version, File: file}
}

// shellForImage runs a script as busybox's sh would, with busybox where
// this machine has it (its wget and sha256sum), else the system's sh.
func shellForImage() []string {
	if busybox, err := exec.LookPath("busybox"); err == nil {
		return []string{busybox, "sh"}
	}
	return []string{"/bin/sh"}
}

type k8sEnvVar struct {
	Name  string `yaml:"name"`
	Value string `yaml:"value"`
}

type k8sMount struct {
	Name      string `yaml:"name"`
	MountPath string `yaml:"mountPath"`
	ReadOnly  bool   `yaml:"readOnly"`
}

type k8sContainer struct {
	Name         string      `yaml:"name"`
	Image        string      `yaml:"image"`
	Command      []string    `yaml:"command"`
	Args         []string    `yaml:"args"`
	Env          []k8sEnvVar `yaml:"env"`
	VolumeMounts []k8sMount  `yaml:"volumeMounts"`
}

func (c k8sContainer) mount(volume string) (k8sMount, bool) {
	for _, m := range c.VolumeMounts {
		if m.Name == volume {
			return m, true
		}
	}
	return k8sMount{}, false
}

func (c k8sContainer) env() []string {
	var env []string
	for _, e := range c.Env {
		if e.Value != "" {
			env = append(env, e.Name+"="+e.Value)
		}
	}
	return env
}

// deployment is the part of an apps/v1 Deployment the recipe uses.
type deployment struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Spec       struct {
		Replicas int `yaml:"replicas"`
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		Template struct {
			Metadata struct {
				Labels map[string]string `yaml:"labels"`
			} `yaml:"metadata"`
			Spec struct {
				InitContainers []k8sContainer `yaml:"initContainers"`
				Containers     []k8sContainer `yaml:"containers"`
				Volumes        []struct {
					Name      string    `yaml:"name"`
					EmptyDir  *struct{} `yaml:"emptyDir"`
					ConfigMap *struct {
						Name string `yaml:"name"`
					} `yaml:"configMap"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

func TestKubernetesDeployment(t *testing.T) {
	var d deployment
	if err := yaml.Unmarshal([]byte(testsupport.ReadFile(t, "kubernetes/deployment.yaml")), &d); err != nil {
		t.Fatalf("not YAML: %v", err)
	}
	if d.APIVersion != "apps/v1" || d.Kind != "Deployment" || d.Spec.Replicas != 1 {
		t.Fatalf("%s %s with %d replicas; want one apps/v1 Deployment replica", d.APIVersion, d.Kind, d.Spec.Replicas)
	}
	for k, v := range d.Spec.Selector.MatchLabels {
		if d.Spec.Template.Metadata.Labels[k] != v {
			t.Errorf("the selector's %s=%s is not on the pod template", k, v)
		}
	}
	pod := d.Spec.Template.Spec
	if len(pod.InitContainers) != 1 || len(pod.Containers) != 1 {
		t.Fatalf("%d init containers and %d containers; want one of each", len(pod.InitContainers), len(pod.Containers))
	}
	initC, tbotC := pod.InitContainers[0], pod.Containers[0]
	emptyDirs := map[string]bool{}
	for _, v := range pod.Volumes {
		emptyDirs[v.Name] = v.EmptyDir != nil
	}
	into, ok := initC.mount("telemetry")
	from, ok2 := tbotC.mount("telemetry")
	if !ok || !ok2 || !emptyDirs["telemetry"] || into.MountPath != from.MountPath || !from.ReadOnly {
		t.Fatalf("the init container and tbot must share the emptyDir volume telemetry (read-only for tbot): %v %v", into, from)
	}
	if !strings.HasPrefix(initC.Image, "busybox:") || len(initC.Command) != 3 || initC.Command[0] != "sh" || initC.Command[1] != "-ec" {
		t.Fatalf("init container %s runs %q; want busybox running one sh -ec script", initC.Image, initC.Command)
	}
	if !strings.HasPrefix(tbotC.Image, "public.ecr.aws/gravitational/tbot-distroless:") {
		t.Errorf("tbot's image %s is not Teleport's own", tbotC.Image)
	}
	wantCommand := []string{from.MountPath + "/tbot-telemetry", "exec", "--", "/usr/local/bin/tbot"}
	if !slices.Equal(tbotC.Command, wantCommand) || len(tbotC.Args) == 0 || tbotC.Args[0] != "start" {
		t.Fatalf("tbot's command %q args %q; want %q then tbot's start", tbotC.Command, tbotC.Args, wantCommand)
	}
	if !slices.Contains(tbotC.env(), "TELEPORT_ANONYMOUS_TELEMETRY=1") {
		t.Errorf("env %q: the opt-in is missing", tbotC.env())
	}
	config, ok := tbotC.mount("config")
	if !ok || !slices.Contains(tbotC.Args, config.MountPath+"/tbot.yaml") {
		t.Errorf("the config file is not on the config volume")
	}

	// The init container's script, into a directory standing for the
	// emptyDir: only a release that SHA256SUMS vouches for gets there.
	runInit := func(t *testing.T, variant releaseVariant) (string, testsupport.Result) {
		rel := serveRelease(t, "v1.2.3", variant)
		emptyDir := t.TempDir()
		script := strings.ReplaceAll(initC.Command[2], into.MountPath+"/", emptyDir+"/")
		env := append(initC.env(), pathWith(), "TBOT_TELEMETRY_VERSION="+rel.Version, "TBOT_TELEMETRY_RELEASES="+rel.URL)
		res := runCommand(t, env, append(shellForImage(), "-ec", script)...)
		return filepath.Join(emptyDir, "tbot-telemetry"), res
	}
	for _, variant := range []releaseVariant{changedBinary, noLineForBinary} {
		if path, res := runInit(t, variant); res.Code == 0 {
			t.Errorf("variant %d: the init container succeeded", variant)
		} else if _, err := os.Stat(path); err == nil {
			t.Errorf("variant %d: a binary that SHA256SUMS does not vouch for was installed", variant)
		}
	}
	installed, res := runInit(t, goodRelease)
	if res.Code != 0 {
		t.Fatalf("init container: exit %d\n%s%s", res.Code, res.Stdout, res.Stderr)
	}

	// The tbot container's command, with the emptyDir's binary.
	cfg, tbot, c := tbotConfig(t), newFakeTbot(t, "exit 0"), testsupport.StartService(t)
	argv := replaceAll(append(append([]string{}, tbotC.Command...), tbotC.Args...), map[string]string{
		wantCommand[0]: installed, "/usr/local/bin/tbot": tbot.path, config.MountPath + "/tbot.yaml": cfg,
	})
	res = runCommand(t, append(tbotC.env(), pathWith(), "TELEPORT_ANONYMOUS_TELEMETRY_ADDRESS="+c.URL), argv...)
	if res.Code != 0 {
		t.Fatalf("exit %d\n%s", res.Code, res.Stderr)
	}
	if args, telemetry := tbot.saw(t); telemetry != "0" || !strings.HasPrefix(args, "start -c "+cfg) {
		t.Errorf("tbot got %q with telemetry %q; want its start with 0", args, telemetry)
	}
	if ev := c.OnlyEvent(t).GetStart(); ev.GetJoinType() != "kubernetes" || ev.GetVersion() != "19.1.0" {
		t.Errorf("event %v", ev)
	}
	for _, line := range strings.Split(strings.TrimSpace(res.Stderr), "\n") {
		if line != "" && !json.Valid([]byte(line)) {
			t.Errorf("log line is not JSON (tbot's --log-format json): %s", line)
		}
	}
}

// chartValues are the keys of Teleport's tbot chart's values.yaml
// (examples/chart/tbot in gravitational/teleport): a snippet may set only
// these.
var chartValues = []string{"image", "clusterName", "nameOverride", "fullnameOverride", "teleportAuthAddress",
	"teleportProxyAddress", "defaultOutput", "customConfig", "outputs", "services", "joinMethod", "token",
	"teleportVersionOverride", "anonymousTelemetry", "debug", "serviceAccount", "imagePullPolicy", "extraLabels",
	"annotations", "resources", "affinity", "tolerations", "nodeSelector", "imagePullSecrets", "extraVolumes",
	"extraVolumeMounts", "extraArgs", "extraEnv"}

// The arguments the chart's Deployment gives the image (after its
// entrypoint), with debug off and no extraArgs.
var chartArgs = []string{"start", "-c", "/config/tbot.yaml", "--log-format", "json", "--diag-addr", "0.0.0.0:3001"}

func TestHelmValuesAndImage(t *testing.T) {
	var values map[string]any
	if err := yaml.Unmarshal([]byte(testsupport.ReadFile(t, "kubernetes/helm-values.yaml")), &values); err != nil {
		t.Fatalf("not YAML: %v", err)
	}
	for k := range values {
		if !slices.Contains(chartValues, k) {
			t.Errorf("the chart has no value %q", k)
		}
	}
	image, _ := values["image"].(string)
	if image == "" || strings.Contains(image[strings.LastIndex(image, "/")+1:], ":") {
		t.Errorf("image %q: want a repository without a tag (the chart adds its version)", image)
	}
	if values["anonymousTelemetry"] != true {
		t.Errorf("anonymousTelemetry %v: the chart's opt-in is off", values["anonymousTelemetry"])
	}

	text := strings.ReplaceAll(testsupport.ReadFile(t, "kubernetes/Dockerfile.tbot"), "\\\n", "")
	d := parseDockerfile(t, text)
	if len(d.froms) != 2 || !strings.HasPrefix(d.froms[1], "public.ecr.aws/gravitational/tbot-distroless:") {
		t.Fatalf("FROM %q: want a fetch stage, then Teleport's own tbot image", d.froms)
	}
	want := []string{"/usr/local/bin/tbot-telemetry", "exec", "--", "/usr/local/bin/tbot"}
	if !slices.Equal(d.entrypoint, want) || len(d.cmd) != 0 {
		t.Fatalf("ENTRYPOINT %q CMD %q; want %q and the chart's arguments after it", d.entrypoint, d.cmd, want)
	}
	if len(d.copies) != 1 || !strings.HasSuffix(d.copies[0], " "+want[0]) || len(d.runs) != 1 {
		t.Fatalf("COPY %q RUN %q: want the fetched binary copied to %s", d.copies, d.runs, want[0])
	}
	fetched := strings.Fields(d.copies[0])[1] // COPY --from=fetch SRC DST

	// The fetch stage's RUN, with the build's arguments as docker would
	// give them: only a release that SHA256SUMS vouches for is copied.
	fetch := func(t *testing.T, variant releaseVariant) (string, testsupport.Result) {
		rel := serveRelease(t, "v1.2.3", variant)
		out := t.TempDir()
		script := strings.ReplaceAll(d.runs[0], filepath.Dir(fetched)+"/", out+"/")
		script = strings.ReplaceAll(script, "mkdir -p "+filepath.Dir(fetched), "mkdir -p "+out)
		env := []string{pathWith(), "TARGETARCH=" + runtime.GOARCH, "TBOT_TELEMETRY_VERSION=" + rel.Version, "TBOT_TELEMETRY_RELEASES=" + rel.URL}
		res := runCommand(t, env, append(shellForImage(), "-c", script)...)
		return filepath.Join(out, filepath.Base(fetched)), res
	}
	for _, variant := range []releaseVariant{changedBinary, noLineForBinary} {
		if path, res := fetch(t, variant); res.Code == 0 {
			t.Errorf("variant %d: the fetch stage succeeded", variant)
		} else if _, err := os.Stat(path); err == nil {
			t.Errorf("variant %d: a binary that SHA256SUMS does not vouch for was copied", variant)
		}
	}
	bin, res := fetch(t, goodRelease)
	if res.Code != 0 {
		t.Fatalf("fetch stage: exit %d\n%s%s", res.Code, res.Stdout, res.Stderr)
	}

	// The image's entrypoint with the chart's arguments and its opt-in.
	cfg, tbot, c := tbotConfig(t), newFakeTbot(t, "exit 0"), testsupport.StartService(t)
	argv := replaceAll(append(append([]string{}, d.entrypoint...), chartArgs...), map[string]string{
		want[0]: bin, want[3]: tbot.path, "/config/tbot.yaml": cfg,
	})
	res = runCommand(t, []string{pathWith(), "TELEPORT_ANONYMOUS_TELEMETRY=1", "TELEPORT_ANONYMOUS_TELEMETRY_ADDRESS=" + c.URL}, argv...)
	if res.Code != 0 {
		t.Fatalf("exit %d\n%s", res.Code, res.Stderr)
	}
	if _, telemetry := tbot.saw(t); telemetry != "0" {
		t.Errorf("tbot got telemetry %q, want 0", telemetry)
	}
	if ev := c.OnlyEvent(t).GetStart(); ev.GetJoinType() != "kubernetes" {
		t.Errorf("event %v", ev)
	}
}
