package monitor_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/weirhq/weir/steps/internal/steptest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("database/sql.(*DB).connectionOpener"))
}

// table writes n rows of x (spread over 0..10, plus shift), flag (0/1) and y = 2x + flag.
func table(n int, shift float64) string {
	var b strings.Builder
	b.WriteString("x,flag,y\n")
	for i := 0; i < n; i++ {
		x := math.Mod(float64(i)*0.6180339887, 1)*10 + shift
		flag := i % 3 % 2
		fmt.Fprintf(&b, "%g,%d,%g\n", x, flag, 2*x+float64(flag))
	}
	return b.String()
}

const dagYAML = `dag_id: drift
tasks:
  - id: train
    model.train: {data: train.csv, target: y, estimator: linear_regression}
  - id: same
    upstream: [train]
    monitor.drift: {model: "{{ outputs.train.model }}", data: train.csv}
  - id: shifted
    upstream: [train]
    monitor.drift: {model: "{{ outputs.train.model }}", data: shifted.csv}
  - id: psi
    upstream: [train]
    monitor.drift: {model: "{{ outputs.train.model }}", data: shifted.csv, stattest: psi, threshold: 0.2, columns: [x], plots: false}
  - id: fail
    upstream: [train]
    monitor.drift: {model: "{{ outputs.train.model }}", data: shifted.csv, fail_on_drift: true, drift_share: 0.5}
  - id: no_column
    upstream: [train]
    monitor.drift: {model: "{{ outputs.train.model }}", data: shifted.csv, columns: [z]}
`

type output struct {
	Drift    bool    `json:"drift"`
	Share    float64 `json:"share"`
	Drifted  int     `json:"drifted"`
	Report   string  `json:"report"`
	Features map[string]struct {
		Type      string  `json:"type"`
		Stattest  string  `json:"stattest"`
		Score     float64 `json:"score"`
		Threshold float64 `json:"threshold"`
		Drift     bool    `json:"drift"`
	} `json:"features"`
	Plots map[string]string `json:"plots"`
}

func TestDriftKind(t *testing.T) {
	t.Parallel()
	dir := steptest.Files(t, map[string]string{
		"drift.yaml": dagYAML, "train.csv": table(400, 0), "shifted.csv": table(300, 3),
	})
	r := steptest.RunDAG(t, dir, "drift")

	var same output
	r.Output(t, "same", &same)
	if same.Drift || same.Drifted != 0 || len(same.Features) != 2 {
		t.Errorf("training data against itself: %+v", same)
	}
	if f := same.Features["x"]; f.Stattest != "ks" || f.Score != 1 || f.Type != "numeric" {
		t.Errorf("x on the training data: %+v, want ks with p 1", f)
	}
	if f := same.Features["flag"]; f.Stattest != "z" || f.Type != "binary" {
		t.Errorf("flag: %+v, want z on a binary feature", f)
	}

	var shifted output
	r.Output(t, "shifted", &shifted)
	if !shifted.Drift || shifted.Share != 0.5 || !shifted.Features["x"].Drift || shifted.Features["flag"].Drift {
		t.Errorf("shifted x: %+v, want x drifting, flag not, share 0.5 = drift", shifted)
	}
	if len(shifted.Plots) != 2 || len(r.TrackedArtifacts(t, "plots/drift_x.png")) == 0 {
		t.Errorf("plots %v", shifted.Plots)
	}
	if png := r.TrackedArtifacts(t, "plots/drift_x.png")[0]; !strings.HasPrefix(string(png), "\x89PNG") {
		t.Error("plots/drift_x.png is not a PNG")
	}
	if rep := string(steptest.ReadURI(t, shifted.Report)); !strings.Contains(rep, `"reference_shares"`) {
		t.Errorf("report %s lacks the distributions", shifted.Report)
	}
	log := r.Log(t, "shifted")
	for _, want := range []string{"feature  type", "x        numeric  ks", "DRIFT", "1 of 2 features drifted (share 0.50, threshold 0.50): DATA SET DRIFT"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}

	var psi output
	r.Output(t, "psi", &psi)
	if f := psi.Features["x"]; len(psi.Features) != 1 || f.Stattest != "psi" || f.Threshold != 0.2 || !f.Drift || len(psi.Plots) != 0 {
		t.Errorf("psi override: %+v", psi)
	}

	if msg := r.Failed(t, "fail"); !strings.Contains(msg, "data drift in shifted.csv") || !strings.Contains(msg, "1 of 2 features drifted") {
		t.Errorf("fail_on_drift: %s", msg)
	}
	if msg := r.Failed(t, "no_column"); !strings.Contains(msg, `column "z" has no reference statistics`) {
		t.Errorf("unknown column: %s", msg)
	}
}
