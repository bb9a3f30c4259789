package plugin

import (
	"fmt"
	"regexp"

	"github.com/spf13/cobra"

	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

const getLong = `Get one JumpCloud user (GET /systemusers/{id}).

The argument is the user's JumpCloud id (24 hexadecimal characters). Anything else is taken as a
username and looked up first (an exact, case-sensitive match).

--fields selects the fields JumpCloud returns (comma or space separated, JumpCloud's names); the
table then shows those columns.`

const getExample = `  # A user by id
  kubectl jumpcloud get 5f0c1a2b3c4d5e6f70819204

  # A user by username, some fields only
  kubectl jumpcloud get alice --fields email,department,account_locked

  # Everything JumpCloud returns, as YAML
  kubectl jumpcloud get alice -o yaml`

// objectID matches a JumpCloud id.
var objectID = regexp.MustCompile(`^[0-9a-f]{24}$`)

type getOptions struct {
	fields []string
	output string
}

func newGetCommand(g *globalOptions) *cobra.Command {
	o := &getOptions{}
	cmd := &cobra.Command{
		Use:     "get ID|USERNAME",
		Short:   "Get one JumpCloud user by id (or username)",
		Long:    getLong,
		Example: getExample,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd, g, args[0])
		},
	}
	cmd.Flags().StringSliceVar(&o.fields, "fields", nil, "fields to return, comma or space separated (default: all)")
	cmd.Flags().StringVarP(&o.output, "output", "o", formatTable, "output format: table, yaml or json")
	return cmd
}

func (o *getOptions) run(cmd *cobra.Command, g *globalOptions, arg string) error {
	if err := checkFormat(o.output); err != nil {
		return err
	}
	fields := splitList(o.fields)
	warnUnknownFields(g, fields)
	jc, err := g.jumpCloudClient(cmd.Context())
	if err != nil {
		return err
	}
	id := arg
	if !objectID.MatchString(arg) {
		u, err := jc.FindUserByUsername(cmd.Context(), arg)
		if jumpcloud.IsNotFound(err) {
			return fmt.Errorf("no JumpCloud user has the username %q", arg)
		}
		if err != nil {
			return explain(err)
		}
		id = u.ID
	}
	u, err := jc.GetUser(cmd.Context(), id, fields...)
	if jumpcloud.IsNotFound(err) {
		return fmt.Errorf("no JumpCloud user has the id %s", id)
	}
	if err != nil {
		return explain(err)
	}
	if o.output == formatTable {
		return printTable(g.streams.Out, []jumpcloud.User{*u}, fields)
	}
	return printStructured(g.streams.Out, o.output, record(u, fields))
}
