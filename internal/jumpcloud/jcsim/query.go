package jcsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// row is what a filter looks at: a user, a group, or a graph object of a v2 membership list.
type row interface {
	// values returns the values at a dotted field path (none for an unknown field).
	values(field string) []any
}

// expr is a boolean condition on a row.
type expr interface {
	match(r row) bool
}

type andExpr []expr
type orExpr []expr

func (a andExpr) match(r row) bool {
	for _, e := range a {
		if !e.match(r) {
			return false
		}
	}
	return true
}

func (o orExpr) match(r row) bool {
	for _, e := range o {
		if e.match(r) {
			return true
		}
	}
	return len(o) == 0
}

// cond is one field condition. value is a string (query-string filters) or a decoded JSON value
// (search bodies); for $in/$nin it is a []any.
type cond struct {
	field string
	op    string
	value any
	re    *regexp.Regexp
}

// queryOps are the v1 query-string operators (the eventually consistent ones are accepted too).
var queryOps = keySet("$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$sw", "$ew", "$co", "$nco")

// searchOps are the Mongo-style operators accepted in search bodies.
var searchOps = keySet("$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$sw", "$regex", "$exists")

// multiTermOps split their value on unescaped "|" in query strings.
var multiTermOps = keySet("$in", "$nin", "$sw", "$ew", "$co", "$nco")

