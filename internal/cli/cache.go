package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/weirhq/weir/store"
)

// cacheCell is the CACHE column of task listings: "-" for a task that is not cached, the
// short key for one that ran, "cached <key> from <instance>" for a reused result.
func cacheCell(key, from string) string {
	if from != "" {
		return "cached " + shortKey(key) + " from " + from
	}
	return shortKey(key)
}

// cacheEntryJSON is one entry of `weir cache list -o json`.
type cacheEntryJSON struct {
	Key           string          `json:"key"`
	DAGID         string          `json:"dag_id"`
	TaskID        string          `json:"task_id"`
	RunID         string          `json:"run_id"`
	MapIndex      int             `json:"map_index"`
	CreatedAt     time.Time       `json:"created_at"`
	TrackingRunID string          `json:"tracking_run_id,omitempty"`
	Output        json.RawMessage `json:"output,omitempty"`
	Inputs        json.RawMessage `json:"inputs,omitempty"`
}

func (a *app) cacheCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "cache",
		Short: "List, show and clear cached task results (tasks with cache: true)",
		Long: `A task with cache: true is not run again while its cache key is unchanged: the key hashes
its rendered definition, the run's params, its upstream outputs and the content of the files it
reads (see docs/dag-yaml.md, "Result caching"). These commands work on the local store.`,
	}
	var dagID, taskID, output string
	var limit int
	filterFlags := func(cmd *cobra.Command) {
		cmd.Flags().StringVar(&dagID, "dag", "", "only the entries of this DAG")
		cmd.Flags().StringVar(&taskID, "task", "", "only the entries of this task")
	}
	list := &cobra.Command{
		Use:   "list [--dag D] [--task T]",
		Short: "List cached results, newest first",
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
			es, err := st.ListCacheEntries(ctx, store.CacheFilter{DAGID: dagID, TaskID: taskID, Limit: limit})
			if err != nil {
				return err
			}
			if output == "json" {
				out := []cacheEntryJSON{}
				for _, e := range es {
					out = append(out, cacheEntryJSON{Key: e.Key, DAGID: e.DAGID, TaskID: e.TaskID, RunID: e.RunID, MapIndex: e.MapIndex,
						CreatedAt: e.CreatedAt, TrackingRunID: e.TrackingRunID, Output: e.Output})
				}
				return writeJSON(a.out, out)
			}
			var rows [][]string
			for _, e := range es {
				task := e.TaskID
				if e.MapIndex >= 0 {
					task = fmt.Sprintf("%s[%d]", e.TaskID, e.MapIndex)
				}
				tr := e.TrackingRunID
				if tr == "" {
					tr = "-"
				}
				out := "-"
				if e.Output != nil {
					out = oneLine(string(e.Output), 40)
				}
				rows = append(rows, []string{e.Key, e.DAGID, task, e.RunID, fmtTime(e.CreatedAt), tr, out})
			}
			if len(rows) == 0 {
				fmt.Fprintln(a.out, "no cached results")
				return nil
			}
			a.table([]string{"KEY", "DAG", "TASK", "FROM RUN", "RECORDED", "TRACKING RUN", "OUTPUT"}, rows)
			return nil
		},
	}
	filterFlags(list)
	list.Flags().IntVar(&limit, "limit", 100, "list at most this many entries")
	a.addOutputFlag(list, &output)

	show := &cobra.Command{
		Use:   "show KEY",
		Short: "Show one cached result and the inputs its key was computed from (KEY may be a unique prefix, as tables print it)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := a.localOnly(cmd); err != nil {
				return err
			}
			ctx := cmd.Context()
			st, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			e, err := st.GetCacheEntry(ctx, args[0])
			if errors.Is(err, store.ErrNotFound) {
				e, err = entryByPrefix(ctx, st, args[0])
			}
			if err != nil {
				return fmt.Errorf("%w (list the keys with `weir cache list`)", err)
			}
			var inputs bytes.Buffer
			if len(e.Inputs) > 0 && json.Indent(&inputs, e.Inputs, "", "  ") == nil {
				e.Inputs = inputs.Bytes()
			}
			return writeJSON(a.out, cacheEntryJSON{Key: e.Key, DAGID: e.DAGID, TaskID: e.TaskID, RunID: e.RunID, MapIndex: e.MapIndex,
				CreatedAt: e.CreatedAt, TrackingRunID: e.TrackingRunID, Output: e.Output, Inputs: e.Inputs})
		},
	}

	clearC := &cobra.Command{
		Use:   "clear [--dag D] [--task T]",
		Short: "Forget cached results (all of them, or a DAG's, or a task's), so those tasks run again",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.localOnly(cmd); err != nil {
				return err
			}
			ctx := cmd.Context()
			st, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			n, err := st.DeleteCacheEntries(ctx, store.CacheFilter{DAGID: dagID, TaskID: taskID})
			if err != nil {
				return err
			}
			fmt.Fprintf(a.out, "cleared %d cached result%s\n", n, plural(n, "", "s"))
			return nil
		},
	}
	filterFlags(clearC)
	c.AddCommand(list, show, clearC)
	return c
}

// entryByPrefix finds the one cache entry whose key starts with prefix (among the newest
// 10,000), as tables print keys shortened.
func entryByPrefix(ctx context.Context, st store.Store, prefix string) (*store.CacheEntry, error) {
	es, err := st.ListCacheEntries(ctx, store.CacheFilter{Limit: 10000})
	if err != nil {
		return nil, err
	}
	var found []*store.CacheEntry
	for _, e := range es {
		if strings.HasPrefix(e.Key, prefix) {
			found = append(found, e)
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("cache entry %s: %w", prefix, store.ErrNotFound)
	case 1:
		return st.GetCacheEntry(ctx, found[0].Key)
	}
	return nil, fmt.Errorf("cache key prefix %s matches %d entries (%s, %s, …): give more of the key", prefix, len(found), found[0].Key, found[1].Key)
}
