package jumpcloud

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
)

// API v2 lives below the same base URL as v1 (which already ends in /api): <base>/v2/...
const v2Prefix = "/v2"

// objectPath returns <prefix>/<escaped id><suffix>, rejecting ids that cannot be one. what names
// the id in the error ("group id", "user id", ...).
func objectPath(op, what, prefix, id, suffix string) (string, error) {
	if strings.TrimSpace(id) == "" {
		return "", invalidArgument(op, what+" is empty")
	}
	if strings.ContainsAny(id, "/?#") {
		return "", invalidArgument(op, what+" contains a reserved character")
	}
	return prefix + "/" + url.PathEscape(id) + suffix, nil
}

// V2FilterOp is an API v2 filter operator. Unlike v1's, it has no "$".
type V2FilterOp string

// The filter operators JumpCloud documents for API v2 lists.
const (
	V2Eq      V2FilterOp = "eq"
	V2Ne      V2FilterOp = "ne"
	V2Gt      V2FilterOp = "gt"
	V2Ge      V2FilterOp = "ge"
	V2Lt      V2FilterOp = "lt"
	V2Le      V2FilterOp = "le"
	V2Between V2FilterOp = "between"
	V2Search  V2FilterOp = "search"
	V2In      V2FilterOp = "in"
)

var v2FilterOps = map[V2FilterOp]bool{
	V2Eq: true, V2Ne: true, V2Gt: true, V2Ge: true, V2Lt: true, V2Le: true,
	V2Between: true, V2Search: true, V2In: true,
}

// V2Filter is one API v2 condition <field>:<op>:<value>, e.g. name:eq:Admins. Values are case
// sensitive, and JumpCloud documents that they support wild cards.
type V2Filter struct {
	Field string
	Op    V2FilterOp
	Value string
}

// String renders the filter as field:op:value.
func (f V2Filter) String() string { return f.Field + ":" + string(f.Op) + ":" + f.Value }

func (f V2Filter) validate() error {
	if f.Field == "" {
		return errors.New("filter field is empty")
	}
	if strings.ContainsAny(f.Field, ":, \t\r\n") {
		return errors.New("filter field " + strconv.Quote(f.Field) + " contains a colon, a comma or whitespace")
	}
	if !v2FilterOps[f.Op] {
		return errors.New("filter operator " + strconv.Quote(string(f.Op)) + " is not one of eq ne gt ge lt le between search in")
	}
	return nil
}

// v2Page is how a v2 list is paged: limit (1..100, larger lowered; 0 leaves JumpCloud's default
// of 10) and skip.
func v2Page(q url.Values, op string, limit, skip int) error {
	if limit < 0 || skip < 0 {
		return invalidArgument(op, "limit and skip must not be negative")
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(min(limit, MaxPageSize)))
	}
	if skip > 0 {
		q.Set("skip", strconv.Itoa(skip))
	}
	return nil
}

// decodeArray splits a v2 answer, a bare JSON array, into its entries that are JSON objects, and
// also returns how many entries the array had (paging goes by that count). An answer that is not
// an array is an error.
func decodeArray(b []byte) ([]json.RawMessage, int, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '[' {
		return nil, 0, errors.New("answer is not a JSON array")
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, 0, err
	}
	n := len(raw)
	out := raw[:0]
	for _, r := range raw {
		if r = bytes.TrimSpace(r); len(r) > 0 && r[0] == '{' {
			out = append(out, r)
		}
	}
	return out, n, nil
}

// pageRepeatedError reports a server that answered a full page holding nothing new, which is what
// a server that ignores skip does; paging on would never end.
func pageRepeatedError(op string) *Error {
	return &Error{Kind: KindUnknown, Operation: op, Err: errors.New("a full page repeated rows already seen; the server appears to ignore skip")}
}
