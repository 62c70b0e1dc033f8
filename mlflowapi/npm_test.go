package mlflowapi

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestNPMClient runs the npm "mlflow" package (testdata/npmclient/client.js, pinned by its
// package-lock.json) against the API: experiments create/get/list, runs
// create/log-metric/log-parameter/log-batch/set-tag/update/get/search, metrics
// get-history and artifacts list must all succeed and read back what was written. It
// installs the package with npm ci into a temporary folder and skips only when node or npm
// is missing.
func TestNPMClient(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: the npm mlflow client test needs node and npm")
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Skip("npm is not installed: the npm mlflow client test needs node and npm")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	for _, f := range []string{"package.json", "package-lock.json", "client.js"} {
		b, err := os.ReadFile(filepath.Join("testdata", "npmclient", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	install := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts")
	install.Dir = dir
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("npm ci: %v\n%s", err, out)
	}

	h := setup(t)
	cmd := exec.CommandContext(ctx, node, "client.js")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "WEIR_MLFLOW_ENDPOINT="+h.srv.URL)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("client.js: %v\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
	}
	line, ok := strings.CutPrefix(strings.TrimSpace(stdout.String()), "RESULT ")
	if !ok {
		t.Fatalf("client.js printed no result: %s\nstderr: %s", stdout.String(), stderr.String())
	}
	var got struct {
		ExperimentID   string   `json:"experiment_id"`
		ExperimentName string   `json:"experiment_name"`
		Experiments    []string `json:"experiments"`
		RunName        string   `json:"run_name"`
		ArtifactURI    string   `json:"artifact_uri"`
		Status         string   `json:"status"`
		Params         []wTag   `json:"params"`
		Latest         [][]any  `json:"latest"`
		Search         []bool   `json:"search"`
		History        [][]any  `json:"history"`
		ArtifactsRoot  string   `json:"artifacts_root"`
		Artifacts      [][]any  `json:"artifacts"`
		Nested         [][]any  `json:"nested"`
	}
	if err := json.Unmarshal([]byte(line), &got); err != nil {
		t.Fatalf("result %s: %v", line, err)
	}
	check := func(what string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %v, want %v", what, got, want)
		}
	}
	check("experiment name", got.ExperimentName, "npm-experiment")
	check("experiments", got.Experiments, []string{"Default", "npm-experiment"})
	check("run name", got.RunName, "npm-run")
	check("status", got.Status, "FINISHED")
	check("params", got.Params, []wTag{{"epochs", "3"}, {"lr", "0.01"}})
	check("latest metrics", got.Latest, [][]any{{"acc", 0.97, 2.0}, {"loss", 0.25, 2.0}})
	check("search", got.Search, []bool{true})
	check("history", got.History, [][]any{{0.9, 0.0}, {0.5, 1.0}, {0.25, 2.0}})
	check("artifacts root", got.ArtifactsRoot, got.ArtifactURI)
	check("artifacts", got.Artifacts, [][]any{{"notes", true, nil}})
	check("nested artifacts", got.Nested, [][]any{{"notes/readme.txt", false, 4.0}})
	if !strings.HasPrefix(got.ArtifactURI, "mlflow-artifacts:/"+got.ExperimentID+"/") {
		t.Errorf("artifact URI %s", got.ArtifactURI)
	}
}
