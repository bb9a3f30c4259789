package jcsim

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestCheckPublicKey(t *testing.T) {
	good := FakePublicKey("alice@laptop")
	if _, msg := checkPublicKey(good); msg != "" {
		t.Fatalf("FakePublicKey is refused: %s", msg)
	}
	if x1, x2, y := FakePublicKey("x"), FakePublicKey("x"), FakePublicKey("y"); x1 != x2 || x1 == y {
		t.Error("FakePublicKey is not deterministic per seed")
	}
	blob := strings.Fields(good)[1]
	raw, _ := base64.StdEncoding.DecodeString(blob)
	for name, key := range map[string]string{
		"no blob":          "ssh-ed25519",
		"unknown type":     "ssh-foo " + blob,
		"not base64":       "ssh-ed25519 !!!",
		"type mismatch":    "ssh-rsa " + blob,
		"truncated blob":   "ssh-ed25519 " + base64.StdEncoding.EncodeToString(raw[:len(raw)-3]),
		"trailing garbage": "ssh-ed25519 " + base64.StdEncoding.EncodeToString(append(raw, 1, 2)),
		"options first":    `command="x" ` + good,
	} {
		if _, msg := checkPublicKey(key); msg == "" {
			t.Errorf("%s: accepted", name)
		}
	}
	if m, _ := checkPublicKey(good); m != keyMaterial(strings.Replace(good, "alice@laptop", "other comment", 1)) {
		t.Error("material depends on the comment")
	}
}

