package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

// source knows where each key of a config file is, so that a problem found
// after decoding can still name its line. Keys are dotted paths with array
// indexes: "imap.tls", "group[2].approvers[0]".
type source struct {
	name   string
	lines  map[string]int // key -> line
	byLine map[int]string // line -> first key on it
	arrays map[string]int // array-of-tables path -> entries so far
}

// scan parses data only to learn where its keys are; a syntax error is
// returned with its line.
func scan(name string, data []byte) (source, error) {
	s := source{name: name, lines: map[string]int{}, byLine: map[int]string{}, arrays: map[string]int{}}
	var p unstable.Parser
	p.Reset(data)
	table := ""
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table:
			table = s.tablePath(e, false)
			s.add(table, line(&p, e.Key()))
		case unstable.ArrayTable:
			table = s.tablePath(e, true)
			s.add(table, line(&p, e.Key()))
		case unstable.KeyValue:
			s.keyValue(&p, table, e)
		}
	}
	if err := p.Error(); err != nil {
		var pe *unstable.ParserError
		if errors.As(err, &pe) && len(pe.Highlight) > 0 {
			sh := p.Shape(p.Range(pe.Highlight))
			return s, &Error{File: name, Line: sh.Start.Line, Msg: "syntax error: " + pe.Message}
		}
		return s, fmt.Errorf("%s: syntax error: %w", name, err)
	}
	return s, nil
}

func (s *source) add(key string, line int) {
	if _, ok := s.lines[key]; !ok {
		s.lines[key] = line
	}
	if _, ok := s.byLine[line]; !ok && line > 0 {
		s.byLine[line] = key
	}
}

// tablePath resolves a table header to its indexed path: in
// [[group]] ... [[group]] the second one is "group[1]".
func (s *source) tablePath(e *unstable.Node, array bool) string {
	var parts []string
	for it := e.Key(); it.Next(); {
		parts = append(parts, string(it.Node().Data))
	}
	path := ""
	for i, part := range parts {
		path = join(path, part)
		if array && i == len(parts)-1 {
			n := s.arrays[path]
			s.arrays[path] = n + 1
			path += "[" + strconv.Itoa(n) + "]"
		} else if n, ok := s.arrays[path]; ok {
			path += "[" + strconv.Itoa(n-1) + "]"
		}
	}
	return path
}

func (s *source) keyValue(p *unstable.Parser, table string, e *unstable.Node) {
	path := table
	for it := e.Key(); it.Next(); {
		path = join(path, string(it.Node().Data))
	}
	s.add(path, line(p, e.Key()))
	s.value(p, path, e.Value())
}

// value records the elements of arrays and the keys of inline tables.
func (s *source) value(p *unstable.Parser, path string, v *unstable.Node) {
	switch v.Kind {
	case unstable.Array:
		i := 0
		for it := v.Children(); it.Next(); {
			n := it.Node()
			if n.Kind == unstable.Comment {
				continue
			}
			elem := path + "[" + strconv.Itoa(i) + "]"
			i++
			if n.Raw.Length > 0 {
				s.add(elem, p.Shape(n.Raw).Start.Line)
			}
			s.value(p, elem, n)
		}
	case unstable.InlineTable:
		for it := v.Children(); it.Next(); {
			if n := it.Node(); n.Kind == unstable.KeyValue {
				s.keyValue(p, path, n)
			}
		}
	}
}

// line returns the line of the first part of a key.
func line(p *unstable.Parser, key unstable.Iterator) int {
	if key.Next() && key.Node().Raw.Length > 0 {
		return p.Shape(key.Node().Raw).Start.Line
	}
	return 0
}

func join(path, part string) string {
	if path == "" {
		return part
	}
	return path + "." + part
}

// lineOf returns the line of key, or of the nearest enclosing key or table
// in the file, or 0.
func (s *source) lineOf(key string) int {
	for key != "" {
		if l, ok := s.lines[key]; ok {
			return l
		}
		i := strings.LastIndexAny(key, ".[")
		if i < 0 {
			return 0
		}
		key = key[:i]
	}
	return 0
}

// keyAt names the key the decoder complained about at line: the indexed
// path scanned there if it is the same key, else the decoder's own.
func (s *source) keyAt(line int, key []string) string {
	plain := strings.Join(key, ".")
	// The decoder may give only the last part of the key.
	if k, ok := s.byLine[line]; ok && (plain == "" || stripIndexes(k) == plain || strings.HasSuffix(stripIndexes(k), "."+plain)) {
		return k
	}
	// A second key on one line: take the shortest, the key itself rather
	// than one of its array elements.
	best := ""
	for k, l := range s.lines {
		if l == line && stripIndexes(k) == plain && (best == "" || len(k) < len(best) || len(k) == len(best) && k < best) {
			best = k
		}
	}
	if best != "" {
		return best
	}
	return plain
}

func stripIndexes(k string) string {
	var b strings.Builder
	depth := 0
	for _, r := range k {
		switch {
		case r == '[':
			depth++
		case r == ']':
			depth--
		case depth == 0:
			b.WriteRune(r)
		}
	}
	return b.String()
}
