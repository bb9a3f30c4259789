package plugin

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

const listLong = `List JumpCloud users (GET /systemusers), or search them (POST /search/systemusers) with --search.

One page of at most --limit users (default and maximum 100) is shown, starting after --skip;
when more users match, a note on stderr says how to get the next page. --all reads every
matching user, page by page in _id order (so it cannot be combined with --skip or --sort).

Filters are JumpCloud's field:$op:value conditions, ANDed, or ORed with --or. Values are case
sensitive; $in and $nin take several values separated by "|". --search is a partial,
case-insensitive text match on --search-fields (JumpCloud's default fields when unset); it can be
combined with filters but not with --sort.

--fields selects the fields JumpCloud returns (comma or space separated, JumpCloud's names such
as username, email, department, account_locked); the table then shows those columns.`

const listExample = `  # The first 100 users in the default table
  kubectl jumpcloud list

  # Users of the IT or the Finance department, newest first, as JSON
  kubectl jumpcloud list --filter 'department:$eq:IT' --filter 'department:$eq:Finance' --or --sort -created -o json

  # Locked-out accounts, only some fields
  kubectl jumpcloud list --filter 'account_locked:$eq:true' --fields username,email,badLoginAttempts

  # Search for "smith" in names and emails
  kubectl jumpcloud list --search smith --search-fields firstname,lastname,email

  # Every user, page by page, as YAML
  kubectl jumpcloud list --all -o yaml`

type listOptions struct {
	selection
	fields []string
	output string
}

func newListCommand(g *globalOptions) *cobra.Command {
	o := &listOptions{}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List or search JumpCloud users",
		Long:    listLong,
		Example: listExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd, g)
		},
	}
	o.addFlags(cmd.Flags())
	cmd.Flags().StringSliceVar(&o.fields, "fields", nil, "fields to return, comma or space separated (default: all)")
	cmd.Flags().StringVarP(&o.output, "output", "o", formatTable, "output format: table, yaml or json")
	return cmd
}

func (o *listOptions) run(cmd *cobra.Command, g *globalOptions) error {
	if err := checkFormat(o.output); err != nil {
		return err
	}
	if _, err := o.parsed(); err != nil {
		return err
	}
	fields := splitList(o.fields)
	warnUnknownFields(g, fields)
	jc, err := g.jumpCloudClient(cmd.Context())
	if err != nil {
		return err
	}
	res, err := o.fetch(cmd.Context(), jc, fields)
	if err != nil {
		return explain(err)
	}
	if o.output == formatTable {
		if err := printTable(g.streams.Out, res.users, fields); err != nil {
			return err
		}
	} else {
		list := userList{TotalCount: res.total, Results: make([]any, 0, len(res.users))}
		for i := range res.users {
			list.Results = append(list.Results, record(&res.users[i], fields))
		}
		if err := printStructured(g.streams.Out, o.output, list); err != nil {
			return err
		}
	}
	if !o.all {
		warnPartial(g, res, o.skip)
	}
	return nil
}

// warnUnknownFields notes on stderr the selected fields the plugin cannot show.
func warnUnknownFields(g *globalOptions, fields []string) {
	if unknown := unknownFields(fields); len(unknown) > 0 {
		fmt.Fprintf(g.streams.ErrOut, "Warning: kubectl-jumpcloud does not show the field(s) %s.\n", strings.Join(unknown, ", "))
	}
}

// explain adds a hint to the JumpCloud errors a person can act on.
func explain(err error) error {
	switch {
	case jumpcloud.IsUnauthorized(err):
		return fmt.Errorf("%w (JumpCloud refused the API key; check the connection's Secret, or --org-id for a multi-tenant key)", err)
	case jumpcloud.IsForbidden(err):
		return fmt.Errorf("%w (the API key may not do this)", err)
	case jumpcloud.IsNotFound(err):
		// Lists and searches have no user to miss: JumpCloud does not know the organization.
		return fmt.Errorf("%w (check the connection's orgID, or --org-id)", err)
	}
	return err
}
