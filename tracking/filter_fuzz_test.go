package tracking

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

// renderFilter writes clauses back as filter text, keys and strings quoted (QuoteKey,
// QuoteString), numbers as they were written.
func renderFilter(cs []Clause) string {
	var b strings.Builder
	for i, c := range cs {
		if i > 0 {
			b.WriteString(" AND ")
		}
		prefix := map[string]string{KindMetric: "metrics.", KindParam: "params.", KindTag: "tags.", KindAttribute: "attributes.", KindDataset: "datasets."}[c.Kind]
		b.WriteString(prefix + QuoteKey(c.Key) + " " + c.Op + " ")
		switch {
		case c.Op == "IN" || c.Op == "NOT IN":
			quoted := make([]string, len(c.Values))
			for j, v := range c.Values {
				quoted[j] = QuoteString(v)
			}
			b.WriteString("(" + strings.Join(quoted, ", ") + ")")
		case c.IsNumber:
			b.WriteString(c.Value)
		default:
			b.WriteString(QuoteString(c.Value))
		}
	}
	return b.String()
}

func sameClauses(a, b []Clause) bool {
	return slices.EqualFunc(a, b, func(x, y Clause) bool {
		sameNumber := x.Number == y.Number || (math.IsNaN(x.Number) && math.IsNaN(y.Number))
		return x.Kind == y.Kind && x.Key == y.Key && x.Op == y.Op && x.Value == y.Value &&
			x.IsNumber == y.IsNumber && sameNumber && slices.Equal(x.Values, y.Values)
	})
}

// FuzzParseFilter checks MLflow's search filter grammar on arbitrary text: it never panics;
// an error wraps ErrInvalid and says where (an offset, or the clause it rejects); a parsed
// filter written back (renderFilter) parses to the same clauses; ParseRunFilter and
// ParseOrderBy hold to the same rules.
func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{
		"", "metrics.rmse < 1", "params.alpha = '0.1' AND tags.`weir.run_id` != 'x'",
		"attributes.status IN ('FINISHED', 'FAILED')", "run_id NOT IN ('a','b')",
		"metrics.\"my metric\" >= -1e-3", "tags.t LIKE '%a_b%' and params.p ILIKE 'A%'",
		"datasets.name = 'iris'", "metrics.m == 1", "metrics.m <> 1", "created > 0",
		"tags.x = 'it''s'", "metrics.`a``b` = NaN", "metrics.m = Inf", "params.p = \"quoted\"",
		"metrics.m > 1 OR metrics.m < 0", "metrics. = 1", "foo.bar = 1", "metrics.m ! 1", "'open",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, filter string) {
		cs, err := ParseFilter(filter)
		if err != nil {
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "offset") {
				t.Fatalf("ParseFilter(%q): error %q does not wrap ErrInvalid or say where", filter, err)
			}
		} else {
			text := renderFilter(cs)
			again, err := ParseFilter(text)
			if err != nil {
				t.Fatalf("ParseFilter(%q) = %+v, written back as %q, which does not parse: %v", filter, cs, text, err)
			}
			if !sameClauses(cs, again) {
				t.Fatalf("ParseFilter(%q) = %+v, written back as %q, parses to %+v", filter, cs, text, again)
			}
		}
		if rcs, err := ParseRunFilter(filter); err != nil {
			if !errors.Is(err, ErrInvalid) || !(strings.Contains(err.Error(), "offset") || strings.Contains(err.Error(), "filter: ")) {
				t.Fatalf("ParseRunFilter(%q): error %q does not wrap ErrInvalid or say where", filter, err)
			}
		} else if len(rcs) != len(cs) {
			t.Fatalf("ParseRunFilter(%q) has %d clauses, ParseFilter %d", filter, len(rcs), len(cs))
		}
		if o, err := ParseOrderBy(filter); err != nil {
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "order_by") {
				t.Fatalf("ParseOrderBy(%q): error %q does not wrap ErrInvalid or name the clause", filter, err)
			}
		} else if o.Kind == "" {
			t.Fatalf("ParseOrderBy(%q) = %+v: no kind", filter, o)
		}
	})
}
