package plugin

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

const groupsLong = `Read JumpCloud user groups (API v2) and turn them into JumpCloudUserGroup manifests.

  list     the organization's user groups, filtered, sorted and paged
  get      one group with its attributes and members
  import   JumpCloudUserGroup manifests (ObserveOnly) for existing groups, with their members

The global flags choose the connection exactly as for the user commands.`

const groupsExample = `  # Every user group, as a table
  kubectl jumpcloud groups list --all

  # One group with its members
  kubectl jumpcloud groups get Engineering

  # Onboard two groups into Git for namespace team-a
  kubectl jumpcloud groups import Engineering Admins -n team-a --out groups/`

func newGroupsCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "groups",
		Aliases: []string{"group"},
		Short:   "List, get and import JumpCloud user groups",
		Long:    groupsLong,
		Example: groupsExample,
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(
		newGroupListCommand(g),
		newGroupGetCommand(g),
		newGroupImportCommand(g),
	)
	return cmd
}

// findGroup returns the group arg names: the group with that id when arg is a JumpCloud id, else
// (or when no group has that id) the group with exactly that name.
func findGroup(ctx context.Context, jc *jumpcloud.Client, arg string) (*jumpcloud.Group, error) {
	if objectID.MatchString(arg) {
		g, err := jc.GetGroup(ctx, arg)
		switch {
		case err == nil:
			return g, nil
		case !jumpcloud.IsNotFound(err):
			return nil, explain(err)
		}
	}
	g, err := jc.FindGroupByName(ctx, arg)
	if jumpcloud.IsNotFound(err) {
		return nil, fmt.Errorf("no JumpCloud user group has the name or id %q", arg)
	}
	if err != nil {
		return nil, explain(err)
	}
	return g, nil
}

// isDynamic reports whether JumpCloud computes the group's members.
func isDynamic(g *jumpcloud.Group) bool {
	return g.MembershipMethod == jumpcloud.MembershipDynamicAutomated ||
		g.MembershipMethod == jumpcloud.MembershipDynamicReviewRequired
}
