package plugin

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

const importLong = `Write JumpCloudUser manifests for existing JumpCloud users, to onboard them into Git.

The users are chosen with the same flags as "list" (--filter, --or, --search, --sort, --limit,
--skip, --all). Each becomes a JumpCloudUser that only observes its JumpCloud user, so applying
the manifests changes nothing in JumpCloud:

  managementPolicy: ObserveOnly   the operator never writes; status mirrors the user and the
                                  Synced condition reports drift from the spec
  adoptionPolicy:   IfExists      the existing user is taken over when you switch to Full
                                  (and the connection sets allowAdoption)
  deletionPolicy:   Orphan        deleting the resource leaves the JumpCloud user alone

The spec holds the username, email, activated (true when ACTIVATED), locked, and every profile
field JumpCloud has a value for. The manager is referenced by resource name when the manager is
imported too, else by JumpCloud id. Resource names are derived from usernames (lower case,
DNS-1123); users whose names would collide get their JumpCloud id appended.

The manifests go to stdout as one YAML stream, or with --out DIR to DIR/<name>.yaml, one file per
user (the directory is created; existing files are overwritten). metadata.namespace is the
namespace of -n, else the context's; JumpCloud is read through the connection of that namespace
(or --connection / --cluster-connection), the one the imported resources will use.`

const importExample = `  # Every user of the IT department into ./users, for namespace team-it
  kubectl jumpcloud import --all --filter 'department:$eq:IT' -n team-it --out users/

  # Two users to stdout, applied directly
  kubectl jumpcloud import --filter 'username:$in:alice|bob' -n team-a | kubectl apply -f -

  # Name the connection in every manifest
  kubectl jumpcloud import --all --connection-ref ClusterJumpCloudConnection/corp -n team-a --out users/`

type importOptions struct {
	selection
	out           string
	connectionRef string
}

func newImportCommand(g *globalOptions) *cobra.Command {
	o := &importOptions{}
	cmd := &cobra.Command{
		Use:     "import",
		Short:   "Write JumpCloudUser manifests (ObserveOnly) for existing JumpCloud users",
		Long:    importLong,
		Example: importExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd, g)
		},
	}
	o.addFlags(cmd.Flags())
	cmd.Flags().StringVar(&o.out, "out", "", "write one file per user into this directory instead of stdout")
	cmd.Flags().StringVar(&o.connectionRef, "connection-ref", "", "set spec.connectionRef: NAME (a JumpCloudConnection) or KIND/NAME with KIND JumpCloudConnection or ClusterJumpCloudConnection")
	return cmd
}

func (o *importOptions) run(cmd *cobra.Command, g *globalOptions) error {
	ref, err := parseConnectionRef(o.connectionRef)
	if err != nil {
		return err
	}
	if _, err := o.parsed(); err != nil {
		return err
	}
	ns, err := g.targetNamespace()
	if err != nil {
		return err
	}
	jc, err := g.jumpCloudClient(cmd.Context())
	if err != nil {
		return err
	}
	res, err := o.fetch(cmd.Context(), jc, nil)
	if err != nil {
		return explain(err)
	}
	names := resourceNames(res.users)
	docs := make([]manifest[iamv1alpha1.JumpCloudUserSpec], 0, len(res.users))
	for i := range res.users {
		m, warnings := importedUser(&res.users[i], names, ns, ref)
		for _, w := range warnings {
			fmt.Fprintf(g.streams.ErrOut, "Warning: %s: %s\n", res.users[i].Username, w)
		}
		docs = append(docs, m)
	}
	if err := writeManifests(g, o.out, docs, "users"); err != nil {
		return err
	}
	if !o.all {
		warnPartial(g, res, o.skip)
	}
	return nil
}

// writeManifests sends the manifests to stdout as one YAML stream, or to one file each in dir.
// what names the imported objects in the note that nothing matched ("users").
func writeManifests[S any](g *globalOptions, dir string, docs []manifest[S], what string) error {
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	for _, m := range docs {
		b, err := yaml.Marshal(m)
		if err != nil {
			return err
		}
		if dir == "" {
			if _, err := fmt.Fprintf(g.streams.Out, "---\n%s", b); err != nil {
				return err
			}
			continue
		}
		path := filepath.Join(dir, m.Metadata.Name+".yaml")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return err
		}
		fmt.Fprintln(g.streams.Out, path)
	}
	if len(docs) == 0 {
		fmt.Fprintf(g.streams.ErrOut, "No %s matched; nothing imported.\n", what)
	}
	return nil
}