func TestSSHKeys(t *testing.T) {
	s := start(t, Options{})
	u := s.user("alice")
	path := "/api/systemusers/" + u.ID + "/sshkeys"

	code, h, b := s.do("POST", path, map[string]any{"name": "laptop", "public_key": FakePublicKey("laptop")})
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		t.Fatalf("add: %d %s", code, b)
	}
	var k SSHKey
	if err := json.Unmarshal(b, &k); err != nil || !isObjectID(k.ID) || k.Name != "laptop" || k.PublicKey != FakePublicKey("laptop") || k.Created == "" {
		t.Fatalf("added key: %s (%v)", b, err)
	}
	s.do("POST", path, map[string]any{"name": "desktop", "public_key": FakePublicKey("desktop")})

	code, _, b = s.do("GET", path, nil)
	var keys []SSHKey
	if err := json.Unmarshal(b, &keys); code != 200 || err != nil || len(keys) != 2 || keys[0] != k {
		t.Fatalf("list: %d %s", code, b)
	}
	if got, _ := s.User("", u.ID); len(got.SSHKeys) != 2 || got.SSHKeys[0] != k {
		t.Errorf("ssh_keys of the user: %+v", got.SSHKeys)
	}
	_, _, b = s.do("GET", "/api/systemusers/"+u.ID+"?fields=ssh_keys", nil)
	if !strings.Contains(string(b), `"ssh_keys":[{"_id":"`+k.ID) {
		t.Errorf("ssh_keys in GET: %s", b)
	}

	for name, body := range map[string]any{
		"malformed key": map[string]any{"name": "x", "public_key": "ssh-rsa AAAA"},
		"no name":       map[string]any{"public_key": FakePublicKey("a")},
		"empty name":    map[string]any{"name": " ", "public_key": FakePublicKey("a")},
		"no key":        map[string]any{"name": "x"},
		"not an object": "[]",
		"wrong type":    map[string]any{"name": 1, "public_key": FakePublicKey("a")},
	} {
		if code, _, b := s.do("POST", path, body); code != 400 {
			t.Errorf("%s: %d %s", name, code, b)
		}
	}
	if code, _, _ := s.do("POST", "/api/systemusers/0123456789abcdef01234567/sshkeys", map[string]any{"name": "x", "public_key": FakePublicKey("a")}); code != 404 {
		t.Errorf("unknown user: %d", code)
	}

	// Duplicates are accepted unless the knob refuses them.
	if code, _, _ := s.do("POST", path, map[string]any{"name": "again", "public_key": FakePublicKey("laptop")}); code != 200 {
		t.Errorf("duplicate accepted by default: %d", code)
	}
	s.UpdateKnobs(func(k *Knobs) { k.DuplicateSSHKeyStatus = 409 })
	if code, _, _ := s.do("POST", path, map[string]any{"name": "again", "public_key": FakePublicKey("laptop")}); code != 409 {
		t.Errorf("duplicate with the knob: %d", code)
	}
	s.UpdateKnobs(func(k *Knobs) { k.DuplicateSSHKeyStatus, k.LenientSSHKeys = 0, true })
	if code, _, _ := s.do("POST", path, map[string]any{"name": "lenient", "public_key": "anything"}); code != 200 {
		t.Errorf("lenient: %d", code)
	}
	s.UpdateKnobs(func(k *Knobs) { k.LenientSSHKeys = false })

	// Delete by key id; no update call exists.
	code, h, b = s.do("DELETE", path+"/"+k.ID, nil)
	if code != 200 || string(b) != "OK" || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
		t.Errorf("delete: %d %q %s", code, b, h.Get("Content-Type"))
	}
	if code, _, _ := s.do("DELETE", path+"/"+k.ID, nil); code != 404 {
		t.Errorf("delete again: %d", code)
	}
	if code, _, _ := s.do("DELETE", path+"/nope", nil); code != 400 {
		t.Errorf("delete with a bad id: %d", code)
	}
	if code, _, _ := s.do("PUT", path+"/"+k.ID, map[string]any{}); code != http.StatusMethodNotAllowed {
		t.Errorf("update: %d", code)
	}
	if got, _ := s.User("", u.ID); len(got.SSHKeys) != 3 {
		t.Errorf("after delete: %+v", got.SSHKeys)
	}

	// PUT ssh_keys replaces the list; a key sent again keeps its id.
	before, _ := s.User("", u.ID)
	kept := before.SSHKeys[0]
	code, _, b = s.do("PUT", "/api/systemusers/"+u.ID, map[string]any{"ssh_keys": []any{
		map[string]any{"name": kept.Name, "public_key": kept.PublicKey},
		map[string]any{"name": "new", "public_key": FakePublicKey("new")},
	}})
	var got User
	_ = json.Unmarshal(b, &got)
	if code != 200 || len(got.SSHKeys) != 2 || got.SSHKeys[0] != kept || got.SSHKeys[1].ID == "" || got.SSHKeys[1].ID == kept.ID {
		t.Errorf("PUT ssh_keys: %d %s", code, b)
	}
	if code, _, _ := s.do("PUT", "/api/systemusers/"+u.ID, map[string]any{"ssh_keys": []any{map[string]any{"name": "x", "public_key": "bad"}}}); code != 400 {
		t.Errorf("PUT with a bad key: %d", code)
	}

	if ops := s.Counts(); ops["sshkey-add"] != 12 || ops["sshkey-list"] != 1 || ops["sshkey-delete"] != 3 {
		t.Errorf("counts: %v", ops)
	}
	adds := s.RequestsFor("sshkey-add")
	if adds[0].UserID != u.ID || adds[0].KeyID != k.ID {
		t.Errorf("log entry: %+v", adds[0])
	}
	if dels := s.RequestsFor("sshkey-delete"); dels[0].KeyID != k.ID || dels[0].UserID != u.ID {
		t.Errorf("log entry: %+v", dels[0])
	}

	// Helper.
	hk, err := s.AddSSHKey("", u.ID, "console", "ssh-ed25519 whatever")
	if err != nil || hk.ID == "" {
		t.Fatal(hk, err)
	}
	if _, err := s.AddSSHKey("", "0123456789abcdef01234567", "x", "y"); err == nil {
		t.Error("AddSSHKey on an unknown user")
	}
}
