package kinds

import (
	"fmt"
	"strings"

	"github.com/weirhq/weir/dag"
)

// Markdown writes one field table per kind (field, type, required, template, meaning), the
// reference docs/dag-yaml.md holds between its "kinds:begin" and "kinds:end" markers; a
// test keeps the two equal.
func Markdown(infos []dag.KindInfo) string {
	var b strings.Builder
	for i, k := range infos {
		if i > 0 {
			b.WriteString("\n")
		}
		where := fmt.Sprintf("fields in a mapping under `%s:`", k.Keys[0])
		if k.Inline {
			keys := make([]string, len(k.Keys))
			for j, key := range k.Keys {
				keys[j] = "`" + key + "`"
			}
			where = "fields on the task itself; selected by " + strings.Join(keys, " or ")
		}
		fmt.Fprintf(&b, "### Kind `%s`\n\n%s (%s)\n\n", k.Name, k.Doc, where)
		b.WriteString("| field | type | required | template | meaning |\n|---|---|---|---|---|\n")
		for _, f := range k.Fields {
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", f.Name, f.Type, yes(f.Required), yes(f.Template),
				strings.ReplaceAll(f.Doc, "|", `\|`))
		}
	}
	return b.String()
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return ""
}
