package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/weirhq/weir/monitor/live"
	"github.com/weirhq/weir/node"
	"github.com/weirhq/weir/store"
)

// demoMonitor is the live monitor weir demo puts on its endpoint. It has no actions: the
// demo's retraining is started by the drift check DAG's dataset event; the monitor shows
// the same drift seen from the served traffic, as a server would see it every interval.
const demoMonitor = "possum-drift"

// createDemoMonitor creates the demo's live monitor over the latest window rows, and
// evaluates it at once (no traffic yet: not judged), so that the server's schedule leaves
// it alone for an hour and the demo's own evaluation after the drift sees the transition.
func createDemoMonitor(ctx context.Context, n *node.Node, st store.Store, window int) error {
	spec := live.Spec{Rows: window, MinRows: min(30, window), Interval: live.Duration(time.Hour)}
	if err := spec.Normalize(); err != nil {
		return err
	}
	b, err := json.Marshal(spec)
	if err != nil {
		return err
	}
	if err := st.PutMonitor(ctx, &store.Monitor{Name: demoMonitor, Endpoint: demoEndpoint, Spec: b}); err != nil {
		return err
	}
	_, err = n.Monitors().Evaluate(ctx, demoMonitor)
	return err
}

// evaluateDemoMonitor evaluates the demo's monitor now, in the server node's runner.
func evaluateDemoMonitor(ctx context.Context, n *node.Node) (*live.Result, error) {
	sr, err := n.Monitors().Evaluate(ctx, demoMonitor)
	if err != nil {
		return nil, err
	}
	return live.Decode(sr)
}

// liveLine is a live monitor result for the demo's progress lines and summary.
func liveLine(res *live.Result) string {
	if res == nil {
		return "-"
	}
	if !res.Judged || res.Data == nil {
		return "not judged: " + firstOf(nil, res.Error, res.Note)
	}
	var drifted []string
	for _, f := range res.Data.Features {
		if f.Drift {
			drifted = append(drifted, fmt.Sprintf("%s (%s p=%.2g)", f.Column, f.Test, f.Score))
		}
	}
	sort.Strings(drifted)
	if len(drifted) == 0 {
		drifted = []string{"none"}
	}
	verdict := "no drift"
	if res.Drift {
		verdict = "DRIFT"
	}
	if res.Fired {
		verdict += ", fired"
	}
	return fmt.Sprintf("%s on the last %d rows, share %.2f of %d features; drifted: %s", verdict, res.Rows, res.Data.Share, len(res.Data.Features), strings.Join(drifted, ", "))
}
