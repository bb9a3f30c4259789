package jumpcloud

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// FilterOp is a v1 filter operator. The "$" is part of it (v2's operators have none).
type FilterOp string

// The filter operators of API v1.
const (
	FilterEq  FilterOp = "$eq"
	FilterNe  FilterOp = "$ne"
	FilterGt  FilterOp = "$gt"
	FilterGte FilterOp = "$gte"
	FilterLt  FilterOp = "$lt"
	FilterLte FilterOp = "$lte"
	// FilterIn and FilterNin match any / none of several terms; give Value as a []string.
	FilterIn  FilterOp = "$in"
	FilterNin FilterOp = "$nin"
)

var filterOps = map[FilterOp]bool{
	FilterEq: true, FilterNe: true, FilterGt: true, FilterGte: true, FilterLt: true, FilterLte: true,
	FilterIn: true, FilterNin: true,
}

// Filter is one condition <field>:<op>:<value>. Values are case sensitive.
//
// Value is a string for most uses. The search endpoint sends it as its JSON value, so a bool or
// a number there matches a bool or number field; list queries send its text form. For FilterIn
// and FilterNin, Value is a []string.
type Filter struct {
	Field string
	Op    FilterOp
	Value any
}

// Eq returns the filter field:$eq:value.
func Eq(field string, value any) Filter { return Filter{Field: field, Op: FilterEq, Value: value} }

// String renders the filter in the query-string form field:op:value. []string values are joined
// with "|", a literal "|" inside a term escaped as "\|".
func (f Filter) String() string {
	return f.Field + ":" + string(f.Op) + ":" + filterValueText(f.Value)
}

func filterValueText(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case []string:
		parts := make([]string, len(x))
		for i, p := range x {
			parts[i] = strings.ReplaceAll(p, "|", `\|`)
		}
		return strings.Join(parts, "|")
	case bool:
		return strconv.FormatBool(x)
	default:
		return fmt.Sprint(x)
	}
}

// validate checks the filter before it is sent.
func (f Filter) validate() error {
	if f.Field == "" {
		return errors.New("filter field is empty")
	}
	if strings.ContainsAny(f.Field, ": \t\r\n") {
		return fmt.Errorf("filter field %q contains a colon or whitespace", f.Field)
	}
	if !filterOps[f.Op] {
		return fmt.Errorf("filter operator %q is not one of $eq $ne $gt $gte $lt $lte $in $nin", f.Op)
	}
	return nil
}

// ParseFilter parses the query-string form field:op:value (e.g. "department:$eq:IT"). The value is
// everything after the second colon, so it may itself contain colons (timestamps). For $in and
// $nin the value is split on unescaped "|" into a []string; otherwise it stays a string.
func ParseFilter(s string) (Filter, error) {
	field, rest, ok := strings.Cut(s, ":")
	if !ok {
		return Filter{}, fmt.Errorf("filter %q: want field:operator:value", s)
	}
	op, value, ok := strings.Cut(rest, ":")
	if !ok {
		return Filter{}, fmt.Errorf("filter %q: want field:operator:value", s)
	}
	f := Filter{Field: field, Op: FilterOp(op), Value: value}
	if f.Op == FilterIn || f.Op == FilterNin {
		f.Value = splitTerms(value)
	}
	if err := f.validate(); err != nil {
		return Filter{}, err
	}
	return f, nil
}

// splitTerms splits on "|" except where escaped as "\|".
func splitTerms(s string) []string {
	var terms []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s) && s[i+1] == '|':
			cur.WriteByte('|')
			i++
		case s[i] == '|':
			terms = append(terms, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(s[i])
		}
	}
	return append(terms, cur.String())
}

// searchExpr renders the filter as a search-body expression: {field: value} for $eq, otherwise
// {field: {op: value}}.
func (f Filter) searchExpr() map[string]any {
	v := f.Value
	if f.Op == FilterEq {
		return map[string]any{f.Field: v}
	}
	return map[string]any{f.Field: map[string]any{string(f.Op): v}}
}
