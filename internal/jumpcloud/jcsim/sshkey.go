package jcsim

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"
)

// sshKeyTypes are the public key algorithms accepted in public_key (OpenSSH authorized_keys
// format: "<type> <base64 blob> [comment]").
var sshKeyTypes = keySet(
	"ssh-rsa", "ssh-dss", "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
	"ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
)

// checkPublicKey checks an OpenSSH public key line: a known type, a base64 blob made of SSH wire
// strings whose first one repeats the type, and an optional comment. It returns the key without
// its comment (type and blob), by which duplicates are recognised, or a message.
func checkPublicKey(line string) (material, msg string) {
	fields := strings.Fields(line)
	if len(fields) < 2 {
		return "", "public_key must be an OpenSSH public key: <type> <base64> [comment]"
	}
	typ, b64 := fields[0], fields[1]
	if !sshKeyTypes[typ] {
		return "", "public_key has an unknown key type " + typ
	}
	blob, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return "", "public_key is not valid base64"
	}
	var parts [][]byte
	for rest := blob; len(rest) > 0; {
		if len(rest) < 4 {
			return "", "public_key is malformed"
		}
		n := binary.BigEndian.Uint32(rest)
		if uint64(n) > uint64(len(rest)-4) {
			return "", "public_key is malformed"
		}
		parts = append(parts, rest[4:4+n])
		rest = rest[4+n:]
	}
	if len(parts) < 2 || string(parts[0]) != typ {
		return "", "public_key is malformed"
	}
	return typ + " " + b64, ""
}

// sshKeyInput is a key as a client sends it (sshkeypost).
type sshKeyInput struct {
	Name      *string `json:"name"`
	PublicKey *string `json:"public_key"`
}

// checkSSHKeyInput validates one sshkeypost; it returns the key's material or a message.
func checkSSHKeyInput(in sshKeyInput, k Knobs) (material, msg string) {
	if in.Name == nil || strings.TrimSpace(*in.Name) == "" {
		return "", "name is required"
	}
	if utf8.RuneCountInString(*in.Name) > defaultMaxLen {
		return "", "name must be at most 1024 characters"
	}
	if in.PublicKey == nil || strings.TrimSpace(*in.PublicKey) == "" {
		return "", "public_key is required"
	}
	if k.LenientSSHKeys {
		return strings.TrimSpace(*in.PublicKey), ""
	}
	return checkPublicKey(*in.PublicKey)
}

// keyMaterial is what duplicates are compared by: the key without its comment.
func keyMaterial(publicKey string) string {
	f := strings.Fields(publicKey)
	if len(f) >= 2 {
		return f[0] + " " + f[1]
	}
	return strings.TrimSpace(publicKey)
}

// replaceSSHKeys applies ssh_keys of a PUT: the list is replaced whole; an entry equal to an
// existing key (same name and key) keeps its _id and create_date, others are new keys.
func (s *Server) replaceSSHKeys(existing []SSHKey, raw json.RawMessage, k Knobs) ([]SSHKey, int, string) {
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return []SSHKey{}, 0, ""
	}
	var in []sshKeyInput
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, http.StatusBadRequest, "ssh_keys: invalid value"
	}
	out := make([]SSHKey, 0, len(in))
	seen := map[string]bool{}
	for _, key := range in {
		material, msg := checkSSHKeyInput(key, k)
		if msg != "" {
			return nil, http.StatusBadRequest, "ssh_keys: " + msg
		}
		if seen[material] && k.DuplicateSSHKeyStatus != 0 {
			return nil, k.DuplicateSSHKeyStatus, "ssh_keys: SSH key already exists"
		}
		seen[material] = true
		pk := strings.TrimSpace(*key.PublicKey)
		i := slices.IndexFunc(existing, func(e SSHKey) bool { return e.Name == *key.Name && e.PublicKey == pk })
		if i >= 0 {
			out = append(out, existing[i])
			continue
		}
		out = append(out, SSHKey{ID: s.newID(), Name: *key.Name, PublicKey: pk, Created: formatTime(s.now())})
	}
	return out, 0, ""
}

// sshKeyChange is the changes entry of an SSH key added or removed (the public key left out).
func sshKeyChange(added bool, key SSHKey) []EventChange {
	k := map[string]string{"_id": key.ID, "name": key.Name}
	if added {
		return []EventChange{{Field: "ssh_keys", From: nil, To: k}}
	}
	return []EventChange{{Field: "ssh_keys", From: k, To: nil}}
}

func (s *Server) handleSSHKeyList(c *call, resp *response) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, r := s.userLocked(c, resp)
	if r == nil {
		return
	}
	resp.json(http.StatusOK, append([]SSHKey{}, r.SSHKeys...))
}

func (s *Server) handleSSHKeyAdd(c *call, resp *response) {
	var in sshKeyInput
	if err := json.Unmarshal(c.body, &in); err != nil {
		resp.error(http.StatusBadRequest, "the body must be a JSON object with name and public_key")
		return
	}
	material, msg := checkSSHKeyInput(in, c.knobs)
	if msg != "" {
		resp.error(http.StatusBadRequest, msg)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, r := s.userLocked(c, resp)
	if r == nil {
		return
	}
	if c.knobs.DuplicateSSHKeyStatus != 0 && slices.ContainsFunc(r.SSHKeys, func(k SSHKey) bool { return keyMaterial(k.PublicKey) == material }) {
		resp.error(c.knobs.DuplicateSSHKeyStatus, "SSH key already exists")
		return
	}
	key := SSHKey{ID: s.newID(), Name: *in.Name, PublicKey: strings.TrimSpace(*in.PublicKey), Created: formatTime(s.now())}
	r.SSHKeys = append(slices.Clip(r.SSHKeys), key)
	c.entry.KeyID = key.ID
	s.recordEvent(c.org, apiActor(c), c.knobs, c.knobs.EventTypes.SSHKeyAdd, userObject(&r.User, c.knobs), nil, sshKeyChange(true, key))
	resp.json(http.StatusOK, key)
}

func (s *Server) handleSSHKeyDelete(c *call, resp *response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, r := s.userLocked(c, resp)
	if r == nil {
		return
	}
	if !isObjectID(c.sub) {
		resp.error(http.StatusBadRequest, "invalid id")
		return
	}
	i := slices.IndexFunc(r.SSHKeys, func(k SSHKey) bool { return k.ID == c.sub })
	if i < 0 {
		resp.error(http.StatusNotFound, "SSH key not found")
		return
	}
	removed := r.SSHKeys[i]
	r.SSHKeys = slices.Delete(slices.Clone(r.SSHKeys), i, i+1)
	s.recordEvent(c.org, apiActor(c), c.knobs, c.knobs.EventTypes.SSHKeyRemove, userObject(&r.User, c.knobs), nil, sshKeyChange(false, removed))
	resp.raw(http.StatusOK, "text/plain; charset=utf-8", []byte("OK"))
}

// FakePublicKey returns a well-formed OpenSSH ed25519 public key line, derived from seed and
// commented with it, for tests: the same seed gives the same key. It is not a usable key pair.
func FakePublicKey(seed string) string {
	sum := sha256.Sum256([]byte("jcsim-ssh:" + seed))
	var blob []byte
	for _, part := range [][]byte{[]byte("ssh-ed25519"), sum[:]} {
		blob = binary.BigEndian.AppendUint32(blob, uint32(len(part)))
		blob = append(blob, part...)
	}
	return "ssh-ed25519 " + base64.StdEncoding.EncodeToString(blob) + " " + seed
}
