package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"text/template"
	"time"

	"github.com/spf13/cobra"
)

// k8sFlags configure the manifests of a distributed test on Kubernetes.
type k8sFlags struct {
	parallelism int
	script      string
	name        string
	image       string
	startIn     time.Duration
	startAt     string
	outs        []string
	env         []string
	storage     string
}

func newK8sManifestsCommand(e *env) *cobra.Command {
	f := &k8sFlags{}
	cmd := &cobra.Command{
		Use:   "k8s-manifests --parallelism N --script FILE [flags]",
		Short: "Print Kubernetes manifests that run a script as N segment pods and merge their results",
		Long: `k8s-manifests prints, as one YAML stream for kubectl apply -f -:
  - a ConfigMap holding the script;
  - a PersistentVolumeClaim (ReadWriteMany) where the pods leave their summary exports;
  - an Indexed Job of N pods, pod i running the segment i/N:(i+1)/N from the
    common --start-at time (now + --start-in when printed);
  - a Job that waits for the N exports, runs throng merge, and whose exit
    code is the test's verdict (0 passed, 99 a threshold failed).
Print the manifests just before applying them: the start time is fixed then.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return writeK8sManifests(e.stdout, f, time.Now()) },
	}
	fl := cmd.Flags()
	fl.IntVar(&f.parallelism, "parallelism", 0, "number of pods, each running 1/N of the test (required)")
	fl.StringVar(&f.script, "script", "", "the test script, put in the ConfigMap (required; one self-contained file)")
	fl.StringVar(&f.name, "name", "throng", "prefix of the resources' names")
	fl.StringVar(&f.image, "image", "throng:latest", "container image holding the throng binary and a POSIX sh (see examples/k8s/Dockerfile)")
	fl.DurationVar(&f.startIn, "start-in", 90*time.Second, "how long after printing the pods start the test together (time to schedule them)")
	fl.StringVar(&f.startAt, "start-at", "", "the RFC 3339 time the pods start the test together (instead of --start-in), or "+startAtPlaceholder+" to fill in later")
	fl.StringArrayVarP(&f.outs, "out", "o", nil, "an output for every pod, e.g. influxdb=http://influxdb:8086/throng (repeatable)")
	fl.StringArrayVarP(&f.env, "env", "e", nil, "KEY=VALUE for __ENV in every pod (repeatable)")
	fl.StringVar(&f.storage, "storage", "1Gi", "size of the results volume")
	return cmd
}

var (
	k8sName      = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	configMapKey = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)
)

// startAtPlaceholder stands for the start time in manifests kept in a
// repository, to be replaced just before applying them.
const startAtPlaceholder = "__START_AT__"

// k8sData is what the template fills in.
type k8sData struct {
	Name, Image, Storage, ScriptName, StartAt, Sequence string
	Script                                              []string // lines
	N                                                   int
	RunArgs                                             string // quoted for sh
}

func writeK8sManifests(w io.Writer, f *k8sFlags, now time.Time) error {
	if f.parallelism < 1 || f.parallelism > 1000 {
		return invalidConfig("--parallelism %d: want 1 to 1000 pods", f.parallelism)
	}
	if !k8sName.MatchString(f.name) || len(f.name) > 40 {
		return invalidConfig("--name %q: want lowercase letters, digits and '-', at most 40", f.name)
	}
	if f.script == "" {
		return invalidConfig("--script is required")
	}
	src, err := os.ReadFile(f.script)
	if err != nil {
		return invalidConfig("--script: %v", err)
	}
	if _, err := keyValues("-e/--env", f.env); err != nil {
		return err
	}
	if base := filepath.Base(f.script); !configMapKey.MatchString(base) {
		return invalidConfig("--script %q: a ConfigMap key holds only letters, digits, '-', '_' and '.'; rename the file", base)
	}
	startAt := now.Add(f.startIn).UTC().Format(time.RFC3339)
	if f.startAt != "" {
		if _, err := time.Parse(time.RFC3339, f.startAt); err != nil && f.startAt != startAtPlaceholder {
			return invalidConfig("--start-at %q: want an RFC 3339 time such as 2026-11-24T10:00:00Z, or %s", f.startAt, startAtPlaceholder)
		}
		startAt = f.startAt
	}
	d := k8sData{
		Name: f.name, Image: f.image, Storage: f.storage, N: f.parallelism,
		ScriptName: filepath.Base(f.script),
		StartAt:    startAt,
		Sequence:   evenSequenceText(f.parallelism),
		Script:     strings.Split(strings.TrimRight(string(src), "\n"), "\n"),
	}
	var args []string
	for _, o := range f.outs {
		args = append(args, "-o", shellQuote(o))
	}
	for _, kv := range f.env {
		args = append(args, "-e", shellQuote(kv))
	}
	d.RunArgs = strings.Join(args, " ")
	return k8sTemplate.Execute(w, d)
}

// evenSequenceText is 0,1/N,…,1.
func evenSequenceText(n int) string {
	parts := []string{"0"}
	for i := 1; i < n; i++ {
		parts = append(parts, fmt.Sprintf("%d/%d", i, n))
	}
	return strings.Join(append(parts, "1"), ",")
}

// shellQuote quotes s for sh, in single quotes.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// yamlQuote quotes s as a YAML double-quoted scalar (JSON's escapes are
// YAML's).
func yamlQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

var k8sTemplate = template.Must(template.New("k8s").Funcs(template.FuncMap{"q": yamlQuote}).Parse(`# Generated by throng k8s-manifests: {{.N}} pods, each running 1/{{.N}} of the test
# from {{.StartAt}}, then one merge whose exit code is the verdict.
# Apply before {{.StartAt}}: kubectl apply -f THIS_FILE
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{.Name}}-script
  labels: {app.kubernetes.io/name: throng, app.kubernetes.io/instance: {{.Name}}}
data:
  {{.ScriptName}}: |
{{- range .Script}}
    {{.}}
{{- end}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: {{.Name}}-results
  labels: {app.kubernetes.io/name: throng, app.kubernetes.io/instance: {{.Name}}}
spec:
  accessModes: [ReadWriteMany]
  resources:
    requests:
      storage: {{.Storage}}
---
# Pod i (JOB_COMPLETION_INDEX) runs the segment i/N:(i+1)/N of the sequence;
# pod 0 alone runs setup() and teardown(). A threshold that fails in one
# pod (exit 99) does not fail it: the merge judges the whole.
apiVersion: batch/v1
kind: Job
metadata:
  name: {{.Name}}-instances
  labels: {app.kubernetes.io/name: throng, app.kubernetes.io/instance: {{.Name}}}
spec:
  completionMode: Indexed
  completions: {{.N}}
  parallelism: {{.N}}
  backoffLimit: 0
  template:
    metadata:
      labels: {app.kubernetes.io/name: throng, app.kubernetes.io/instance: {{.Name}}, throng/role: instance}
    spec:
      restartPolicy: Never
      containers:
        - name: throng
          image: {{q .Image}}
          env:
            - name: PODS
              value: {{q (printf "%d" .N)}}
            - name: THRONG_START_AT
              value: {{q .StartAt}}
            - name: THRONG_EXECUTION_SEGMENT_SEQUENCE
              value: {{q .Sequence}}
            - name: POD_NAME
              valueFrom:
                fieldRef: {fieldPath: metadata.name}
          command: ["/bin/sh", "-c"]
          args:
            - |
              i=$JOB_COMPLETION_INDEX
              lifecycle=""
              if [ "$i" -gt 0 ]; then lifecycle="--no-setup --no-teardown"; fi
              throng run --execution-segment "$i/$PODS:$((i + 1))/$PODS" --instance-id "$POD_NAME" $lifecycle \
                --summary-export "/results/part-$i.json" {{.RunArgs}} /scripts/{{.ScriptName}}
              code=$?
              if [ "$code" -eq 99 ]; then code=0; fi
              exit $code
          volumeMounts:
            - {name: script, mountPath: /scripts, readOnly: true}
            - {name: results, mountPath: /results}
      volumes:
        - name: script
          configMap: {name: {{.Name}}-script}
        - name: results
          persistentVolumeClaim: {claimName: {{.Name}}-results}
---
# Waits for the N summary exports, merges them and judges the thresholds:
# this Job succeeds when the test passed. kubectl wait --for=condition=complete
# job/{{.Name}}-merge; its log is the summary.
apiVersion: batch/v1
kind: Job
metadata:
  name: {{.Name}}-merge
  labels: {app.kubernetes.io/name: throng, app.kubernetes.io/instance: {{.Name}}}
spec:
  backoffLimit: 0
  activeDeadlineSeconds: 86400
  template:
    metadata:
      labels: {app.kubernetes.io/name: throng, app.kubernetes.io/instance: {{.Name}}, throng/role: merge}
    spec:
      restartPolicy: Never
      containers:
        - name: merge
          image: {{q .Image}}
          env:
            - name: PODS
              value: {{q (printf "%d" .N)}}
          command: ["/bin/sh", "-c"]
          args:
            - |
              until [ "$(ls /results/part-*.json 2>/dev/null | wc -l)" -ge "$PODS" ]; do sleep 5; done
              exec throng merge --summary-export /results/merged.json --junit /results/junit.xml /results/part-*.json
          volumeMounts:
            - {name: results, mountPath: /results}
      volumes:
        - name: results
          persistentVolumeClaim: {claimName: {{.Name}}-results}
`))
