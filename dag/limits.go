package dag

import (
	"fmt"
	"io"
	"os"
	"unicode/utf8"

	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/token"
)

// This file bounds the work and memory of loading one DAG file. The YAML parser needs memory
// that grows with the square of the nesting depth (40,000 nested "[" take gigabytes) and a
// few hundred bytes per token, so a file is checked before it is parsed: its size while it is
// read, its number of tokens by one pass over the bytes, and its nesting depth by one pass
// over the tokens of the YAML lexer (linear in time and memory), whose tokens the parser then
// reuses. With these limits, loading one file, hostile or not, peaks at a few hundred MiB
// (BENCHMARKS.md, "Parsing limits"); docs/dag-yaml.md ("Limits") documents them.

// MaxFileSize is the largest DAG file, in bytes, that LoadFile and LoadBytes accept: 10 MiB.
// LoadFile stops reading a larger file at this size, so a huge file costs no memory.
const MaxFileSize = 10 << 20

// MaxTokens is how many YAML tokens a DAG file may hold, counted before parsing as an upper
// bound: every word (a run of characters between spaces) and every punctuation mark of YAML
// ("-", ":", ",", "[", "]", "{", "}", quotes, "#"...) counts as one. A 10,000-task file
// with a few fields per task holds about 30 per task.
const MaxTokens = 500_000

// MaxNesting is how deeply lists and mappings may be nested in a DAG file, counting block
// (indentation) and flow ("[", "{") levels together. Values themselves may be nested 200
// deep; the rest is room for the levels of tasks and groups around them.
const MaxNesting = 256

// MaxTasks is how many tasks (with the tasks of groups) one DAG file may declare. Mapped
// tasks and groups count once, however many instances they expand to at run time.
const MaxTasks = 10_000

// maxErrors is how many problems one file reports at most, and maxErrorMsg how many bytes
// of each message are kept: the errors of a hostile file (one per token, or quoting a
// megabyte-long key) stay under about 1 MiB, also where the server keeps them.
const (
	maxErrors   = 1000
	maxErrorMsg = 1000
)

// sourceLimits are the limits checked before parsing; zero fields take the defaults above
// (tests lower them).
type sourceLimits struct {
	size, tokens, nesting, tasks int
}

func (l sourceLimits) orDefault() sourceLimits {
	if l.size <= 0 {
		l.size = MaxFileSize
	}
	if l.tokens <= 0 {
		l.tokens = MaxTokens
	}
	if l.nesting <= 0 {
		l.nesting = MaxNesting
	}
	if l.tasks <= 0 {
		l.tasks = MaxTasks
	}
	return l
}

// ReadSource reads the DAG file at path, refusing (without reading on) a file larger than
// MaxFileSize. The error names the file and the limit.
func ReadSource(path string) ([]byte, error) {
	return readSource(path, MaxFileSize)
}

func readSource(path string, limit int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if info, err := f.Stat(); err == nil && info.Size() > int64(limit) {
		return nil, tooLarge(path, info.Size(), limit)
	}
	b, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(b) > limit {
		return nil, tooLarge(path, int64(len(b)), limit)
	}
	return b, nil
}

func tooLarge(path string, size int64, limit int) *Error {
	return &Error{Pos: Pos{File: path}, Msg: fmt.Sprintf(
		"the file is larger than %s (%s or more): a DAG file may be at most %s (dag.MaxFileSize, see docs/dag-yaml.md#limits); split it into several DAG files",
		mib(int64(limit)), mib(size), mib(int64(limit)))}
}

