package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/weirhq/weir/dag"
	"github.com/weirhq/weir/kinds"
)

// kindSet returns the task kinds of this binary: the built-in ones and Options.ExtraKinds
// (node.New refuses a clashing set with the same error).
func (a *app) kindSet() *kinds.Set {
	set, err := kinds.Builtin(kinds.Deps{Funcs: a.opts.Funcs}).With(a.opts.ExtraKinds...)
	if err != nil {
		return kinds.Builtin(kinds.Deps{Funcs: a.opts.Funcs})
	}
	return set
}

// kindsCmd lists the task kinds DAG files may use and their YAML fields.
func (a *app) kindsCmd() *cobra.Command {
	var output string
	c := &cobra.Command{
		Use:   "kinds [KIND...]",
		Short: "List the task kinds DAG files may use, with their YAML fields",
		Long: `List the task kinds this binary knows (the ones 'weir dags validate' accepts) and
each kind's YAML fields: type, whether it is required, whether it is a template
rendered before the task runs, and what it means. Kinds listed as "inline" take
their fields on the task itself (command: [...], script:, env:); the others take
them in a mapping under their key (http: {url: ...}). The engine's own kinds
(branch, short_circuit, latest_only) are task flags, described in docs/dag-yaml.md.`,
		Example: "  weir kinds\n  weir kinds sensor --output json",
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			infos := a.kindSet().Infos()
			if len(args) > 0 {
				var names []string
				for _, k := range infos {
					names = append(names, k.Name)
				}
				for _, name := range args {
					if !slices.Contains(names, name) {
						return fmt.Errorf("unknown kind %q%s; known: %s", name, dag.DidYouMean(name, names), strings.Join(names, ", "))
					}
				}
				infos = slices.DeleteFunc(infos, func(k dag.KindInfo) bool { return !slices.Contains(args, k.Name) })
			}
			if output == "json" {
				return writeJSON(a.out, infos)
			}
			for i, k := range infos {
				if i > 0 {
					fmt.Fprintln(a.out)
				}
				where := "fields under " + k.Keys[0] + ":"
				if k.Inline {
					where = "inline; selected by " + strings.Join(k.Keys, " or ")
				}
				fmt.Fprintf(a.out, "%s (%s): %s\n", k.Name, where, k.Doc)
				var rows [][]string
				for _, f := range k.Fields {
					rows = append(rows, []string{"  " + f.Name, f.Type, yesNo(f.Required), yesNo(f.Template), f.Doc})
				}
				a.table([]string{"  FIELD", "TYPE", "REQUIRED", "TEMPLATE", "DOC"}, rows)
			}
			return nil
		},
	}
	a.addOutputFlag(c, &output)
	return c
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "-"
}
