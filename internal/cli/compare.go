package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/weirhq/weir/api/client"
	"github.com/weirhq/weir/predlog"
	"github.com/weirhq/weir/store"
)

// compareCmd is `weir deployments compare NAME`: a canary analysis on live traffic.
func (a *app) compareCmd() *cobra.Command {
	var output, since string
	c := &cobra.Command{
		Use:   "compare NAME [--since 1h]",
		Short: "Compare the model versions behind a deployment on its logged predictions and labels",
		Long: `compare reads the endpoint's prediction log and prints, per model version that answered
(served versions first, then shadows): requests, latency p50/p99 and, where labels were
posted (weir feedback, POST /api/v1/predictions/{id}/feedback), MAE and RMSE for numeric
predictions or accuracy for classes; and the failed requests of each version: client
errors (4XX: malformed body, wrong columns, too large), server errors (5XX: the model
failed or answered NaN, its Python worker died), the error rate and the last error. Failed
requests for which no model was chosen (the deployment not ready) are on a last row,
version none. Run it during a canary phase, before moving the alias.

--since takes a duration back from now (30m, 2h) or an RFC 3339 time.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			from, err := parseSince(since, time.Now())
			if err != nil {
				return err
			}
			cmp, err := a.compareDeployment(cmd.Context(), args[0], from)
			if err != nil {
				return err
			}
			if output == "json" {
				return writeJSON(a.out, cmp)
			}
			a.table(compareHeader, compareRows(cmp.Versions))
			return nil
		},
	}
	c.Flags().StringVar(&since, "since", "", "only predictions since this duration ago (1h) or time (RFC 3339)")
	a.addOutputFlag(c, &output)
	return c
}

var compareHeader = []string{"MODEL", "VERSION", "ROLE", "REQUESTS", "P50", "P99", "LABELLED", "MAE", "RMSE", "ACCURACY",
	"4XX", "5XX", "ERROR RATE", "LAST ERROR"}

func compareRows(vs []client.VersionStats) [][]string {
	rows := make([][]string, 0, len(vs))
	f := func(p *float64) string {
		if p == nil {
			return "-"
		}
		return strconv.FormatFloat(*p, 'g', 4, 64)
	}
	for _, v := range vs {
		role := "served"
		switch {
		case v.Shadow:
			role = "shadow"
		case v.Model == "" && v.Version == predlog.VersionNone:
			role = "no model chosen"
		}
		last := "-"
		if v.LastError != "" {
			last = v.LastError
			if len(last) > 80 {
				last = last[:77] + "..."
			}
			if v.LastErrorAt != nil {
				last = fmt.Sprintf("%s (%d at %s)", last, v.LastErrorStatus, v.LastErrorAt.Local().Format(time.DateTime))
			}
		}
		rows = append(rows, []string{v.Model, v.Version, role, strconv.Itoa(v.Requests),
			(time.Duration(v.LatencyP50Micros) * time.Microsecond).String(),
			(time.Duration(v.LatencyP99Micros) * time.Microsecond).String(),
			strconv.Itoa(v.Labelled), f(v.MAE), f(v.RMSE), f(v.Accuracy),
			strconv.FormatInt(v.Errors4xx, 10), strconv.FormatInt(v.Errors5xx, 10),
			strconv.FormatFloat(100*v.ErrorRate, 'f', 1, 64) + "%", last})
	}
	return rows
}

// parseSince reads --since: empty for all, a duration back from now, or an RFC 3339 time.
func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return time.Time{}, fmt.Errorf("--since %s: want a positive duration such as 30m or 2h", s)
		}
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--since %q: want a duration such as 30m or 2h, or an RFC 3339 time such as 2026-12-01T10:00:00Z", s)
	}
	return t, nil
}

// compareDeployment compares through the server with --server, else in the local store.
func (a *app) compareDeployment(ctx context.Context, name string, since time.Time) (*client.DeploymentComparison, error) {
	c, remote, err := a.remote()
	if err != nil {
		return nil, err
	}
	if remote {
		return c.CompareDeployment(ctx, name, since)
	}
	st, err := a.openStore(ctx)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	if _, err := st.GetDeployment(ctx, name); errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("no deployment %q (see weir deployments list)", name)
	} else if err != nil {
		return nil, err
	}
	vs, err := predlog.Compare(ctx, st, name, since)
	if err != nil {
		return nil, err
	}
	out := &client.DeploymentComparison{Deployment: name, Versions: []client.VersionStats{}}
	for _, v := range vs {
		out.Versions = append(out.Versions, client.VersionStats(v))
	}
	return out, nil
}
