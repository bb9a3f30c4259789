package plugin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

const groupListLong = `List JumpCloud user groups (GET /v2/usergroups).

One page of at most --limit groups (default and maximum 100) is shown, starting after --skip;
when the page is full, a note on stderr says how to get the next one (API v2 does not say how
many groups match in all). --all reads every matching group, page by page in name order (so it
cannot be combined with --skip or --sort).

Filters are API v2 conditions field:op:value, ANDed, with op one of eq ne gt ge lt le in search
(without the "$" of the user filters; a "$" is accepted and dropped). Values are case sensitive;
search is a partial match; in takes several values separated by "|". A value cannot contain a
comma, since JumpCloud takes the filters as one comma-separated list.

The member count is not shown by default: JumpCloud's group list does not carry it, so counting
reads every listed group's members (one request per 100 members of each group). Ask for it with
--count-members.`

const groupListExample = `  # The first 100 groups
  kubectl jumpcloud groups list

  # Groups whose name contains "eng", with their member counts
  kubectl jumpcloud groups list --filter name:search:eng --count-members

  # Groups whose name contains "admin", in reverse name order, as JSON
  kubectl jumpcloud groups list --filter name:search:admin --sort -name -o json

  # Every group, page by page, as YAML
  kubectl jumpcloud groups list --all -o yaml`

type groupListOptions struct {
	filters      []string
	sort         []string
	limit        int
	skip         int
	all          bool
	countMembers bool
	output       string
}

func newGroupListCommand(g *globalOptions) *cobra.Command {
	o := &groupListOptions{}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List JumpCloud user groups",
		Long:    groupListLong,
		Example: groupListExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd, g)
		},
	}
	fs := cmd.Flags()
	fs.StringArrayVar(&o.filters, "filter", nil, "filter field:op:value, op one of eq ne gt ge lt le in search (in takes a|b|c); repeatable, ANDed")
	fs.StringSliceVar(&o.sort, "sort", nil, "sort by these fields, comma or space separated; prefix a field with - for descending (e.g. -name)")
	fs.IntVar(&o.limit, "limit", defaultLimit, "how many groups to return, 1-100; with --all, the page size")
	fs.IntVar(&o.skip, "skip", 0, "skip this many matching groups first")
	fs.BoolVar(&o.all, "all", false, "read every matching group, page by page (not with --skip or --sort)")
	fs.BoolVar(&o.countMembers, "count-members", false, "count each group's members (reads every listed group's member list)")
	fs.StringVarP(&o.output, "output", "o", formatTable, "output format: table, yaml or json")
	return cmd
}

// options checks the flags and turns them into the client's list options.
func (o *groupListOptions) options() (jumpcloud.GroupListOptions, error) {
	var opts jumpcloud.GroupListOptions
	sort := splitList(o.sort)
	switch {
	case o.limit < 1:
		return opts, errors.New("--limit must be at least 1")
	case o.limit > jumpcloud.MaxPageSize && !o.all:
		return opts, fmt.Errorf("--limit is at most %d (JumpCloud's page size); use --all to read every page", jumpcloud.MaxPageSize)
	case o.limit > jumpcloud.MaxPageSize:
		return opts, fmt.Errorf("--limit (the page size with --all) is at most %d", jumpcloud.MaxPageSize)
	case o.skip < 0:
		return opts, errors.New("--skip must not be negative")
	case o.all && o.skip > 0:
		return opts, errors.New("--all reads every matching group; it cannot be combined with --skip")
	case o.all && len(sort) > 0:
		return opts, errors.New("--all pages in name order; it cannot be combined with --sort")
	}
	for _, raw := range o.filters {
		f, err := parseGroupFilter(raw)
		if err != nil {
			return opts, fmt.Errorf("--filter: %w", err)
		}
		opts.Filter = append(opts.Filter, f)
	}
	opts.Sort, opts.Limit, opts.Skip = sort, o.limit, o.skip
	return opts, nil
}

