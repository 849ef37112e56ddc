package k8s

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

// manifests are the objects of one YAML stream, decoded strictly: an
// unknown or misspelt field, a duplicate key or a wrong type fails, as
// kubectl apply --dry-run=client would.
type manifests struct {
	script    *corev1.ConfigMap
	results   *corev1.PersistentVolumeClaim
	instances *batchv1.Job
	merge     *batchv1.Job
}

var docSeparator = regexp.MustCompile(`(?m)^---\s*$`)

func decode(t *testing.T, stream []byte) manifests {
	t.Helper()
	var m manifests
	for i, doc := range docSeparator.Split(string(stream), -1) {
		var head metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
			t.Fatalf("document %d: %v", i, err)
		}
		var obj interface{ GetName() string }
		switch head.APIVersion + " " + head.Kind {
		case "v1 ConfigMap":
			m.script = &corev1.ConfigMap{}
			obj = m.script
		case "v1 PersistentVolumeClaim":
			m.results = &corev1.PersistentVolumeClaim{}
			obj = m.results
		case "batch/v1 Job":
			obj = &batchv1.Job{}
		default:
			t.Fatalf("document %d: unexpected %q %q", i, head.APIVersion, head.Kind)
		}
		if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
			t.Fatalf("document %d (%s): %v", i, head.Kind, err)
		}
		if j, ok := obj.(*batchv1.Job); ok && j.Spec.CompletionMode != nil {
			m.instances = j
		} else if ok {
			m.merge = j
		}
		if errs := validation.IsDNS1123Subdomain(obj.GetName()); len(errs) > 0 {
			t.Errorf("%s name %q: %v", head.Kind, obj.GetName(), errs)
		}
	}
	return m
}

// check verifies what makes the manifests one distributed test of n pods.
func (m manifests) check(t *testing.T, n int32) {
	t.Helper()
	if m.script == nil || m.results == nil || m.instances == nil || m.merge == nil {
		t.Fatalf("want a ConfigMap, a PVC and two Jobs, got %+v", m)
	}
	in := m.instances.Spec
	if in.CompletionMode == nil || *in.CompletionMode != batchv1.IndexedCompletion ||
		in.Completions == nil || *in.Completions != n || in.Parallelism == nil || *in.Parallelism != n {
		t.Errorf("instances Job: want an Indexed Job of %d completions, all in parallel", n)
	}
	if got := m.results.Spec.AccessModes; len(got) != 1 || got[0] != corev1.ReadWriteMany {
		t.Errorf("results PVC access modes %v, want ReadWriteMany: pods on several nodes write to it", got)
	}
	for _, j := range []*batchv1.Job{m.instances, m.merge} {
		pod := j.Spec.Template.Spec
		if pod.RestartPolicy != corev1.RestartPolicyNever {
			t.Errorf("%s: restartPolicy %q, want Never", j.Name, pod.RestartPolicy)
		}
		claimed := false
		for _, v := range pod.Volumes {
			if v.PersistentVolumeClaim != nil {
				claimed = v.PersistentVolumeClaim.ClaimName == m.results.Name
			}
			if v.ConfigMap != nil && v.ConfigMap.Name != m.script.Name {
				t.Errorf("%s mounts ConfigMap %q, not %q", j.Name, v.ConfigMap.Name, m.script.Name)
			}
		}
		if !claimed {
			t.Errorf("%s does not mount the results claim %s", j.Name, m.results.Name)
		}
	}
}

