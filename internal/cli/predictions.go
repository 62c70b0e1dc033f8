package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/weirhq/weir/store"
)

// predictionJSON is one prediction of `weir predictions list -o json`.
type predictionJSON struct {
	ID            string          `json:"prediction_id"`
	Endpoint      string          `json:"endpoint"`
	ModelName     string          `json:"model_name"`
	ModelVersion  string          `json:"model_version"`
	Inputs        json.RawMessage `json:"inputs,omitempty"`
	Output        json.RawMessage `json:"output,omitempty"`
	LatencyMicros int64           `json:"latency_micros"`
	Time          time.Time       `json:"time"`
	Shadow        bool            `json:"shadow"`
	Label         json.RawMessage `json:"label,omitempty"`
	LabelledAt    *time.Time      `json:"labelled_at,omitempty"`
}

func (a *app) predictionsCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "predictions",
		Short: "List the prediction log of served models",
		Long: `weir server records the predictions of its endpoints (or a sample of them) with their
inputs, output, model version and latency; labels are posted later by prediction ID with
` + "`weir feedback`" + ` or POST /api/v1/predictions/{id}/feedback. These commands work on the local store.`,
	}
	var f store.PredictionFilter
	var output string
	list := &cobra.Command{
		Use:   "list [--endpoint E] [--model M] [--version V] [--labelled]",
		Short: "List logged predictions, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.localOnly(cmd); err != nil {
				return err
			}
			if err := checkOutput(output); err != nil {
				return err
			}
			ctx := cmd.Context()
			st, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			ps, err := st.ListPredictions(ctx, f)
			if err != nil {
				return err
			}
			if output == "json" {
				out := []predictionJSON{}
				for _, p := range ps {
					j := predictionJSON{ID: p.ID, Endpoint: p.Endpoint, ModelName: p.ModelName, ModelVersion: p.ModelVersion,
						Inputs: p.Inputs, Output: p.Output, LatencyMicros: p.LatencyMicros, Time: p.Time, Shadow: p.Shadow, Label: p.Label}
					if !p.LabelledAt.IsZero() {
						at := p.LabelledAt
						j.LabelledAt = &at
					}
					out = append(out, j)
				}
				return writeJSON(a.out, out)
			}
			if len(ps) == 0 {
				fmt.Fprintln(a.out, "no predictions")
				return nil
			}
			var rows [][]string
			for _, p := range ps {
				model := p.ModelName + "/" + p.ModelVersion
				if p.Shadow {
					model += " (shadow)"
				}
				out, label := "-", "-"
				if p.Output != nil {
					out = oneLine(string(p.Output), 30)
				}
				if p.Label != nil {
					label = oneLine(string(p.Label), 20)
				}
				rows = append(rows, []string{p.ID, p.Endpoint, model, fmtTime(p.Time),
					strconv.FormatFloat(float64(p.LatencyMicros)/1000, 'f', 2, 64), out, label})
			}
			a.table([]string{"ID", "ENDPOINT", "MODEL", "TIME", "LATENCY MS", "OUTPUT", "LABEL"}, rows)
			return nil
		},
	}
	list.Flags().StringVar(&f.Endpoint, "endpoint", "", "only the predictions of this endpoint")
	list.Flags().StringVar(&f.ModelName, "model", "", "only the predictions of this registered model")
	list.Flags().StringVar(&f.ModelVersion, "version", "", "only the predictions of this model version")
	list.Flags().BoolVar(&f.Labelled, "labelled", false, "only the predictions with a label")
	list.Flags().IntVar(&f.Limit, "limit", 100, "list at most this many predictions")
	a.addOutputFlag(list, &output)
	c.AddCommand(list)
	return c
}

func (a *app) feedbackCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "feedback PREDICTION_ID LABEL",
		Short: "Record the label (ground truth) of a logged prediction",
		Long: `LABEL is taken as JSON when it parses as JSON (1, 2.5, true, "a", {"class": 2}), else as a
string: weir feedback 0190… setosa records "setosa". A later label replaces an earlier one. Works
on the local store.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := a.localOnly(cmd); err != nil {
				return err
			}
			label := json.RawMessage(args[1])
			if !json.Valid(label) || string(label) == "null" {
				label, _ = json.Marshal(args[1])
			}
			ctx := cmd.Context()
			st, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			err = st.SetPredictionLabel(ctx, args[0], label, time.Now())
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no prediction %q (list them with `weir predictions list`; a prediction is logged up to a second after it was made)", args[0])
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(a.out, "prediction %s labelled %s\n", args[0], label)
			return nil
		},
	}
}