func mib(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// lexSource checks src against the size, token and nesting limits and returns its YAML
// tokens for the parser. Nothing it does grows faster than the size of src.
func lexSource(path string, src []byte, lim sourceLimits) (tokens token.Tokens, e *Error) {
	lim = lim.orDefault()
	if len(src) > lim.size {
		return nil, tooLarge(path, int64(len(src)), lim.size)
	}
	if line, col, ok := countTokens(src, lim.tokens); !ok {
		return nil, &Error{Pos: Pos{File: path, Line: line, Column: col}, Msg: fmt.Sprintf(
			"more than %d YAML tokens (words and punctuation) up to here: a DAG file may hold at most %d (dag.MaxTokens, see docs/dag-yaml.md#limits); split it into several DAG files",
			lim.tokens, lim.tokens)}
	}
	defer func() {
		if p := recover(); p != nil {
			tokens, e = nil, &Error{Pos: Pos{File: path, Line: 1, Column: 1}, Msg: fmt.Sprintf("yaml lexer failed: %v", p)}
		}
	}()
	tokens = lexer.Tokenize(string(src))
	if tk := tooDeep(tokens, lim.nesting); tk != nil {
		p := Pos{File: path, Line: 1, Column: 1}
		if tk.Position != nil && tk.Position.Line > 0 {
			p.Line, p.Column = tk.Position.Line, max(tk.Position.Column, 1)
		}
		return nil, &Error{Pos: p, Msg: fmt.Sprintf(
			"lists and mappings nested more than %d levels deep here: a DAG file may nest at most %d (dag.MaxNesting, see docs/dag-yaml.md#limits); flatten the structure",
			lim.nesting, lim.nesting)}
	}
	return tokens, nil
}

// countTokens counts an upper bound of the YAML tokens of src: every byte that is a YAML
// indicator, follows one, or follows white space. It reports the line and column where the
// count passes limit, and ok false then.
func countTokens(src []byte, limit int) (line, col int, ok bool) {
	n, line, lineStart := 0, 1, 0
	prev := byte('\n')
	for i, c := range src {
		switch {
		case c == '\n':
			line, lineStart = line+1, i+1
		case c == ' ' || c == '\t' || c == '\r':
		case isIndicator(c) || isIndicator(prev) || prev == ' ' || prev == '\t' || prev == '\n' || prev == '\r':
			if n++; n > limit {
				return line, i - lineStart + 1, false
			}
		}
		prev = c
	}
	return 0, 0, true
}

func isIndicator(c byte) bool {
	switch c {
	case '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
		return true
	}
	return false
}

// tooDeep returns the first token at which lists and mappings are nested more than limit
// levels deep, or nil. Flow levels are counted from "[" and "{" tokens; block levels from
// the columns at which nodes start (the first token of a line, and a token after "-" or "?"
// on the same line), as a stack of increasing columns. It may count more levels than the
// parser makes, never fewer (FuzzNestingBound). The stack never holds more than limit
// columns, so the check uses constant memory.
func tooDeep(tokens token.Tokens, limit int) *token.Token {
	var stack []int
	flow, line := 0, 0
	var prev *token.Token
	for _, tk := range tokens {
		if tk == nil || tk.Position == nil {
			continue
		}
		if tk.Type == token.CommentType || tk.Type == token.SpaceType {
			continue
		}
		first := tk.Position.Line != line
		afterEntry := prev != nil && (prev.Type == token.SequenceEntryType || prev.Type == token.MappingKeyType)
		if flow == 0 && (first || afterEntry) {
			// Columns count double, and a "-" half a column more, so that a list written
			// at its key's indentation ("a:\n- b") is a level below the key.
			c := 2 * tk.Position.Column
			if tk.Type == token.SequenceEntryType {
				c++
			}
			for len(stack) > 0 && stack[len(stack)-1] >= c {
				stack = stack[:len(stack)-1]
			}
			stack = append(stack, c)
		}
		switch tk.Type {
		case token.SequenceStartType, token.MappingStartType:
			flow++
		case token.SequenceEndType, token.MappingEndType:
			flow = max(flow-1, 0)
		}
		if len(stack)+flow > limit {
			return tk
		}
		line, prev = tk.Position.Line, tk
	}
	return nil
}

// taskLimit returns an error when the decoded file declares more tasks than the limit allows.
func (r *rawDAG) taskLimit(lim sourceLimits) *Error {
	lim = lim.orDefault()
	if len(r.tasks) <= lim.tasks {
		return nil
	}
	rt := r.tasks[lim.tasks]
	p := rt.task.Pos
	if p.Line == 0 {
		p = r.dec.pos(rt.idNode)
	}
	return &Error{Pos: p, Field: "tasks", Msg: fmt.Sprintf(
		"more than %d tasks: a DAG file may declare at most %d (dag.MaxTasks, see docs/dag-yaml.md#limits); split the DAG, or map one task over many items (expand)",
		lim.tasks, lim.tasks)}
}

// capped sorts l and keeps its first n errors, with messages cut at maxErrorMsg bytes; when
// errors were left out, a last one says how many.
func (l List) capped(n int) List {
	l.sort()
	for i, e := range l {
		if len(e.Msg) > maxErrorMsg {
			c := *e
			cut := maxErrorMsg
			for cut > 0 && !utf8.RuneStart(c.Msg[cut]) {
				cut--
			}
			c.Msg = c.Msg[:cut] + "… (message cut)"
			l[i] = &c
		}
	}
	if len(l) <= n {
		return l
	}
	last := l[n-1].Pos
	more := &Error{Pos: Pos{File: last.File, Line: last.Line, Column: last.Column}, Msg: fmt.Sprintf(
		"and %d more problems after this one, not shown: a file reports at most %d; fix these first", len(l)-n, n)}
	return append(l[:n:n], more)
}
