package jumpcloud

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"
)

func TestListSSHKeys(t *testing.T) {
	f, c := newFake(t, always(200, `[
	  {"_id":"k1","name":"laptop","public_key":"ssh-ed25519 AAAAC3Nza alice@laptop","create_date":"2024-01-02T03:04:05.000Z"},
	  {"_id":"k2","name":"old","public_key":"ssh-rsa AAAAB3Nza","create_date":""},
	  "junk"
	]`))
	keys, err := c.ListSSHKeys(context.Background(), "u1")
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	if len(keys) != 2 || keys[0].ID != "k1" || keys[0].Name != "laptop" || keys[0].PublicKey != "ssh-ed25519 AAAAC3Nza alice@laptop" ||
		keys[0].CreateDate == nil || !keys[0].CreateDate.Equal(created) || keys[1].CreateDate != nil {
		t.Errorf("keys %+v", keys)
	}
	r := f.requests()[0]
	if r.Method != http.MethodGet || r.Path != "/api/systemusers/u1/sshkeys" || f.observed("sshkey-list 200") != 1 {
		t.Errorf("%s %s, observed %v", r.Method, r.Path, f.ops)
	}

	f, c = newFake(t, sequence(answer{Status: 502}, answer{Body: `[]`}))
	keys, err = c.ListSSHKeys(context.Background(), "u1")
	if err != nil || len(keys) != 0 || !slices.Equal(f.retries(), []string{"sshkey-list 502"}) {
		t.Errorf("keys %v err %v retries %v", keys, err, f.retries())
	}
	_, c = newFake(t, always(404, `{"message":"Not Found"}`))
	if _, err := c.ListSSHKeys(context.Background(), "u1"); !IsNotFound(err) {
		t.Errorf("err = %v", err)
	}
	_, c = newFake(t, always(200, `{"not":"a list"}`))
	if _, err := c.ListSSHKeys(context.Background(), "u1"); KindOf(err) != KindUnknown {
		t.Errorf("err = %v", err)
	}
}

func TestAddSSHKey(t *testing.T) {
	f, c := newFake(t, always(200, `{"_id":"k9","name":"laptop","public_key":"ssh-ed25519 AAAA","create_date":"2026-05-01T10:00:00Z"}`))
	k, err := c.AddSSHKey(context.Background(), "u1", "laptop", "ssh-ed25519 AAAA")
	if err != nil {
		t.Fatal(err)
	}
	if k.ID != "k9" || k.Name != "laptop" || k.CreateDate == nil {
		t.Errorf("key %+v", k)
	}
	r := f.requests()[0]
	if r.Method != http.MethodPost || r.Path != "/api/systemusers/u1/sshkeys" {
		t.Errorf("%s %s", r.Method, r.Path)
	}
	assertJSON(t, r.Body, `{"name":"laptop","public_key":"ssh-ed25519 AAAA"}`)

	for name, args := range map[string][3]string{
		"no user": {"", "n", "k"}, "no name": {"u1", " ", "k"}, "no key": {"u1", "n", ""}, "bad user": {"u/1", "n", "k"},
	} {
		if _, err := c.AddSSHKey(context.Background(), args[0], args[1], args[2]); !IsValidation(err) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if len(f.requests()) != 1 {
		t.Errorf("%d requests", len(f.requests()))
	}

	// An answer without the key's id cannot be used to delete it later.
	_, c = newFake(t, always(200, `{"name":"laptop"}`))
	if _, err := c.AddSSHKey(context.Background(), "u1", "laptop", "ssh-ed25519 AAAA"); KindOf(err) != KindUnknown {
		t.Errorf("err = %v", err)
	}
}

func TestAddSSHKeyErrorsAreNotRetried(t *testing.T) {
	tests := []struct {
		status int
		body   string
		kind   Kind
	}{
		{400, `{"message":"Public key already exists"}`, KindAlreadyExists},
		{409, `{"message":"Conflict"}`, KindAlreadyExists},
		{400, `{"message":"invalid public key"}`, KindValidation},
		{404, `{"message":"Not Found"}`, KindNotFound},
		{429, ``, KindRateLimited},
		{503, ``, KindUnavailable},
	}
	for _, tt := range tests {
		f, c := newFake(t, always(tt.status, tt.body))
		_, err := c.AddSSHKey(context.Background(), "u1", "laptop", "ssh-ed25519 AAAA")
		var e *Error
		if !errors.As(err, &e) || e.Kind != tt.kind || e.Operation != OpSSHKeyAdd {
			t.Errorf("%d: err = %v", tt.status, err)
		}
		if len(f.requests()) != 1 || len(f.retries()) != 0 {
			t.Errorf("%d: %d requests, retries %v", tt.status, len(f.requests()), f.retries())
		}
	}
	f, c := newFake(t, func(int, seenRequest) answer { return answer{Drop: true} })
	if _, err := c.AddSSHKey(context.Background(), "u1", "laptop", "ssh-ed25519 AAAA"); !IsUnavailable(err) || len(f.requests()) != 1 {
		t.Errorf("err = %v, %d requests", err, len(f.requests()))
	}
}

func TestDeleteSSHKey(t *testing.T) {
	f, c := newFake(t, func(int, seenRequest) answer {
		return answer{Body: "deleted", Header: http.Header{"Content-Type": {"text/plain"}}}
	})
	if err := c.DeleteSSHKey(context.Background(), "u1", "k1"); err != nil {
		t.Fatal(err)
	}
	r := f.requests()[0]
	if r.Method != http.MethodDelete || r.Path != "/api/systemusers/u1/sshkeys/k1" || f.observed("sshkey-delete 200") != 1 {
		t.Errorf("%s %s observed %v", r.Method, r.Path, f.ops)
	}

	// Already gone is done; so is a retry that finds it gone.
	_, c = newFake(t, always(404, `{"message":"Not Found"}`))
	if err := c.DeleteSSHKey(context.Background(), "u1", "k1"); err != nil {
		t.Errorf("404: %v", err)
	}
	f, c = newFake(t, sequence(answer{Drop: true}, answer{Status: 404}))
	if err := c.DeleteSSHKey(context.Background(), "u1", "k1"); err != nil || !slices.Equal(f.retries(), []string{"sshkey-delete connection"}) {
		t.Errorf("err %v retries %v", err, f.retries())
	}
	f, c = newFake(t, sequence(answer{Status: 503}, answer{Status: 200, Body: `"ok"`}))
	if err := c.DeleteSSHKey(context.Background(), "u1", "k1"); err != nil || len(f.requests()) != 2 {
		t.Errorf("err %v after %d requests", err, len(f.requests()))
	}

	_, c = newFake(t, always(403, `{"message":"Forbidden"}`))
	if err := c.DeleteSSHKey(context.Background(), "u1", "k1"); !IsForbidden(err) {
		t.Errorf("err = %v", err)
	}
	for _, ids := range [][2]string{{"", "k1"}, {"u1", ""}, {"u1", "k/1"}, {"u?1", "k1"}} {
		if err := c.DeleteSSHKey(context.Background(), ids[0], ids[1]); !IsValidation(err) {
			t.Errorf("%q: err = %v", ids, err)
		}
	}
}