func TestCommittedManifests(t *testing.T) {
	raw, err := os.ReadFile("eventstore-load.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m := decode(t, raw)
	m.check(t, 4)
	script, err := os.ReadFile("../eventstore/scenario.js")
	if err != nil {
		t.Fatal(err)
	}
	if got := m.script.Data["scenario.js"]; got != string(script) {
		t.Errorf("the ConfigMap's scenario.js differs from examples/eventstore/scenario.js: regenerate eventstore-load.yaml (see README)")
	}
}

// TestPodStepsRunLocally plays the two Jobs on this machine: the pods'
// shell steps run with the real throng binary, /scripts and /results
// pointing at folders, against a loopback server. The instances must
// split the work exactly, run setup and teardown once, and the merge
// step's exit code must be the verdict: 0, or 99 when a threshold of the
// whole fails although each pod passed its own.
func TestPodStepsRunLocally(t *testing.T) {
	if testing.Short() {
		t.Skip("builds throng and runs it as four processes per case")
	}
	bin := buildThrong(t)
	for _, c := range []struct {
		name      string
		threshold string
		wantCode  int
	}{
		{"passes", "count==60", 0},
		// Each pod makes 20 requests, under 25; the whole makes 60.
		{"fails as a whole", "count<25", 99},
	} {
		t.Run(c.name, func(t *testing.T) {
			var work, setups, teardowns atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				map[string]*atomic.Int64{"/work": &work, "/setup": &setups, "/teardown": &teardowns}[r.URL.Path].Add(1)
			}))
			defer srv.Close()
			dir := t.TempDir()
			script := filepath.Join(dir, "load.js")
			writeFile(t, script, fmt.Sprintf(`import http from 'k6/http';
export const options = {
  scenarios: { load: { executor: 'per-vu-iterations', vus: 6, iterations: 10 } },
  thresholds: { 'http_reqs{scenario:load}': ['%s'] },
};
export function setup() { http.get(__ENV.BASE + '/setup'); }
export default function () { http.get(__ENV.BASE + '/work'); }
export function teardown() { http.get(__ENV.BASE + '/teardown'); }
`, c.threshold))
			out, err := exec.Command(bin, "k8s-manifests", "--parallelism", "3", "--script", script, "--start-in", "2s",
				"--name", "local", "-e", "BASE="+srv.URL).Output()
			if err != nil {
				t.Fatalf("k8s-manifests: %v", err)
			}
			m := decode(t, out)
			m.check(t, 3)
			root := filepath.Join(dir, "pod")
			for key, content := range m.script.Data {
				writeFile(t, filepath.Join(root, "scripts", key), content)
			}
			if err := os.MkdirAll(filepath.Join(root, "results"), 0o755); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			for i := range 3 {
				wg.Go(func() {
					if code, log := runStep(t, m.instances, root, bin, i); code != 0 {
						t.Errorf("pod %d exited %d:\n%s", i, code, log)
					}
				})
			}
			wg.Wait()
			if work.Load() != 60 || setups.Load() != 1 || teardowns.Load() != 1 {
				t.Errorf("the pods made %d requests, %d setups, %d teardowns; want 60, 1, 1", work.Load(), setups.Load(), teardowns.Load())
			}
			if t.Failed() {
				return // the merge step would wait for exports forever
			}
			code, log := runStep(t, m.merge, root, bin, -1)
			if code != c.wantCode || !strings.Contains(log, "http_reqs") {
				t.Errorf("merge step exited %d, want %d; output:\n%s", code, c.wantCode, log)
			}
			if _, err := os.Stat(filepath.Join(root, "results", "merged.json")); err != nil {
				t.Errorf("no merged export: %v", err)
			}
		})
	}
}

// runStep runs the shell step of a Job's only container as a pod of it
// would, with the paths moved under root and throng from bin; index is
// the pod's JOB_COMPLETION_INDEX (-1: not an Indexed Job).
func runStep(t *testing.T, j *batchv1.Job, root, bin string, index int) (int, string) {
	t.Helper()
	c := j.Spec.Template.Spec.Containers[0]
	if len(c.Command) != 2 || c.Command[0] != "/bin/sh" || c.Command[1] != "-c" || len(c.Args) != 1 {
		t.Fatalf("%s: want command [/bin/sh -c] with one script argument, got %q %q", j.Name, c.Command, c.Args)
	}
	step := strings.NewReplacer("/results", filepath.Join(root, "results"), "/scripts", filepath.Join(root, "scripts")).Replace(c.Args[0])
	cmd := exec.Command("/bin/sh", "-c", step)
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+":"+os.Getenv("PATH"))
	for _, e := range c.Env {
		v := e.Value
		if e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.name" {
			v = fmt.Sprintf("%s-%d", j.Name, index)
		}
		cmd.Env = append(cmd.Env, e.Name+"="+v)
	}
	if index >= 0 {
		cmd.Env = append(cmd.Env, fmt.Sprintf("JOB_COMPLETION_INDEX=%d", index))
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil && cmd.ProcessState == nil {
		t.Fatalf("%s: %v", j.Name, err)
	}
	return cmd.ProcessState.ExitCode(), out.String()
}

func buildThrong(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "throng")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/throng")
	cmd.Dir = "../.."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
