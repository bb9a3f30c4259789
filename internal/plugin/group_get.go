package plugin

import (
	"github.com/spf13/cobra"
)

const groupGetLong = `Get one JumpCloud user group (GET /v2/usergroups/{id}) and its members.

The argument is the group's JumpCloud id (24 hexadecimal characters) or its exact,
case-sensitive name.

Every member is read (GET /v2/usergroups/{id}/members, every page of 100), each id once, and
named by username where the API key can read the user: the usernames are looked up 100 users at
a time. A member whose user cannot be read shows its id only. For a dynamic group the members are
the ones JumpCloud has computed.`

const groupGetExample = `  # A group by name, with its attributes and members
  kubectl jumpcloud groups get Engineering

  # By id, as YAML (members as id and username)
  kubectl jumpcloud groups get 5f0c1a2b3c4d5e6f70819204 -o yaml`

type groupGetOptions struct {
	output string
}

func newGroupGetCommand(g *globalOptions) *cobra.Command {
	o := &groupGetOptions{}
	cmd := &cobra.Command{
		Use:     "get NAME|ID",
		Short:   "Get one JumpCloud user group and its members",
		Long:    groupGetLong,
		Example: groupGetExample,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd, g, args[0])
		},
	}
	cmd.Flags().StringVarP(&o.output, "output", "o", formatTable, "output format: table, yaml or json")
	return cmd
}

func (o *groupGetOptions) run(cmd *cobra.Command, g *globalOptions, arg string) error {
	if err := checkFormat(o.output); err != nil {
		return err
	}
	jc, err := g.jumpCloudClient(cmd.Context())
	if err != nil {
		return err
	}
	grp, err := findGroup(cmd.Context(), jc, arg)
	if err != nil {
		return err
	}
	members, err := groupMembers(cmd.Context(), jc, grp.ID)
	if err != nil {
		return explain(err)
	}
	if o.output == formatTable {
		return printGroupDetail(g.streams.Out, grp, members)
	}
	d := groupDetail{groupView: groupViewOf(grp), Members: members}
	n := len(members)
	d.MemberCount = &n
	return printStructured(g.streams.Out, o.output, d)
}
