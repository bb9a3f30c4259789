package jumpcloud

import (
	"encoding/json"
	"net/http"
	"strings"
)

// WriteHook is told the JumpCloud ids a write touched: the ids in its path and, for a create, the
// id of what it created. It is called after each attempt of a write that may have changed
// JumpCloud (an answer in 2xx, or no answer at all), possibly concurrently.
type WriteHook func(ids []string)

// OnWrite sets the hook told of every write the client sends; nil removes it. The change feed
// uses it to recognise the events of the operator's own writes.
func (c *Client) OnWrite(fn WriteHook) {
	if fn == nil {
		c.writeHook.Store(nil)
		return
	}
	c.writeHook.Store(&fn)
}

// noteWrite tells the write hook about one attempt of r; status is 0 when no answer arrived.
func (c *Client) noteWrite(r request, status int, answer []byte) {
	hook := c.writeHook.Load()
	if hook == nil || r.method == http.MethodGet || r.read || (status != 0 && (status < 200 || status > 299)) {
		return
	}
	ids := idsInPath(r.path)
	if r.method == http.MethodPost && status != 0 {
		if id := createdID(answer); id != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) > 0 {
		(*hook)(ids)
	}
}

// idsInPath returns the path segments that are JumpCloud object ids (24 hexadecimal characters).
func idsInPath(path string) []string {
	var ids []string
	for seg := range strings.SplitSeq(path, "/") {
		if isObjectID(seg) {
			ids = append(ids, seg)
		}
	}
	return ids
}

func isObjectID(s string) bool {
	if len(s) != 24 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// createdID reads the id of the object a create answered with ("_id" in API v1, "id" in v2).
func createdID(answer []byte) string {
	var obj struct {
		V1 string `json:"_id"`
		V2 string `json:"id"`
	}
	if len(answer) == 0 || answer[0] != '{' || json.Unmarshal(answer, &obj) != nil {
		return ""
	}
	for _, id := range []string{obj.V1, obj.V2} {
		if isObjectID(id) {
			return id
		}
	}
	return ""
}
