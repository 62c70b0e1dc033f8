package tracking

import (
	"errors"
	"reflect"
	"testing"
)

func TestParseRunFilter(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		want []Clause
		bad  bool
	}{
		{in: "", want: nil},
		{in: "metrics.rmse < 0.5", want: []Clause{{Kind: KindMetric, Key: "rmse", Op: "<", Value: "0.5", IsNumber: true, Number: 0.5}}},
		{in: "params.lr = '0.1' and tags.`my tag` LIKE 'a%'", want: []Clause{
			{Kind: KindParam, Key: "lr", Op: "=", Value: "0.1"}, {Kind: KindTag, Key: "my tag", Op: "LIKE", Value: "a%"}}},
		{in: `metrics."f1 score" >= 1e-3`, want: []Clause{{Kind: KindMetric, Key: "f1 score", Op: ">=", Value: "1e-3", IsNumber: true, Number: 1e-3}}},
		{in: "attributes.created > 5", want: []Clause{{Kind: KindAttribute, Key: "start_time", Op: ">", Value: "5", IsNumber: true, Number: 5}}},
		{in: "run_name ILIKE '%x%'", want: []Clause{{Kind: KindAttribute, Key: "run_name", Op: "ILIKE", Value: "%x%"}}},
		{in: "attributes.run_id IN ('a', 'b')", want: []Clause{{Kind: KindAttribute, Key: "run_id", Op: "IN", Values: []string{"a", "b"}}}},
		{in: "datasets.name = 'iris'", want: []Clause{{Kind: KindDataset, Key: "name", Op: "=", Value: "iris"}}},
		{in: "metrics.a > 1 OR metrics.b > 1", bad: true},
		{in: "metrics.a > 'x'", bad: true},
		{in: "params.a > '1'", bad: true},
		{in: "attributes.status > 1", bad: true},
		{in: "attributes.run_name IN ('a')", bad: true},
		{in: "foo.bar = 'x'", bad: true},
		{in: "tags.a = 'open", bad: true},
		{in: "metrics.a >", bad: true},
		{in: "metrics.a ! 1", bad: true},
	} {
		got, err := ParseRunFilter(c.in)
		if c.bad {
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("%q: err %v, want ErrInvalid", c.in, err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: got %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
}

func TestParseRunOrderBy(t *testing.T) {
	t.Parallel()
	got, err := ParseRunOrderBy([]string{"metrics.rmse DESC", "params.`a b`", "start_time asc", "created"})
	want := []OrderBy{{KindMetric, "rmse", true}, {KindParam, "a b", false}, {KindAttribute, "start_time", false}, {KindAttribute, "start_time", false}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, %v", got, err)
	}
	for _, bad := range []string{"", "nope.x", "attributes.nope", "metrics.a DESC extra"} {
		if _, err := ParseRunOrderBy([]string{bad}); !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: err %v", bad, err)
		}
	}
}

func TestLike(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		p, s       string
		fold, want bool
	}{
		{"a%", "abc", false, true}, {"a%", "Abc", false, false}, {"a%", "Abc", true, true},
		{"%b%", "abc", false, true}, {"a_c", "abc", false, true}, {"a_c", "abbc", false, false},
		{"%", "", false, true}, {"a%c%e", "abcde", false, true}, {"a%c%e", "abcd", false, false},
	} {
		if got := Like(c.p, c.s, c.fold); got != c.want {
			t.Errorf("Like(%q, %q, %v) = %v", c.p, c.s, c.fold, got)
		}
	}
}

func TestCleanArtifactPath(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"": "", "a/b": "a/b", "a//b/": "a/b", "./a": "a", "a/./b": "a/b", "a..b": "a..b"} {
		if got, err := CleanArtifactPath(in); err != nil || got != want {
			t.Errorf("%q: got %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"..", "../a", "a/../../b", "a/..", "/etc/passwd", "a\\..\\b", "a\x00b", "C:/x"} {
		if _, err := CleanArtifactPath(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: err %v, want ErrInvalid", bad, err)
		}
	}
}

func TestValidateKey(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"a", "a/b", "a.b-c d_e", "a..b"} {
		if err := ValidateKey("param", ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "/a", "a/", "a//b", "./a", "../a", "a;b", "a\x00"} {
		if err := ValidateKey("param", bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: err %v", bad, err)
		}
	}
}

func TestQuoteRoundTrips(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"", "plain", "it's", "''", `a"b`, "a`b", "x' OR tags.y = 'z", "' AND params.p = '1", "(,)", "%_"} {
		for _, key := range []string{"k", "weir.run_id", "a b", "a`b", "``"} {
			filter := "tags." + QuoteKey(key) + " = " + QuoteString(v) + " AND run_id IN (" + QuoteString(v) + ", " + QuoteString("x") + ")"
			got, err := ParseRunFilter(filter)
			want := []Clause{
				{Kind: KindTag, Key: key, Op: "=", Value: v},
				{Kind: KindAttribute, Key: "run_id", Op: "IN", Values: []string{v, "x"}},
			}
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("%s: got %+v, %v; want %+v", filter, got, err, want)
			}
		}
	}
}

func TestParseFilterDoubledQuotes(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in, want string
	}{
		{`tags.a = 'it''s'`, "it's"},
		{`tags.a = ''''`, "'"},
		{`tags.a = ''`, ""},
		{`tags.a = "say ""hi"""`, `say "hi"`},
		{"tags.a = `x``y`", "x`y"},
	} {
		got, err := ParseFilter(c.in)
		if err != nil || len(got) != 1 || got[0].Value != c.want {
			t.Errorf("%s: got %+v, %v; want value %q", c.in, got, err, c.want)
		}
	}
	if _, err := ParseFilter(`tags.a = 'it''s`); !errors.Is(err, ErrInvalid) {
		t.Errorf("unterminated doubled quote: err %v, want ErrInvalid", err)
	}
}
