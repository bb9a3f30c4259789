package controller

import (
	"context"

	"github.com/jumpcloud-operator/jumpcloud-operator/internal/connection"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

// userAPI is the JumpCloud calls the user and operation reconcilers make, and all they know of
// the client: deciding what to do is kept apart from calling JumpCloud, so that the decisions can
// be tested without a server and a test can stand in for JumpCloud with a fake. The contract is
// the client's: reads have no side effects; NotFound and AlreadyExists are typed errors.
type userAPI interface {
	GetUser(ctx context.Context, id string, fields ...string) (*jumpcloud.User, error)
	FindUserByUsername(ctx context.Context, username string) (*jumpcloud.User, error)
	CreateUser(ctx context.Context, f jumpcloud.UserFields, opts jumpcloud.CreateOptions) (*jumpcloud.User, error)
	UpdateUser(ctx context.Context, id string, f jumpcloud.UserFields) (*jumpcloud.User, error)
	DeleteUser(ctx context.Context, id string, opts jumpcloud.DeleteOptions) error
	SuspendUser(ctx context.Context, id string) error
	ActivateUser(ctx context.Context, id string, opts jumpcloud.ActivateOptions) error
	UnlockUser(ctx context.Context, id string) error
	ExpirePassword(ctx context.Context, id string) error
	ResetMFA(ctx context.Context, id string, opts jumpcloud.ResetMFAOptions) error
	ListSSHKeys(ctx context.Context, userID string) ([]jumpcloud.SSHKey, error)
	AddSSHKey(ctx context.Context, userID, name, publicKey string) (*jumpcloud.SSHKey, error)
	DeleteSSHKey(ctx context.Context, userID, keyID string) error
}

// verifyAPI is the one call that verifies a connection's key.
type verifyAPI interface {
	ListUsers(ctx context.Context, opts jumpcloud.ListOptions) (*jumpcloud.UserPage, error)
}

var (
	_ userAPI   = (*jumpcloud.Client)(nil)
	_ verifyAPI = (*jumpcloud.Client)(nil)
)

// apiSource gives the JumpCloud calls of a connection; nil means the connection's own client.
// Tests set it to put a fake in JumpCloud's place.
type apiSource func(*connection.Connection) userAPI

func (f apiSource) of(conn *connection.Connection) userAPI {
	if f != nil {
		return f(conn)
	}
	return conn.Client
}