// parseFilterString parses field:$op:value. The value is everything after the second colon.
func parseFilterString(s string) (cond, error) {
	field, rest, ok := strings.Cut(s, ":")
	if !ok {
		return cond{}, fmt.Errorf("invalid filter %q: want <field>:<operator>:<value>", s)
	}
	op, value, ok := strings.Cut(rest, ":")
	if !ok {
		return cond{}, fmt.Errorf("invalid filter %q: want <field>:<operator>:<value>", s)
	}
	if field == "" {
		return cond{}, errors.New("invalid filter: empty field")
	}
	if !queryOps[op] {
		return cond{}, fmt.Errorf("invalid filter operator %q", op)
	}
	c := cond{field: field, op: op, value: value}
	if multiTermOps[op] {
		terms := splitTerms(value)
		vals := make([]any, len(terms))
		for i, t := range terms {
			vals[i] = t
		}
		c.value = vals
	}
	return c, nil
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

var (
	reFilterAnd = regexp.MustCompile(`^filter(?:\[and\])?\[(\d*)\]$`)
	reFilterOr  = regexp.MustCompile(`^filter\[or\]\[(\d*)\]$`)
)

// parseQueryFilter reads the filter parameters of a GET: filter=, repeated filter=, filter[N]=,
// filter[and][N]= (all ANDed) and filter[or][N]= (ORed, then ANDed with the rest). It returns
// the top-level conditions ANDed together (so callers can spot _id ranges).
func parseQueryFilter(q url.Values) ([]expr, error) {
	type indexed struct {
		n int
		c cond
	}
	var and, or []indexed
	for key, vals := range q {
		var target *[]indexed
		var idx string
		switch {
		case key == "filter":
			target = &and
		case reFilterAnd.MatchString(key):
			target, idx = &and, reFilterAnd.FindStringSubmatch(key)[1]
		case reFilterOr.MatchString(key):
			target, idx = &or, reFilterOr.FindStringSubmatch(key)[1]
		case strings.HasPrefix(key, "filter["):
			return nil, fmt.Errorf("invalid filter parameter %q", key)
		default:
			continue
		}
		n, _ := strconv.Atoi(idx)
		for _, v := range vals {
			if v == "" {
				continue
			}
			c, err := parseFilterString(v)
			if err != nil {
				return nil, err
			}
			*target = append(*target, indexed{n, c})
		}
	}
	byIndex := func(a, b indexed) int { return a.n - b.n }
	slices.SortStableFunc(and, byIndex)
	slices.SortStableFunc(or, byIndex)
	var out []expr
	for _, a := range and {
		out = append(out, a.c)
	}
	if len(or) > 0 {
		oe := make(orExpr, 0, len(or))
		for _, o := range or {
			oe = append(oe, o.c)
		}
		out = append(out, oe)
	}
	return out, nil
}

// parseSearchFilter reads a search body's filter: {"and":[...]}, {"or":[...]}, an array of
// expressions (ANDed), or a single expression object. Expressions map fields to a value (exact
// match) or to an object of operators ({"$gt": ...}); they may nest "and"/"or" groups.
func parseSearchFilter(raw json.RawMessage) (expr, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	return parseSearchNode(raw, 0)
}

const maxFilterDepth = 16

func parseSearchNode(raw json.RawMessage, depth int) (expr, error) {
	if depth > maxFilterDepth {
		return nil, errors.New("filter nests too deeply")
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, errors.New("filter must be an object or an array of objects")
		}
		a := make(andExpr, 0, len(items))
		for _, it := range items {
			e, err := parseSearchNode(it, depth+1)
			if err != nil {
				return nil, err
			}
			a = append(a, e)
		}
		return a, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, errors.New("filter must be an object or an array of objects")
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	a := andExpr{}
	for _, k := range keys {
		v := m[k]
		switch k {
		case "and", "$and", "or", "$or":
			var items []json.RawMessage
			if err := json.Unmarshal(v, &items); err != nil {
				return nil, fmt.Errorf("filter %q must be an array", k)
			}
			var group []expr
			for _, it := range items {
				e, err := parseSearchNode(it, depth+1)
				if err != nil {
					return nil, err
				}
				group = append(group, e)
			}
			if strings.HasSuffix(k, "or") {
				a = append(a, orExpr(group))
			} else {
				a = append(a, andExpr(group))
			}
		default:
			conds, err := parseFieldCondition(k, v)
			if err != nil {
				return nil, err
			}
			for _, c := range conds {
				a = append(a, c)
			}
		}
	}
	return a, nil
}

// parseFieldCondition reads {field: value} or {field: {"$op": value, ...}}.
func parseFieldCondition(field string, raw json.RawMessage) ([]cond, error) {
	if field == "" {
		return nil, errors.New("filter has an empty field name")
	}
	var ops map[string]json.RawMessage
	if json.Unmarshal(raw, &ops) == nil && len(ops) > 0 && allOperators(ops) {
		var out []cond
		keys := make([]string, 0, len(ops))
		for k := range ops {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, op := range keys {
			if !searchOps[op] {
				return nil, fmt.Errorf("unsupported filter operator %q", op)
			}
			var v any
			if err := json.Unmarshal(ops[op], &v); err != nil {
				return nil, fmt.Errorf("invalid value for %s", op)
			}
			c := cond{field: field, op: op, value: v}
			switch op {
			case "$in", "$nin":
				if _, ok := v.([]any); !ok {
					return nil, fmt.Errorf("%s needs an array", op)
				}
			case "$regex":
				s, ok := v.(string)
				if !ok {
					return nil, errors.New("$regex needs a string")
				}
				re, err := regexp.Compile(s)
				if err != nil {
					return nil, errors.New("$regex is not a valid regular expression")
				}
				c.re = re
			}
			out = append(out, c)
		}
		return out, nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("invalid value for field %q", field)
	}
	if arr, ok := v.([]any); ok {
		return []cond{{field: field, op: "$in", value: arr}}, nil
	}
	return []cond{{field: field, op: "$eq", value: v}}, nil
}

func allOperators(m map[string]json.RawMessage) bool {
	for k := range m {
		if !strings.HasPrefix(k, "$") {
			return false
		}
	}
	return true
}

func (c cond) match(r row) bool {
	vals := r.values(c.field)
	if len(vals) == 0 {
		vals = []any{nil} // a missing field is null, as in Mongo
	}
	switch c.op {
	case "$ne":
		return !anyEqual(vals, c.value)
	case "$in":
		for _, t := range asList(c.value) {
			if anyEqual(vals, t) {
				return true
			}
		}
		return false
	case "$nin":
		for _, t := range asList(c.value) {
			if anyEqual(vals, t) {
				return false
			}
		}
		return true
	case "$exists":
		present := !(len(vals) == 1 && vals[0] == nil)
		want, _ := c.value.(bool)
		if s, ok := c.value.(string); ok {
			want = s == "true"
		}
		return present == want
	}
	return slices.ContainsFunc(vals, c.matchOne)
}

func (c cond) matchOne(v any) bool {
	switch c.op {
	case "$eq":
		n, ok := compare(v, c.value)
		return ok && n == 0
	case "$gt", "$gte", "$lt", "$lte":
		n, ok := compare(v, c.value)
		if !ok {
			return false
		}
		switch c.op {
		case "$gt":
			return n > 0
		case "$gte":
			return n >= 0
		case "$lt":
			return n < 0
		default:
			return n <= 0
		}
	case "$regex":
		s, ok := v.(string)
		return ok && c.re.MatchString(s)
	case "search":
		s, ok := v.(string)
		return ok && strings.Contains(strings.ToLower(s), strings.ToLower(text(c.value)))
	case "$sw", "$ew", "$co", "$nco":
		s, ok := v.(string)
		if !ok {
			return false
		}
		hit := false
		for _, t := range asList(c.value) {
			ts := text(t)
			switch c.op {
			case "$sw":
				hit = hit || strings.HasPrefix(s, ts)
			case "$ew":
				hit = hit || strings.HasSuffix(s, ts)
			default:
				hit = hit || strings.Contains(s, ts)
			}
		}
		if c.op == "$nco" {
			return !hit
		}
		return hit
	}
	return false
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

func anyEqual(vals []any, want any) bool {
	for _, v := range vals {
		if n, ok := compare(v, want); ok && n == 0 {
			return true
		}
	}
	return false
}

// text renders a filter value as text.
func text(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return "null"
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return fmt.Sprint(x)
	}
}

// compare compares a field value with a filter value. Strings compare as strings (dates too:
// they are ISO 8601 text), booleans and numbers accept their text forms, null equals null or
// "null". ok is false when the two cannot be compared.
func compare(field, want any) (int, bool) {
	switch f := field.(type) {
	case nil:
		if want == nil || want == "null" {
			return 0, true
		}
		return 0, false
	case string:
		switch w := want.(type) {
		case string:
			return strings.Compare(f, w), true
		case nil:
			return 0, false
		default:
			return strings.Compare(f, text(w)), true
		}
	case bool:
		var w bool
		switch x := want.(type) {
		case bool:
			w = x
		case string:
			b, err := strconv.ParseBool(x)
			if err != nil {
				return 0, false
			}
			w = b
		default:
			return 0, false
		}
		switch {
		case f == w:
			return 0, true
		case !f:
			return -1, true
		default:
			return 1, true
		}
	case int:
		return compareNumber(float64(f), want)
	case float64:
		return compareNumber(f, want)
	}
	return 0, false
}

func compareNumber(f float64, want any) (int, bool) {
	var w float64
	switch x := want.(type) {
	case float64:
		w = x
	case int:
		w = float64(x)
	case string:
		p, err := strconv.ParseFloat(x, 64)
		if err != nil || math.IsNaN(p) {
			return 0, false
		}
		w = p
	default:
		return 0, false
	}
	switch {
	case f < w:
		return -1, true
	case f > w:
		return 1, true
	}
	return 0, true
}

// sortKey is one field of a sort specification.
type sortKey struct {
	field string
	desc  bool
}

// parseSort reads "a -b c" (space separated; commas tolerated).
func parseSort(s string) []sortKey {
	var keys []sortKey
	for f := range strings.FieldsSeq(strings.ReplaceAll(s, ",", " ")) {
		k := sortKey{field: f}
		if strings.HasPrefix(f, "-") {
			k = sortKey{field: f[1:], desc: true}
		} else if strings.HasPrefix(f, "+") {
			k.field = f[1:]
		}
		if k.field != "" {
			keys = append(keys, k)
		}
	}
	return keys
}

// parseFields reads a space-separated field list (commas tolerated).
func parseFields(s string) []string {
	return strings.Fields(strings.ReplaceAll(s, ",", " "))
}

// typeRank orders values of different types like BSON: null, numbers, strings, booleans.
func typeRank(v any) int {
	switch v.(type) {
	case nil:
		return 0
	case int, float64:
		return 1
	case string:
		return 2
	case bool:
		return 3
	}
	return 4
}

func sortValue(r row, field string) any {
	vals := r.values(field)
	if len(vals) == 0 {
		return nil
	}
	return vals[0]
}

func compareForSort(a, b any) int {
	ra, rb := typeRank(a), typeRank(b)
	if ra != rb {
		return ra - rb
	}
	if n, ok := compare(a, b); ok {
		return n
	}
	return 0
}

// textSearch is a searchFilter: any of fields contains any of terms (case-insensitive).
type textSearch struct {
	terms  []string
	fields []string
}

var defaultSearchFields = []string{"username", "email", "firstname", "lastname", "displayname"}

func (t *textSearch) match(r row) bool {
	fields := t.fields
	if len(fields) == 0 {
		fields = defaultSearchFields
	}
	for _, f := range fields {
		for _, v := range r.values(f) {
			s, ok := v.(string)
			if !ok {
				continue
			}
			ls := strings.ToLower(s)
			for _, term := range t.terms {
				if strings.Contains(ls, strings.ToLower(term)) {
					return true
				}
			}
		}
	}
	return false
}

// parseSearchFilterBody reads {"searchTerm": string | [string], "fields": [string]}.
func parseSearchFilterBody(raw json.RawMessage) (*textSearch, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	var body struct {
		SearchTerm json.RawMessage `json:"searchTerm"`
		Fields     json.RawMessage `json:"fields"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		return nil, errors.New("searchFilter must be an object")
	}
	t := &textSearch{}
	var one string
	if err := json.Unmarshal(body.SearchTerm, &one); err == nil {
		t.terms = []string{one}
	} else if err := json.Unmarshal(body.SearchTerm, &t.terms); err != nil && len(body.SearchTerm) > 0 {
		return nil, errors.New("searchFilter.searchTerm must be a string or an array of strings")
	}
	if len(body.Fields) > 0 && !bytes.Equal(body.Fields, []byte("null")) {
		if err := json.Unmarshal(body.Fields, &t.fields); err != nil {
			var s string
			if json.Unmarshal(body.Fields, &s) != nil {
				return nil, errors.New("searchFilter.fields must be an array of strings")
			}
			t.fields = parseFields(s)
		}
	}
	if len(t.terms) == 0 {
		return nil, nil
	}
	return t, nil
}

var (
	reSearchTerm   = regexp.MustCompile(`^search\[searchTerm\](?:\[\d*\])?$`)
	reSearchFields = regexp.MustCompile(`^search\[fields\](?:\[\d*\])?$`)
)

// parseQuerySearch reads the GET list's search parameter, whose encoding JumpCloud does not
// document: search[searchTerm]=t (or search[searchTerm][N]=t) with search[fields][N]=f (or
// search[fields]="f g"), or search=<JSON object> like a search body's searchFilter.
func parseQuerySearch(q url.Values) (*textSearch, error) {
	if js := q.Get("search"); js != "" {
		return parseSearchFilterBody(json.RawMessage(js))
	}
	t := &textSearch{}
	keys := make([]string, 0)
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch {
		case reSearchTerm.MatchString(k):
			t.terms = append(t.terms, q[k]...)
		case reSearchFields.MatchString(k):
			for _, v := range q[k] {
				t.fields = append(t.fields, parseFields(v)...)
			}
		}
	}
	if len(t.terms) == 0 {
		return nil, nil
	}
	return t, nil
}

// listQuery is a parsed list or search request.
type listQuery struct {
	filter []expr // ANDed
	text   *textSearch
	sort   []sortKey
	limit  int
	skip   int
	fields []string
}

// run evaluates q over o: the total number of matches and the requested page.
//
// The default order (no sort, or _id) is the storage order, so no sorting happens; top-level _id
// range conditions ($gt/$gte/$lt/$lte, as a keyset-paging client sends) narrow the scan by binary
// search; without other conditions a page costs O(log n + limit).
func (o *org) run(q listQuery) (int, []*record) {
	lo, hi := 0, len(o.users)
	var rest andExpr
	for _, e := range q.filter {
		c, ok := e.(cond)
		s, isStr := c.value.(string)
		if !ok || c.field != "_id" || !isStr {
			rest = append(rest, e)
			continue
		}
		switch c.op {
		case "$gt":
			lo = max(lo, o.lowerBound(s, true))
		case "$gte":
			lo = max(lo, o.lowerBound(s, false))
		case "$lt":
			hi = min(hi, o.lowerBound(s, false))
		case "$lte":
			hi = min(hi, o.lowerBound(s, true))
		default:
			rest = append(rest, e)
		}
	}
	if hi < lo {
		hi = lo
	}
	idOrder := len(q.sort) == 0 || (len(q.sort) == 1 && q.sort[0].field == "_id")
	desc := idOrder && len(q.sort) == 1 && q.sort[0].desc

	var matches []*record
	if len(rest) == 0 && q.text == nil {
		matches = o.users[lo:hi]
	} else {
		for _, r := range o.users[lo:hi] {
			if rest.match(&r.User) && (q.text == nil || q.text.match(&r.User)) {
				matches = append(matches, r)
			}
		}
	}
	total := len(matches)
	if !idOrder {
		matches = slices.Clone(matches)
		sort.SliceStable(matches, func(i, j int) bool {
			for _, k := range q.sort {
				n := compareForSort(sortValue(&matches[i].User, k.field), sortValue(&matches[j].User, k.field))
				if n != 0 {
					return (n < 0) != k.desc
				}
			}
			return matches[i].ID < matches[j].ID
		})
	}
	start := min(q.skip, total)
	end := min(start+q.limit, total)
	page := make([]*record, 0, end-start)
	if desc {
		for i := total - 1 - start; i > total-1-end; i-- {
			page = append(page, matches[i])
		}
	} else {
		page = append(page, matches[start:end]...)
	}
	return total, page
}

// v2Ops maps API v2 filter operators (no "$": eq, ne, gt, ge, lt, le, in, search) to conditions.
// between is documented without an encoding for its two bounds, so it is refused.
var v2Ops = map[string]string{"eq": "$eq", "ne": "$ne", "gt": "$gt", "ge": "$gte", "lt": "$lt", "le": "$lte", "in": "$in", "search": "search"}

// parseV2Filter parses an API v2 filter, field:op:value. The value is everything after the second
// colon; in takes "|"-separated terms; search is a case-insensitive substring match.
func parseV2Filter(s string) (cond, error) {
	field, rest, ok := strings.Cut(s, ":")
	op, value, ok2 := strings.Cut(rest, ":")
	if !ok || !ok2 || field == "" {
		return cond{}, fmt.Errorf("invalid filter %q: want <field>:<operator>:<value>", s)
	}
	mapped, known := v2Ops[op]
	if !known {
		return cond{}, fmt.Errorf("invalid filter operator %q: API v2 operators are eq, ne, gt, ge, lt, le, in and search", op)
	}
	c := cond{field: field, op: mapped, value: value}
	if op == "in" {
		terms := splitTerms(value)
		vals := make([]any, len(terms))
		for i, t := range terms {
			vals[i] = t
		}
		c.value = vals
	}
	return c, nil
}

// parseV2Filters reads the filter query parameter of a v2 list: repeated, and (the document's
// style form, explode false) comma-separated. A comma only separates filters when every piece
// is a filter of its own, so "name:eq:Sales, EU" stays one filter.
func parseV2Filters(vals []string) ([]expr, error) {
	var out []expr
	for _, v := range vals {
		if v == "" {
			continue
		}
		pieces := []string{v}
		if parts := strings.Split(v, ","); len(parts) > 1 {
			split := true
			for _, p := range parts {
				if _, err := parseV2Filter(p); err != nil {
					split = false
					break
				}
			}
			if split {
				pieces = parts
			}
		}
		for _, p := range pieces {
			c, err := parseV2Filter(p)
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
	}
	return out, nil
}

// sortRows sorts rows stably by keys; rows that compare equal keep their order.
func sortRows[T row](rows []T, keys []sortKey) {
	if len(keys) == 0 {
		return
	}
	sort.SliceStable(rows, func(i, j int) bool {
		for _, k := range keys {
			n := compareForSort(sortValue(rows[i], k.field), sortValue(rows[j], k.field))
			if n != 0 {
				return (n < 0) != k.desc
			}
		}
		return false
	})
}

// page returns rows[skip:skip+limit], clamped.
func page[T any](rows []T, skip, limit int) []T {
	start := min(skip, len(rows))
	end := min(start+limit, len(rows))
	return rows[start:end]
}
