package plugin

import (
	"cmp"
	"context"
	"slices"

	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

// member is one member of a group: its JumpCloud user id and, when the user could be read, its
// username.
type member struct {
	ID       string `json:"id"`
	Username string `json:"username,omitempty"`
}

// groupMembers reads every member of the group (every page) and names them, sorted by username
// (members whose user could not be read last, by id).
func groupMembers(ctx context.Context, jc *jumpcloud.Client, groupID string) ([]member, error) {
	ids, err := jc.GroupMembers(ctx, groupID)
	if err != nil {
		return nil, err
	}
	names, err := usernames(ctx, jc, ids)
	if err != nil {
		return nil, err
	}
	out := make([]member, 0, len(ids))
	for _, id := range ids {
		out = append(out, member{ID: id, Username: names[id]})
	}
	sortMembers(out)
	return out, nil
}

func sortMembers(ms []member) {
	slices.SortFunc(ms, func(a, b member) int {
		switch {
		case a.Username == "" && b.Username != "":
			return 1
		case a.Username != "" && b.Username == "":
			return -1
		}
		return cmp.Or(cmp.Compare(a.Username, b.Username), cmp.Compare(a.ID, b.ID))
	})
}

// usernames maps user ids to usernames. It lists the users by id, 100 at a time (GET /systemusers
// with _id:$in:..., the username field only), then reads the users a list did not return one by
// one, so that a server which does not filter by _id costs requests but not correctness. A user
// that cannot be read (deleted meanwhile, or hidden from the API key) is left out of the map.
func usernames(ctx context.Context, jc *jumpcloud.Client, ids []string) (map[string]string, error) {
	names := make(map[string]string, len(ids))
	for batch := range slices.Chunk(ids, jumpcloud.MaxPageSize) {
		page, err := jc.ListUsers(ctx, jumpcloud.ListOptions{
			Limit:  len(batch),
			Fields: []string{"username"},
			Filter: []jumpcloud.Filter{{Field: "_id", Op: jumpcloud.FilterIn, Value: batch}},
		})
		switch {
		case jumpcloud.IsValidation(err):
			// The filter was refused: fall back to reading the users one by one.
		case err != nil:
			return nil, err
		default:
			for _, u := range page.Users {
				if u.Username != "" && slices.Contains(batch, u.ID) {
					names[u.ID] = u.Username
				}
			}
		}
	}
	for _, id := range ids {
		if _, ok := names[id]; ok {
			continue
		}
		u, err := jc.GetUser(ctx, id, "username")
		switch {
		case jumpcloud.IsNotFound(err), jumpcloud.IsForbidden(err):
		case err != nil:
			return nil, err
		case u.Username != "":
			names[id] = u.Username
		}
	}
	return names, nil
}