// groupFilterOps are the API v2 filter operators, as the client sends them.
var groupFilterOps = []jumpcloud.V2FilterOp{
	jumpcloud.V2Eq, jumpcloud.V2Ne, jumpcloud.V2Gt, jumpcloud.V2Ge, jumpcloud.V2Lt, jumpcloud.V2Le,
	jumpcloud.V2In, jumpcloud.V2Search, jumpcloud.V2Between,
}

// parseGroupFilter parses field:op:value; the value is everything after the second colon. A "$"
// before the operator (the user filters' form) is dropped.
func parseGroupFilter(s string) (jumpcloud.V2Filter, error) {
	field, rest, ok := strings.Cut(s, ":")
	op, value, ok2 := strings.Cut(rest, ":")
	if !ok || !ok2 {
		return jumpcloud.V2Filter{}, fmt.Errorf("filter %q: want field:op:value", s)
	}
	f := jumpcloud.V2Filter{Field: field, Op: jumpcloud.V2FilterOp(strings.TrimPrefix(op, "$")), Value: value}
	switch {
	case field == "" || strings.ContainsAny(field, ", \t\r\n"):
		return f, fmt.Errorf("filter %q: the field is empty or contains a comma or whitespace", s)
	case !slices.Contains(groupFilterOps, f.Op):
		return f, fmt.Errorf("filter %q: the operator is not one of eq ne gt ge lt le in search between", s)
	case strings.Contains(value, ","):
		return f, fmt.Errorf("filter %q: a value cannot contain a comma (JumpCloud takes the filters as one comma-separated list)", s)
	}
	return f, nil
}

func (o *groupListOptions) run(cmd *cobra.Command, g *globalOptions) error {
	if err := checkFormat(o.output); err != nil {
		return err
	}
	opts, err := o.options()
	if err != nil {
		return err
	}
	jc, err := g.jumpCloudClient(cmd.Context())
	if err != nil {
		return err
	}
	groups, err := o.fetch(cmd.Context(), jc, opts)
	if err != nil {
		return explain(err)
	}
	var counts map[string]int
	if o.countMembers {
		if counts, err = memberCounts(cmd.Context(), jc, groups); err != nil {
			return explain(err)
		}
	}
	if o.output == formatTable {
		if err := printGroupTable(g.streams.Out, groups, counts); err != nil {
			return err
		}
	} else {
		// Like JumpCloud's v2 answer: a bare array.
		views := make([]groupView, 0, len(groups))
		for i := range groups {
			v := groupViewOf(&groups[i])
			if n, ok := counts[v.ID]; ok {
				v.MemberCount = &n
			}
			views = append(views, v)
		}
		if err := printStructured(g.streams.Out, o.output, views); err != nil {
			return err
		}
	}
	if !o.all && len(groups) == o.limit {
		fmt.Fprintf(g.streams.ErrOut, "Showing groups %d-%d; more may follow: next page --skip %d, or read them all with --all.\n",
			o.skip+1, o.skip+len(groups), o.skip+len(groups))
	}
	return nil
}

// fetch reads one page, or every page with --all.
func (o *groupListOptions) fetch(ctx context.Context, jc *jumpcloud.Client, opts jumpcloud.GroupListOptions) ([]jumpcloud.Group, error) {
	if !o.all {
		return jc.ListGroups(ctx, opts)
	}
	var groups []jumpcloud.Group
	for grp, err := range jc.AllGroups(ctx, opts) {
		if err != nil {
			return nil, err
		}
		groups = append(groups, grp)
	}
	return groups, nil
}

// memberCounts reads every member of each group (every page) and counts them.
func memberCounts(ctx context.Context, jc *jumpcloud.Client, groups []jumpcloud.Group) (map[string]int, error) {
	counts := make(map[string]int, len(groups))
	for i := range groups {
		ids, err := jc.GroupMembers(ctx, groups[i].ID)
		if err != nil {
			return nil, err
		}
		counts[groups[i].ID] = len(ids)
	}
	return counts, nil
}
