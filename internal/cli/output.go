package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/weirhq/weir/store"
)

// addOutputFlag adds --output table|json to a listing command, and --quiet (-q): the rows
// only, without the header, for scripts.
func (a *app) addOutputFlag(c *cobra.Command, v *string) {
	c.Flags().StringVarP(v, "output", "o", "table", "output format: table or json")
	c.Flags().BoolVarP(&a.noHeader, "quiet", "q", false, "print the rows only: no header line (for scripts)")
}

// table prints rows aligned in columns under the header, or without it with --quiet.
func (a *app) table(header []string, rows [][]string) {
	if a.noHeader {
		header = nil
	}
	table(a.out, header, rows)
}

func checkOutput(v string) error {
	if v != "table" && v != "json" {
		return fmt.Errorf("--output %q: use table or json", v)
	}
	return nil
}

// writeJSON prints v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table prints rows aligned in columns, under the header unless it is nil.
func table(w io.Writer, header []string, rows [][]string) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if header != nil {
		fmt.Fprintln(tw, strings.Join(header, "\t"))
	}
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
}

// fmtTime prints a time in local time, "-" when unset.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

// fmtDur prints a duration rounded for people, "-" when unknown.
func fmtDur(start, end time.Time) string {
	if start.IsZero() || end.IsZero() {
		return "-"
	}
	return roundDur(end.Sub(start))
}

func roundDur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(100 * time.Microsecond).String()
	case d < time.Minute:
		return d.Round(10 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// syncWriter serializes writes: a run's progress lines come from the engine's goroutines,
// its alive lines from a ticker, its other lines from the command.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}

// colors says whether w is a terminal that takes ANSI colors.
func colors(w io.Writer) bool {
	if s, ok := w.(*syncWriter); ok {
		w = s.w
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd())) && os.Getenv("NO_COLOR") == ""
}

// paint colors a state name when color is on.
func paint(on bool, state string) string {
	if !on {
		return state
	}
	code := ""
	switch state {
	case string(store.TISuccess):
		code = "32"
	case string(store.TIFailed), string(store.TIUpstreamFailed):
		code = "31"
	case string(store.TIUpForRetry), string(store.TIUpForReschedule):
		code = "33"
	case string(store.TISkipped), string(store.TIRemoved):
		code = "35"
	case string(store.TIRunning):
		code = "36"
	default:
		return state
	}
	return "\x1b[" + code + "m" + state + "\x1b[0m"
}
