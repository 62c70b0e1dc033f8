package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/weirhq/weir/internal/cli"
	"github.com/weirhq/weir/predlog"
	"github.com/weirhq/weir/store"
	"github.com/weirhq/weir/store/sqlite"
	"github.com/weirhq/weir/tracking"
)

// TestDemo runs `weir demo` in a test home and checks that its summary shows a retrain
// caused by drift and a canary promotion, and that the store agrees: possum versions 1 and
// 2, champion on 2, the retraining run started by the drift dataset event, and the endpoint
// deployed on the champion alias with no canary left.
func TestDemo(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	home := t.TempDir()
	var out, errOut bytes.Buffer
	start := time.Now()
	code := cli.Main(ctx, []string{"demo", "--home", home}, cli.Options{Stdout: &out, Stderr: &errOut})
	took := time.Since(start)
	if code != 0 {
		t.Fatalf("weir demo exited %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	s := out.String()
	t.Logf("weir demo took %s\n%s", took, s)
	for _, re := range []string{
		`(?m)^drift +live inputs after injection +DATASET DRIFT`,
		`(?m)^monitor +live inputs before drift +no dataset drift`,
		`(?m)^live +monitor possum-drift on endpoint possum +DRIFT, fired on the last \d+ rows, share 0\.50 of 6 features; drifted: footlgth`,
		`(?m)^retrain +demo_retrain dataset_triggered__\S+ \(dataset, caused by drift\) +possum v2 challenger`,
		`(?m)^canary +challenger v2 at 10% +v1×\d+ v2×\d+`,
		`(?m)^compare +live RMSE on labelled canary traffic +v1 \d+\.\d{3}, v2 \d+\.\d{3}$`,
		`(?m)^promote +champion → v2 \(alias move\) +served v2×\d+$`,
		regexp.QuoteMeta(home),
	} {
		if !regexp.MustCompile(re).MatchString(s) {
			t.Errorf("the summary lacks %s", re)
		}
	}
	// Its speed (under 60 s on 2 cores) is a benchmark, written in BENCHMARKS.md, not asserted
	// here: a loaded CI machine must not fail the test for being slow.

	st, err := sqlite.Open(ctx, filepath.Join(home, "weir.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	page, err := st.Tracking().SearchModelVersions(ctx, tracking.SearchRegistryParams{Filter: "name = 'possum'"})
	if err != nil {
		t.Fatal(err)
	}
	var versions []string
	for _, mv := range page.ModelVersions {
		versions = append(versions, mv.Version)
	}
	sort.Strings(versions)
	if strings.Join(versions, ",") != "1,2" {
		t.Errorf("possum versions %v, want 1 and 2", versions)
	}
	champ, err := st.Tracking().GetModelVersionByAlias(ctx, "possum", "champion")
	if err != nil || champ.Version != "2" {
		t.Errorf("champion %+v (%v), want version 2", champ, err)
	}
	runs, err := st.ListRuns(ctx, store.ListRunsParams{DAGID: "demo_retrain"})
	if err != nil || len(runs) != 1 || runs[0].State != store.RunSuccess || runs[0].RunType != "dataset" {
		t.Errorf("demo_retrain runs %+v (%v), want one successful dataset-triggered run", runs, err)
	}
	d, err := st.GetDeployment(ctx, "possum")
	if err != nil || d.Model != "models:/possum@champion" || d.Canary != "" {
		t.Errorf("deployment %+v (%v), want models:/possum@champion and no canary", d, err)
	}
	preds, err := st.ListPredictions(ctx, store.PredictionFilter{Endpoint: "possum", ModelVersion: "2", Limit: 1000})
	if err != nil || len(preds) < 200 {
		t.Errorf("%d predictions by version 2 in the log (%v), want at least 200", len(preds), err)
	}
	// The canary analysis the promotion rested on is in the log: labels on both versions,
	// the challenger's live RMSE below the champion's.
	cmp, err := predlog.Compare(ctx, st, "possum", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	rmse := map[string]float64{}
	for _, v := range cmp {
		if v.RMSE != nil && v.Labelled > 0 {
			rmse[v.Version] = *v.RMSE
		}
	}
	if len(rmse) != 2 || rmse["2"] >= rmse["1"] {
		t.Errorf("live RMSE per version %v, want labels on v1 and v2 and v2 lower", rmse)
	}

	// The live monitor's results stay inspectable: weir monitors show writes its plots.
	plots := filepath.Join(home, "monitor-plots")
	out.Reset()
	if code := cli.Main(ctx, []string{"monitors", "show", "possum-drift", "--home", home, "--plots", plots}, cli.Options{Stdout: &out, Stderr: &errOut}); code != 0 ||
		!regexp.MustCompile(`(?m)^totlngth +numeric +ks +\S+ +0\.05 +DRIFT$`).MatchString(out.String()) {
		t.Errorf("weir monitors show possum-drift: exit %d\n%s\n%s", code, out.String(), errOut.String())
	}
	for _, f := range []string{"history.png", "totlngth.png"} {
		if _, err := os.Stat(filepath.Join(plots, f)); err != nil {
			t.Errorf("weir monitors show --plots: %v", err)
		}
	}
}
