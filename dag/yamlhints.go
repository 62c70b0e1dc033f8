package dag

import "strings"

// yamlFixes pairs words of the YAML parser's messages with what to change in the file.
var yamlFixes = []struct{ contains, fix string }{
	{"',' or ']' must be specified", `a list in [ ] is not closed: add the "]", or quote an item holding "," or "]"`},
	{"flow mapping end token '}'", `a mapping in { } is not closed: add the "}", or quote a value holding "," or "}"`},
	{"that cannot start any token", "YAML indents with spaces: replace the tab with spaces"},
	{"mapping value is not allowed in this context", `": " inside a plain value starts a mapping: quote the value ("echo: hi"), or fix the indentation of the line`},
	{"value is not allowed in this context", "the indentation is off: indent the keys of one item by the same number of spaces (each task's fields under its \"- \")"},
	{"end character of double-quoted text", `a "…" string is not closed: add the closing ", or use a block (script: |) for text with quotes`},
	{"end character of single-quoted text", `a '…' string is not closed: add the closing ' (write '' for a quote inside), or use a block (script: |)`},
	{"is a reserved character", `a plain value cannot start with "@" or "` + "`" + `": quote it ("@daily")`},
	{"already defined", "a key is given twice in one mapping: remove or rename one"},
}

// yamlFix returns what to change for a parser message, or a general hint.
func yamlFix(msg string) string {
	for _, f := range yamlFixes {
		if strings.Contains(msg, f.contains) {
			return f.fix
		}
	}
	return `check the indentation (spaces, the same for keys of one mapping) and quote values holding ": ", " #", or starting with "{", "[", "*", "&", "@" or "!"`
}
