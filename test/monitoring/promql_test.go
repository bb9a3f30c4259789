package monitoring

import (
	"fmt"
	"slices"
	"strings"
)

// What the suite reads from a PromQL expression, without a PromQL parser: the Prometheus module
// that has one (promql/parser) would bring the whole server's dependencies into go.mod for a test.
// The scanner below is enough for the expressions of our dashboard and alerts, and fails loudly on
// what it does not know, so a new construct is noticed rather than skipped:
//
//   - string literals ("...", '...', `...`), comments (# ...), numbers and durations (5m, 0.95,
//     1e3), ranges and subqueries ([5m], [$__rate_interval], [1h:5m]) and Grafana variables
//     ($namespace, ${datasource}) are skipped;
//   - an identifier followed by "(" is a function; the aggregations (sum, count, topk, ...) are
//     known by name, as their "(" may follow a by or without clause; by, without, on, ignoring,
//     group_left and group_right take a list of label names; and, or, unless, bool, offset, inf
//     and nan are keywords;
//   - any other identifier is a metric name, optionally followed by its {label matchers}.
//
// The test of this file checks it against expressions of each shape.

// selector is a vector selector: a metric name and the label names its matchers use.
type selector struct {
	metric string
	labels []string
}

// references are the metrics and labels a PromQL expression uses.
type references struct {
	selectors []selector
	// grouping are the label names of by, without, on, ignoring, group_left and group_right.
	grouping []string
}

var (
	// groupingKeywords take a parenthesized list of label names.
	groupingKeywords = map[string]bool{"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true}
	// keywords are the other identifiers that are no metric names: operators, modifiers and the
	// aggregations, whose "(" may come after a by or without clause.
	keywords = map[string]bool{
		"and": true, "or": true, "unless": true, "bool": true, "offset": true, "inf": true, "nan": true, "atan2": true,
		"sum": true, "min": true, "max": true, "avg": true, "group": true, "stddev": true, "stdvar": true, "count": true,
		"count_values": true, "bottomk": true, "topk": true, "quantile": true, "limitk": true, "limit_ratio": true,
	}
)

// parseReferences returns the selectors and grouping labels of the PromQL expression expr.
func parseReferences(expr string) (references, error) {
	var refs references
	s := expr
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case isSpace(c):
			i++
		case c == '#':
			i = skipLine(s, i)
		case c == '"' || c == '\'' || c == '`':
			end, err := skipString(s, i)
			if err != nil {
				return refs, err
			}
			i = end
		case c == '[':
			end := strings.IndexByte(s[i:], ']')
			if end < 0 {
				return refs, fmt.Errorf("unterminated [ at %d", i)
			}
			i += end + 1
		case c == '{':
			return refs, fmt.Errorf("a selector without a metric name at %d: name the metric", i)
		case c == '$':
			i = skipVariable(s, i)
		case isDigit(c) || c == '.' && i+1 < len(s) && isDigit(s[i+1]):
			i = skipNumber(s, i)
		case isIdentStart(c):
			end := identEnd(s, i)
			word := s[i:end]
			next := skipSpaces(s, end)
			switch {
			case groupingKeywords[word]:
				if next < len(s) && s[next] == '(' {
					labels, after, err := labelList(s, next)
					if err != nil {
						return refs, err
					}
					refs.grouping = append(refs.grouping, labels...)
					i = after
				} else {
					i = end // group_left without labels
				}
			case keywords[word]:
				i = end
			case next < len(s) && s[next] == '(':
				i = end // a function or an aggregation
			default:
				sel := selector{metric: word}
				i = end
				if next < len(s) && s[next] == '{' {
					labels, after, err := matchers(s, next)
					if err != nil {
						return refs, err
					}
					sel.labels = labels
					i = after
				}
				refs.selectors = append(refs.selectors, sel)
			}
		case strings.IndexByte("()+-*/%^=!<>,@", c) >= 0:
			i++
		default:
			return refs, fmt.Errorf("unexpected %q at %d", c, i)
		}
	}
	return refs, nil
}

