package jumpcloud

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Operation names of the SSH key calls (API v1).
const (
	OpSSHKeyList   = "sshkey-list"
	OpSSHKeyAdd    = "sshkey-add"
	OpSSHKeyDelete = "sshkey-delete"
)

// SSHKey is one of a system user's public SSH keys (API v1 sshkeylist). JumpCloud has no update
// for keys: change one by adding the new key and deleting the old.
type SSHKey struct {
	ID        string
	Name      string
	PublicKey string
	// CreateDate is nil when JumpCloud left it empty or it could not be parsed.
	CreateDate *time.Time
}

type wireSSHKey struct {
	ID         lenientString `json:"_id"`
	Name       lenientString `json:"name"`
	PublicKey  lenientString `json:"public_key"`
	CreateDate lenientTime   `json:"create_date"`
}

func (w wireSSHKey) toSSHKey() SSHKey {
	return SSHKey{ID: string(w.ID), Name: string(w.Name), PublicKey: string(w.PublicKey), CreateDate: w.CreateDate.t}
}

// ListSSHKeys returns the user's public SSH keys (GET /systemusers/{id}/sshkeys).
func (c *Client) ListSSHKeys(ctx context.Context, userID string) ([]SSHKey, error) {
	path, err := userPath(OpSSHKeyList, userID, "/sshkeys")
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, request{op: OpSSHKeyList, method: http.MethodGet, path: path, retry: retryIdempotent})
	if err != nil {
		return nil, err
	}
	rows, _, err := decodeArray(resp.body)
	if err != nil {
		return nil, decodeError(OpSSHKeyList, resp.status)
	}
	keys := make([]SSHKey, 0, len(rows))
	for _, raw := range rows {
		var w wireSSHKey
		if decodeObjectInto(raw, &w) {
			keys = append(keys, w.toSSHKey())
		}
	}
	return keys, nil
}

// AddSSHKey adds a public SSH key to the user (POST /systemusers/{id}/sshkeys with {name,
// public_key}, both required) and returns the key JumpCloud created, with its id. A key JumpCloud
// refuses as a duplicate yields AlreadyExists.
//
// It is never retried automatically, like the other creates: whether an add whose answer was lost
// took effect is for the caller to find out (ListSSHKeys) before it adds again.
func (c *Client) AddSSHKey(ctx context.Context, userID, name, publicKey string) (*SSHKey, error) {
	path, err := userPath(OpSSHKeyAdd, userID, "/sshkeys")
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(name) == "" || strings.TrimSpace(publicKey) == "" {
		return nil, invalidArgument(OpSSHKeyAdd, "an SSH key needs a name and a public key")
	}
	body, err := json.Marshal(map[string]string{"name": name, "public_key": publicKey})
	if err != nil {
		return nil, invalidArgument(OpSSHKeyAdd, "SSH key cannot be encoded as JSON")
	}
	resp, err := c.do(ctx, request{op: OpSSHKeyAdd, method: http.MethodPost, path: path, body: body, retry: retryNever})
	if err != nil {
		return nil, err
	}
	var w wireSSHKey
	if !decodeObjectInto(resp.body, &w) {
		return nil, decodeError(OpSSHKeyAdd, resp.status)
	}
	k := w.toSSHKey()
	if k.ID == "" {
		// The key exists now, but without its id the caller could never delete it by id.
		return nil, &Error{Kind: KindUnknown, Operation: OpSSHKeyAdd, StatusCode: resp.status, Err: errors.New("the answer carries no key id")}
	}
	return &k, nil
}

// DeleteSSHKey deletes one of the user's keys (DELETE /systemusers/{systemuser_id}/sshkeys/{id}).
// A key that is already gone (404, as is a user that is gone) counts as deleted: the call returns
// nil. It is retried like any idempotent call.
func (c *Client) DeleteSSHKey(ctx context.Context, userID, keyID string) error {
	if strings.TrimSpace(keyID) == "" {
		return invalidArgument(OpSSHKeyDelete, "SSH key id is empty")
	}
	if strings.ContainsAny(keyID, "/?#") {
		return invalidArgument(OpSSHKeyDelete, "SSH key id contains a reserved character")
	}
	path, err := userPath(OpSSHKeyDelete, userID, "/sshkeys/")
	if err != nil {
		return err
	}
	path += url.PathEscape(keyID)
	// The answer is a bare string (JSON or text/plain); it is not read.
	_, err = c.do(ctx, request{op: OpSSHKeyDelete, method: http.MethodDelete, path: path, retry: retryIdempotent})
	if IsNotFound(err) {
		return nil
	}
	return err
}
