package plugin

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

// defaultLimit is the page size list and import ask for: JumpCloud's maximum.
const defaultLimit = jumpcloud.MaxPageSize

// selection holds the flags that choose users, shared by list and import.
type selection struct {
	limit        int
	skip         int
	all          bool
	sort         []string
	filters      []string
	or           bool
	search       []string
	searchFields []string
}

func (s *selection) addFlags(fs *pflag.FlagSet) {
	fs.IntVar(&s.limit, "limit", defaultLimit, "how many users to return, 1-100; with --all, the page size")
	fs.IntVar(&s.skip, "skip", 0, "skip this many matching users first")
	fs.BoolVar(&s.all, "all", false, "read every matching user, page by page (not with --skip or --sort)")
	fs.StringSliceVar(&s.sort, "sort", nil, "sort by these fields, comma or space separated; prefix a field with - for descending (e.g. -created,username)")
	fs.StringArrayVar(&s.filters, "filter", nil, "filter field:$op:value, $op one of $eq $ne $gt $gte $lt $lte $in $nin ($in/$nin take a|b|c); repeatable, ANDed unless --or")
	fs.BoolVar(&s.or, "or", false, "combine the --filter conditions with OR instead of AND")
	fs.StringArrayVar(&s.search, "search", nil, "partial, case-insensitive text search (JumpCloud's search endpoint); repeatable, a user matches any term")
	fs.StringSliceVar(&s.searchFields, "search-fields", nil, "fields --search looks in, comma separated (default: JumpCloud's, such as username, email, names)")
}

// splitList splits flag values on commas and whitespace, dropping empty items.
func splitList(values []string) []string {
	var out []string
	for _, v := range values {
		out = append(out, strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })...)
	}
	return out
}

// parsed checks the flags and parses the filters.
func (s *selection) parsed() ([]jumpcloud.Filter, error) {
	switch {
	case s.limit < 1:
		return nil, errors.New("--limit must be at least 1")
	case s.limit > jumpcloud.MaxPageSize && !s.all:
		return nil, fmt.Errorf("--limit is at most %d (JumpCloud's page size); use --all to read every page", jumpcloud.MaxPageSize)
	case s.limit > jumpcloud.MaxPageSize:
		return nil, fmt.Errorf("--limit (the page size with --all) is at most %d", jumpcloud.MaxPageSize)
	case s.skip < 0:
		return nil, errors.New("--skip must not be negative")
	case s.all && s.skip > 0:
		return nil, errors.New("--all reads every matching user; it cannot be combined with --skip")
	case s.all && len(splitList(s.sort)) > 0:
		return nil, errors.New("--all pages in _id order; it cannot be combined with --sort")
	case len(s.search) > 0 && len(splitList(s.sort)) > 0:
		return nil, errors.New("--sort cannot be combined with --search: JumpCloud's search endpoint does not sort")
	case len(s.searchFields) > 0 && len(s.search) == 0:
		return nil, errors.New("--search-fields needs --search")
	case s.or && len(s.filters) < 2:
		return nil, errors.New("--or needs at least two --filter conditions")
	}
	filters := make([]jumpcloud.Filter, 0, len(s.filters))
	for _, raw := range s.filters {
		f, err := jumpcloud.ParseFilter(raw)
		if err != nil {
			return nil, fmt.Errorf("--filter: %w", err)
		}
		filters = append(filters, f)
	}
	return filters, nil
}

// result is what a selection found: the users, and how many match in all.
type result struct {
	users []jumpcloud.User
	total int
}

// fetch runs the selection against JumpCloud, asking for fields (all when empty).
func (s *selection) fetch(ctx context.Context, jc *jumpcloud.Client, fields []string) (*result, error) {
	filters, err := s.parsed()
	if err != nil {
		return nil, err
	}
	if len(s.search) > 0 {
		return s.fetchSearch(ctx, jc, filters, fields)
	}
	opts := jumpcloud.ListOptions{
		Limit:  s.limit,
		Skip:   s.skip,
		Sort:   splitList(s.sort),
		Fields: fields,
		Filter: filters,
		Or:     s.or,
	}
	if !s.all {
		page, err := jc.ListUsers(ctx, opts)
		if err != nil {
			return nil, err
		}
		return &result{users: page.Users, total: page.TotalCount}, nil
	}
	res := &result{}
	for u, err := range jc.AllUsers(ctx, opts) {
		if err != nil {
			return nil, err
		}
		res.users = append(res.users, u)
	}
	res.total = len(res.users)
	return res, nil
}

// fetchSearch uses POST /search/systemusers, paging by offset with --all.
func (s *selection) fetchSearch(ctx context.Context, jc *jumpcloud.Client, filters []jumpcloud.Filter, fields []string) (*result, error) {
	sr := jumpcloud.SearchRequest{
		Filter: filters,
		Or:     s.or,
		Text:   &jumpcloud.TextSearch{Terms: s.search, Fields: splitList(s.searchFields)},
		Fields: fields,
		Limit:  s.limit,
		Skip:   s.skip,
	}
	res := &result{}
	for {
		page, err := jc.SearchUsers(ctx, sr)
		if err != nil {
			return nil, err
		}
		res.users = append(res.users, page.Users...)
		res.total = page.TotalCount
		if !s.all || len(page.Users) < sr.Limit {
			break
		}
		sr.Skip += len(page.Users)
	}
	if s.all {
		res.total = len(res.users)
	}
	return res, nil
}

// warnPartial tells on stderr that more users match than were returned.
func warnPartial(g *globalOptions, r *result, skip int) {
	if shown := skip + len(r.users); len(r.users) > 0 && r.total > shown {
		fmt.Fprintf(g.streams.ErrOut, "Showing users %d-%d of %d; next page: --skip %d, or read them all with --all.\n",
			skip+1, shown, r.total, shown)
	}
}
