package plugin

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

const groupImportLong = `Write JumpCloudUserGroup manifests for existing JumpCloud user groups, to onboard them into Git.

Name the groups (by name or JumpCloud id), or import every group with --all. Each becomes a
JumpCloudUserGroup that only observes its JumpCloud group, so applying the manifests changes
nothing in JumpCloud:

  managementPolicy: ObserveOnly   the operator never writes; the Synced condition reports drift
  adoptionPolicy:   IfExists      the existing group is taken over when you switch to Full
                                  (and the connection sets allowAdoption)
  deletionPolicy:   Orphan        deleting the resource leaves the JumpCloud group alone

The spec holds the name, the description and email, and the attributes JumpCloud has a value
for: sudo (when enabled), sambaEnabled (when true), posixGroups and radius (when not empty).

A static group gets its members as they are now, as an Authoritative list. A member is named by
userRef when a JumpCloudUser in the target namespace has its JumpCloud id (status.id), else by
username, else (when the user cannot be read) by id. A dynamic group gets dynamic: (its method and
filters) instead, and its members are not read.

Resource names are derived from the group names (lower case, DNS-1123); groups whose names would
collide get their JumpCloud id appended.

The manifests go to stdout as one YAML stream, or with --out DIR to DIR/<name>.yaml, one file per
group (the directory is created; existing files are overwritten). metadata.namespace is the
namespace of -n, else the context's; JumpCloud is read through the connection of that namespace
(or --connection / --cluster-connection), and its JumpCloudUsers are the ones userRef names.`

const groupImportExample = `  # Two groups to stdout, applied directly
  kubectl jumpcloud groups import Engineering Admins -n team-a | kubectl apply -f -

  # Every group into ./groups, for namespace platform, naming the connection in each manifest
  kubectl jumpcloud groups import --all -n platform --out groups/ --connection-ref ClusterJumpCloudConnection/corp`

type groupImportOptions struct {
	all           bool
	out           string
	connectionRef string
}

func newGroupImportCommand(g *globalOptions) *cobra.Command {
	o := &groupImportOptions{}
	cmd := &cobra.Command{
		Use:     "import NAME|ID... | --all",
		Short:   "Write JumpCloudUserGroup manifests (ObserveOnly) for existing JumpCloud user groups",
		Long:    groupImportLong,
		Example: groupImportExample,
		Args:    cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd, g, args)
		},
	}
	cmd.Flags().BoolVar(&o.all, "all", false, "import every user group")
	cmd.Flags().StringVar(&o.out, "out", "", "write one file per group into this directory instead of stdout")
	cmd.Flags().StringVar(&o.connectionRef, "connection-ref", "", "set spec.connectionRef: NAME (a JumpCloudConnection) or KIND/NAME with KIND JumpCloudConnection or ClusterJumpCloudConnection")
	return cmd
}

func (o *groupImportOptions) run(cmd *cobra.Command, g *globalOptions, args []string) error {
	switch {
	case o.all && len(args) > 0:
		return errors.New("name groups or use --all, not both")
	case !o.all && len(args) == 0:
		return errors.New("name the groups to import (by name or id), or use --all")
	}
	ref, err := parseConnectionRef(o.connectionRef)
	if err != nil {
		return err
	}
	ns, err := g.targetNamespace()
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	jc, err := g.jumpCloudClient(ctx)
	if err != nil {
		return err
	}
	groups, err := o.groups(ctx, jc, args)
	if err != nil {
		return err
	}
	refs, err := g.userRefs(ctx, ns)
	if err != nil {
		return err
	}
	kept := groups[:0]
	for _, grp := range groups {
		if problem := groupNameProblem(grp.Name); problem != "" {
			fmt.Fprintf(g.streams.ErrOut, "Warning: group %s %q: %s; not imported\n", grp.ID, grp.Name, problem)
			continue
		}
		kept = append(kept, grp)
	}
	names := groupResourceNames(kept)
	docs := make([]manifest[iamv1alpha1.JumpCloudUserGroupSpec], 0, len(kept))
	for i := range kept {
		grp := &kept[i]
		var members []member
		if !isDynamic(grp) {
			if members, err = namedMembers(ctx, jc, grp.ID, refs); err != nil {
				return explain(err)
			}
		}
		m, warnings := importedGroup(grp, members, refs, names[grp.ID], ns, ref)
		for _, w := range warnings {
			fmt.Fprintf(g.streams.ErrOut, "Warning: %s: %s\n", grp.Name, w)
		}
		docs = append(docs, m)
	}
	return writeManifests(g, o.out, docs, "groups")
}

// groups reads every group with --all, else the named ones (each once).
func (o *groupImportOptions) groups(ctx context.Context, jc *jumpcloud.Client, args []string) ([]jumpcloud.Group, error) {
	var groups []jumpcloud.Group
	if o.all {
		for grp, err := range jc.AllGroups(ctx, jumpcloud.GroupListOptions{}) {
			if err != nil {
				return nil, explain(err)
			}
			groups = append(groups, grp)
		}
		return groups, nil
	}
	seen := map[string]bool{}
	for _, arg := range args {
		grp, err := findGroup(ctx, jc, arg)
		if err != nil {
			return nil, err
		}
		if !seen[grp.ID] {
			seen[grp.ID] = true
			groups = append(groups, *grp)
		}
	}
	return groups, nil
}

// namedMembers reads every member of the group; the usernames are looked up only for members
// that refs does not name.
func namedMembers(ctx context.Context, jc *jumpcloud.Client, groupID string, refs map[string]string) ([]member, error) {
	ids, err := jc.GroupMembers(ctx, groupID)
	if err != nil {
		return nil, err
	}
	var lookup []string
	for _, id := range ids {
		if refs[id] == "" {
			lookup = append(lookup, id)
		}
	}
	names, err := usernames(ctx, jc, lookup)
	if err != nil {
		return nil, err
	}
	members := make([]member, 0, len(ids))
	for _, id := range ids {
		members = append(members, member{ID: id, Username: names[id]})
	}
	return members, nil
}

// userRefs maps the JumpCloud id (status.id) of every JumpCloudUser in namespace to its name, the
// first by name when several have the same id; users being deleted are left out. With
// --api-key-env, a cluster that cannot be read is no error: members are then named by username,
// with a warning.
func (g *globalOptions) userRefs(ctx context.Context, namespace string) (map[string]string, error) {
	refs := map[string]string{}
	var list iamv1alpha1.JumpCloudUserList
	c, err := g.kubeClient()
	if err == nil {
		err = c.List(ctx, &list, client.InNamespace(namespace))
	}
	if err != nil {
		if g.apiKeyEnv != "" {
			fmt.Fprintf(g.streams.ErrOut, "Warning: cannot read the JumpCloudUsers of namespace %s (%v); every member is named by username\n", namespace, err)
			return refs, nil
		}
		return nil, fmt.Errorf("listing the JumpCloudUsers of namespace %s, to refer to group members by userRef: %w", namespace, err)
	}
	slices.SortFunc(list.Items, func(a, b iamv1alpha1.JumpCloudUser) int { return cmp.Compare(a.Name, b.Name) })
	for i := range list.Items {
		u := &list.Items[i]
		if id := u.Status.ID; id != "" && u.DeletionTimestamp == nil && refs[id] == "" {
			refs[id] = u.Name
		}
	}
	return refs, nil
}