// parseConnectionRef reads --connection-ref: NAME or KIND/NAME.
func parseConnectionRef(s string) (*iamv1alpha1.ConnectionReference, error) {
	if s == "" {
		return nil, nil
	}
	kind, name, found := strings.Cut(s, "/")
	if !found {
		kind, name = string(iamv1alpha1.ConnectionKindNamespaced), s
	}
	ref := &iamv1alpha1.ConnectionReference{Name: name}
	switch {
	case strings.EqualFold(kind, string(iamv1alpha1.ConnectionKindNamespaced)):
		ref.Kind = iamv1alpha1.ConnectionKindNamespaced
	case strings.EqualFold(kind, string(iamv1alpha1.ConnectionKindCluster)):
		ref.Kind = iamv1alpha1.ConnectionKindCluster
	default:
		return nil, fmt.Errorf("--connection-ref %q: the kind must be JumpCloudConnection or ClusterJumpCloudConnection", s)
	}
	if name == "" || strings.Contains(name, "/") {
		return nil, fmt.Errorf("--connection-ref %q: want NAME or KIND/NAME", s)
	}
	return ref, nil
}

// manifest is an imported resource as written, with spec S: no status, no server-set metadata.
type manifest[S any] struct {
	APIVersion string           `json:"apiVersion"`
	Kind       string           `json:"kind"`
	Metadata   manifestMetadata `json:"metadata"`
	Spec       S                `json:"spec"`
}

type manifestMetadata struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

// importedUser turns a JumpCloud user into an ObserveOnly JumpCloudUser. names maps the JumpCloud
// id of every imported user to its resource name. The warnings name what could not be carried
// over.
func importedUser(u *jumpcloud.User, names map[string]string, namespace string, ref *iamv1alpha1.ConnectionReference) (manifest[iamv1alpha1.JumpCloudUserSpec], []string) {
	activated := u.State == jumpcloud.StateActivated
	locked := u.AccountLocked
	m := manifest[iamv1alpha1.JumpCloudUserSpec]{
		APIVersion: iamv1alpha1.GroupVersion.String(),
		Kind:       "JumpCloudUser",
		Metadata:   manifestMetadata{Name: names[u.ID], Namespace: namespace},
		Spec: iamv1alpha1.JumpCloudUserSpec{
			ConnectionRef:    ref,
			Username:         u.Username,
			Email:            u.Email,
			Activated:        &activated,
			Locked:           &locked,
			DeletionPolicy:   iamv1alpha1.DeletionPolicyOrphan,
			AdoptionPolicy:   iamv1alpha1.AdoptionPolicyIfExists,
			ManagementPolicy: iamv1alpha1.ManagementPolicyObserveOnly,
		},
	}
	profile, warnings := importedProfile(u, names)
	m.Spec.Profile = profile
	return m, warnings
}

// importedProfile holds the profile fields JumpCloud has a value for; nil when there are none.
func importedProfile(u *jumpcloud.User, names map[string]string) (*iamv1alpha1.UserProfile, []string) {
	var warnings []string
	nonEmpty := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	p := &iamv1alpha1.UserProfile{
		Firstname:          nonEmpty(u.Firstname),
		Middlename:         nonEmpty(u.Middlename),
		Lastname:           nonEmpty(u.Lastname),
		Displayname:        nonEmpty(u.Displayname),
		AlternateEmail:     nonEmpty(u.AlternateEmail),
		JobTitle:           nonEmpty(u.JobTitle),
		Department:         nonEmpty(u.Department),
		Company:            nonEmpty(u.Company),
		CostCenter:         nonEmpty(u.CostCenter),
		Location:           nonEmpty(u.Location),
		EmployeeType:       nonEmpty(u.EmployeeType),
		EmployeeIdentifier: nonEmpty(u.EmployeeIdentifier),
		Description:        nonEmpty(u.Description),
	}
	switch name, imported := names[u.Manager]; {
	case u.Manager == "":
	case imported && u.Manager != u.ID:
		p.Manager = &iamv1alpha1.ManagerReference{Name: name}
	case objectID.MatchString(u.Manager):
		p.Manager = &iamv1alpha1.ManagerReference{ID: u.Manager}
	default:
		warnings = append(warnings, fmt.Sprintf("manager %q is not a JumpCloud user id; left out", u.Manager))
	}
	for _, n := range u.PhoneNumbers {
		if n.Type == "" || n.Number == "" {
			warnings = append(warnings, "a phone number without a type or number is left out")
			continue
		}
		p.PhoneNumbers = append(p.PhoneNumbers, iamv1alpha1.PhoneNumber{Type: n.Type, Number: n.Number})
	}
	for _, a := range u.Addresses {
		if a.Type == "" {
			warnings = append(warnings, "an address without a type is left out")
			continue
		}
		p.Addresses = append(p.Addresses, iamv1alpha1.Address{
			Type: a.Type, POBox: a.PoBox, ExtendedAddress: a.ExtendedAddress, StreetAddress: a.StreetAddress,
			Locality: a.Locality, Region: a.Region, PostalCode: a.PostalCode, Country: a.Country,
		})
	}
	seen := map[string]bool{}
	for _, a := range u.Attributes {
		if a.Name == "" || seen[a.Name] {
			warnings = append(warnings, fmt.Sprintf("attribute %q is unnamed or repeated; left out", a.Name))
			continue
		}
		seen[a.Name] = true
		p.Attributes = append(p.Attributes, iamv1alpha1.Attribute{Name: a.Name, Value: a.Value})
	}
	if reflect.ValueOf(*p).IsZero() {
		return nil, warnings
	}
	return p, warnings
}
