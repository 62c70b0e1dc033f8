package dag

import (
	"errors"
	"strings"
	"testing"
)

// FuzzTemplate checks the template engine on arbitrary text: parsing never panics; a parse
// error has an offset inside the text; the segments cover the text at their offsets (each
// literal or expression is found where it says); text without "{{" or "{% raw %}" renders
// as itself; rendering never panics and fails only with an error naming the expression or
// the place.
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{
		"", "plain text", "{{ ds }}", "{{ params.lr * 2 }} and {{ outputs.extract.rows }}",
		"{{ {'a': 1}['a'] }}", "{{ \"}}\" }}", "{% raw %}{{ x }}{% endraw %}", "{%- raw -%}{{{%- endraw -%}",
		"{{", "}}", "{{ }}", "{{ unknown_var }}", "{% raw %}open", "{{ zip([1,2],[3]) }}",
		"{{ concat([1], [2]) }}", "f'{x}' {{ \"{{\" }}", "{{ 1/0 }}", "{{ conf.who }}{{ map_index }}",
	} {
		f.Add(s)
	}
	ctx := renderContext()
	ctx.TaskID = "work"
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 1024 {
			return // expressions can loop over ranges: keep each input cheap
		}
		segs, terr := parseTemplate(s)
		if terr != nil {
			if terr.off < 0 || terr.off > len(s) || terr.msg == "" {
				t.Fatalf("parseTemplate(%q): error %q at offset %d, outside the text", s, terr.msg, terr.off)
			}
		}
		for _, seg := range segs {
			if seg.off < 0 || seg.off+len(seg.text) > len(s) || s[seg.off:seg.off+len(seg.text)] != seg.text {
				t.Fatalf("parseTemplate(%q): segment %+v is not at its offset", s, seg)
			}
		}
		out, err := RenderString(s, ctx)
		if !isTemplate(s) && (err != nil || out != s) {
			t.Fatalf("RenderString(%q) = %q, %v: text without a template must render as itself", s, out, err)
		}
		if err != nil {
			var te *templateError
			if !errors.As(err, &te) && !strings.HasPrefix(err.Error(), "{{ ") {
				t.Fatalf("RenderString(%q): error %q names neither the expression nor a place", s, err)
			}
			if terr == nil && errors.As(err, &te) {
				t.Fatalf("RenderString(%q): a parse error %q the parser did not report", s, err)
			}
		} else if terr != nil {
			t.Fatalf("RenderString(%q) succeeded where parsing failed: %s", s, terr.msg)
		}
	})
}