// parseTemplateQuery returns what a Grafana Prometheus variable query uses: query_result(expr)
// is an expression, label_values(metric, label) a selector and one of its labels.
func parseTemplateQuery(q string) (references, error) {
	q = strings.TrimSpace(q)
	if inner, ok := call(q, "query_result"); ok {
		return parseReferences(inner)
	}
	if inner, ok := call(q, "label_values"); ok {
		sel, label, ok := strings.Cut(inner, ",")
		if !ok {
			return references{}, fmt.Errorf("label_values without a metric: %q", q)
		}
		refs, err := parseReferences(sel)
		if err != nil {
			return refs, err
		}
		if len(refs.selectors) != 1 {
			return refs, fmt.Errorf("label_values of %d selectors: %q", len(refs.selectors), q)
		}
		refs.grouping = append(refs.grouping, strings.TrimSpace(label))
		return refs, nil
	}
	return references{}, fmt.Errorf("unknown variable query %q (want query_result(...) or label_values(metric, label))", q)
}

// call returns the argument text of name(...) when q is exactly such a call.
func call(q, name string) (string, bool) {
	rest, ok := strings.CutPrefix(q, name)
	if !ok {
		return "", false
	}
	rest = strings.TrimSpace(rest)
	if !strings.HasPrefix(rest, "(") || !strings.HasSuffix(rest, ")") {
		return "", false
	}
	return rest[1 : len(rest)-1], true
}

// matchers reads {name op "value", ...} starting at the brace at i; it returns the label names
// and the index after the closing brace.
func matchers(s string, i int) ([]string, int, error) {
	var labels []string
	i++ // {
	for {
		i = skipSpaces(s, i)
		if i < len(s) && s[i] == ',' {
			i = skipSpaces(s, i+1)
		}
		if i >= len(s) {
			return nil, i, fmt.Errorf("unterminated {")
		}
		if s[i] == '}' {
			return labels, i + 1, nil
		}
		if !isIdentStart(s[i]) {
			return nil, i, fmt.Errorf("expected a label name at %d, got %q", i, s[i])
		}
		end := identEnd(s, i)
		labels = append(labels, s[i:end])
		i = skipSpaces(s, end)
		op := 0
		for _, o := range []string{"=~", "!~", "!=", "="} {
			if strings.HasPrefix(s[i:], o) {
				op = len(o)
				break
			}
		}
		if op == 0 {
			return nil, i, fmt.Errorf("expected a matcher operator at %d", i)
		}
		i = skipSpaces(s, i+op)
		if i >= len(s) || s[i] != '"' && s[i] != '\'' && s[i] != '`' {
			return nil, i, fmt.Errorf("expected a string at %d", i)
		}
		end, err := skipString(s, i)
		if err != nil {
			return nil, i, err
		}
		i = end
	}
}

// labelList reads (a, b, ...) starting at the parenthesis at i.
func labelList(s string, i int) ([]string, int, error) {
	end := strings.IndexByte(s[i:], ')')
	if end < 0 {
		return nil, i, fmt.Errorf("unterminated ( at %d", i)
	}
	var labels []string
	for l := range strings.SplitSeq(s[i+1:i+end], ",") {
		if l = strings.TrimSpace(l); l != "" {
			labels = append(labels, l)
		}
	}
	return labels, i + end + 1, nil
}

func skipString(s string, i int) (int, error) {
	quote := s[i]
	for j := i + 1; j < len(s); j++ {
		switch {
		case s[j] == '\\' && quote != '`':
			j++
		case s[j] == quote:
			return j + 1, nil
		}
	}
	return i, fmt.Errorf("unterminated string at %d", i)
}

func skipVariable(s string, i int) int {
	i++ // $
	if i < len(s) && s[i] == '{' {
		if end := strings.IndexByte(s[i:], '}'); end >= 0 {
			return i + end + 1
		}
		return len(s)
	}
	return identEnd(s, i)
}

func skipNumber(s string, i int) int {
	for i < len(s) && (isDigit(s[i]) || isLetter(s[i]) || s[i] == '.' || s[i] == '_') {
		i++
	}
	return i
}

func skipLine(s string, i int) int {
	if end := strings.IndexByte(s[i:], '\n'); end >= 0 {
		return i + end + 1
	}
	return len(s)
}

func skipSpaces(s string, i int) int {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}

func identEnd(s string, i int) int {
	for i < len(s) && (isIdentStart(s[i]) || isDigit(s[i])) {
		i++
	}
	return i
}

func isSpace(c byte) bool      { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isLetter(c byte) bool     { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isIdentStart(c byte) bool { return isLetter(c) || c == '_' || c == ':' }

// metricNames returns the sorted metric names of refs, each once.
func (r references) metricNames() []string {
	var names []string
	for _, s := range r.selectors {
		names = append(names, s.metric)
	}
	slices.Sort(names)
	return slices.Compact(names)
}
