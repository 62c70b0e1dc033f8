package dag

import (
	"cmp"
	"fmt"
	"iter"
	"slices"
	"strings"
)

// Error is one problem found in a DAG definition. Loading and validation report every problem
// they find, as a List of *Error.
//
// An error from a YAML file prints as "file:line:col: field: message". An error about a DAG
// built in Go has no position and prints as "dag <id>: task <id>: field: message".
type Error struct {
	// Pos is where the problem is in the YAML file; the zero Pos for DAGs built in Go.
	Pos Pos
	// Field is the YAML path of the offending field, relative to its task, group or DAG:
	// "upstream[0]", "http.url", "params.epochs.default". It is "task", "group" or "dag" when
	// the problem is the item as a whole (an unknown field, a missing id), and may be empty.
	Field string
	// Msg says what is wrong and, where it can, how to fix it.
	Msg string
	// DAG, Group and Task name the item the error is about, when known. They are printed
	// only when Pos is unknown.
	DAG, Group, Task string
}

// Error formats the error as "file:line:col: field: message", or, without a position,
// "dag <id>: task <id>: field: message".
func (e *Error) Error() string {
	var b strings.Builder
	if e.Pos.File != "" {
		b.WriteString(e.Pos.String())
		b.WriteString(": ")
	} else {
		if e.DAG != "" {
			fmt.Fprintf(&b, "dag %s: ", e.DAG)
		}
		if e.Group != "" {
			fmt.Fprintf(&b, "group %s: ", e.Group)
		}
		if e.Task != "" {
			fmt.Fprintf(&b, "task %s: ", e.Task)
		}
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// String formats the position as "file:line:col", "file:line" or "file" depending on what is
// known, or "" for the zero Pos.
func (p Pos) String() string {
	switch {
	case p.Line <= 0:
		return p.File
	case p.Column <= 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	default:
		return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
	}
}

// List is every problem found in one or more DAG definitions, in file then position order.
// It is the error LoadFile, LoadDir and Validate return; errors.As finds each *Error in it.
type List []*Error

// Error prints one error per line.
func (l List) Error() string {
	parts := make([]string, len(l))
	for i, e := range l {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// Unwrap returns the errors of the list, for errors.Is and errors.As.
func (l List) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// err returns the sorted list as an error, or nil when it is empty.
func (l List) err() error {
	if len(l) == 0 {
		return nil
	}
	l.sort()
	return l
}

// sort orders the list by file, line and column; errors without a position keep their
// relative order, after the positioned ones of the same file.
func (l List) sort() {
	slices.SortStableFunc(l, func(a, b *Error) int {
		return cmp.Or(
			cmp.Compare(a.Pos.File, b.Pos.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Column, b.Pos.Column),
		)
	})
}

// closest returns the candidate nearest to name by edit distance (transpositions count as
// one edit), or "" when none is close enough to be a plausible typo.
func closest(name string, candidates []string) string {
	return closestOf(name, slices.Values(candidates), nil)
}

// closestOf is closest over a sequence of candidates. With a non-nil budget it charges the
// work done (one per candidate, plus the cells of each distance computed) to *budget and
// gives up, returning "", when the budget runs out: then the cost of every hint of a DAG
// together stays bounded, however many unknown names it has.
func closestOf(name string, candidates iter.Seq[string], budget *int) string {
	limit := 1
	switch n := len(name); {
	case n < 2:
		return ""
	case n >= 10:
		limit = 3
	case n >= 5:
		limit = 2
	}
	best, bestDist := "", limit+1
	for c := range candidates {
		if budget != nil {
			if *budget--; *budget < 0 {
				return ""
			}
		}
		if c == name || abs(len(c)-len(name)) > limit {
			continue
		}
		d, cells := distanceWithin(name, c, limit)
		if budget != nil {
			if *budget -= cells; *budget < 0 {
				return ""
			}
		}
		if d < bestDist || (d == bestDist && best != "" && c < best) {
			best, bestDist = c, d
		}
	}
	return best
}

func abs(n int) int { return max(n, -n) }

// DidYouMean returns ` (did you mean "x"?)` for the candidate nearest to name when it is
// close enough to be a plausible typo, or "". Every "unknown name" error in weir uses it.
func DidYouMean(name string, candidates []string) string {
	return hintText(closest(name, candidates))
}

func hintText(c string) string {
	if c == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", c)
}

// distanceWithin is the optimal string alignment distance between a and b (insertions,
// deletions, substitutions and transpositions of adjacent bytes each cost one) when it is
// at most limit, and some value above limit otherwise: it stops as soon as two rows in a row
// exceed limit. cells is the number of table cells it computed. Names longer than 64 bytes
// are compared for equality only.
func distanceWithin(a, b string, limit int) (d, cells int) {
	if len(a) > 64 || len(b) > 64 {
		if a == b {
			return 0, 1
		}
		return max(len(a), len(b), limit+1), 1
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	prevMin := 0
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		curMin := i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
			curMin = min(curMin, cur[j])
		}
		cells += len(b) + 1
		if curMin > limit && prevMin > limit {
			return limit + 1, cells
		}
		prev2, prev, cur = prev, cur, prev2
		prevMin = curMin
	}
	return prev[len(b)], cells
}

// quoteList formats names as `"a", "b", "c"`.
func quoteList[S ~string](names []S) string {
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%q", string(n))
	}
	return strings.Join(parts, ", ")
}
