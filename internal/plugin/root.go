package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Version is the plugin's version, printed by --version; cmd/kubectl-jumpcloud sets it.
var Version = "dev"

// IOStreams are the streams a command reads and writes; tests pass buffers.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
}

// exitError carries a specific exit code out of a command, for outcomes that are not usage
// errors (a JumpCloudUserOperation that Failed).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

const rootLong = `kubectl jumpcloud reads and acts on JumpCloud directory users ("system users") and user groups
alongside the jumpcloud-operator.

It reaches JumpCloud with the connection the operator would use for the namespace: the
JumpCloudConnection named in --connection, or the ClusterJumpCloudConnection named in
--cluster-connection, else the JumpCloudConnection "default" in the namespace, else the
ClusterJumpCloudConnection "default". The API key is read from the connection's Secret with your
own kubeconfig credentials, so you need "get" on that Secret.

Without access to the cluster, pass the key in an environment variable with --api-key-env (never
as a flag value, which would show in the process list) and, if needed, --base-url, --region and
--org-id. These three flags also override the settings of a connection read from the cluster.

The API key is never printed.`

const rootExample = `  # List the first 100 users, using the default connection of the current namespace
  kubectl jumpcloud list

  # Without a cluster: the key comes from an environment variable
  export JC_API_KEY=...   # from your secret store
  kubectl jumpcloud list --api-key-env JC_API_KEY --region EU

  # Onboard the IT department into Git as ObserveOnly JumpCloudUsers
  kubectl jumpcloud import --filter 'department:$eq:IT' -n team-it --out users/

  # Onboard a user group, its members referred to by their JumpCloudUsers where they have one
  kubectl jumpcloud groups import Engineering -n team-it --out groups/

  # Unlock a user managed as the JumpCloudUser "alice" and wait for the result
  kubectl jumpcloud unlock alice -n team-a`

// NewRootCommand returns the kubectl-jumpcloud command tree writing to streams.
func NewRootCommand(streams IOStreams) *cobra.Command {
	g := &globalOptions{streams: streams}
	root := &cobra.Command{
		Use:           "kubectl-jumpcloud",
		Short:         "List, import and act on JumpCloud users and user groups for the jumpcloud-operator",
		Long:          rootLong,
		Example:       rootExample,
		Version:       Version,
		SilenceUsage:  true,
		SilenceErrors: true,
		// Without a subcommand, show the help rather than doing nothing.
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
		Annotations: map[string]string{
			// kubectl shows plugin commands as "kubectl jumpcloud ..." in its help.
			cobra.CommandDisplayNameAnnotation: "kubectl jumpcloud",
		},
	}
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return fmt.Errorf("%w\nSee '%s --help' for usage", err, cmd.CommandPath())
	})
	g.addFlags(root.PersistentFlags())

	root.AddCommand(
		newListCommand(g),
		newGetCommand(g),
		newImportCommand(g),
		newGroupsCommand(g),
	)
	for _, op := range operations {
		root.AddCommand(newOperationCommand(g, op))
	}
	return root
}

// Run executes the command line args (without the program name) and returns the exit code: 0 on
// success, 1 on any error (printed to streams.ErrOut as "error: ...").
func Run(ctx context.Context, args []string, streams IOStreams) int {
	root := NewRootCommand(streams)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintf(streams.ErrOut, "error: %v\n", err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}

// addFlags registers the connection and kubeconfig flags shared by every command.
func (g *globalOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&g.kubeconfig, "kubeconfig", "", "path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)")
	fs.StringVar(&g.context, "context", "", "the kubeconfig context to use")
	fs.StringVarP(&g.namespace, "namespace", "n", "", "the namespace (default: the context's namespace)")
	fs.StringVar(&g.connection, "connection", "", "use the JumpCloudConnection of this name in the namespace")
	fs.StringVar(&g.clusterConnection, "cluster-connection", "", "use the ClusterJumpCloudConnection of this name")
	fs.StringVar(&g.apiKeyEnv, "api-key-env", "", "read the API key from this environment variable and do not read a connection from the cluster")
	fs.StringVar(&g.baseURL, "base-url", "", "JumpCloud API base URL including /api, such as https://console.jumpcloud.com/api (overrides --region)")
	fs.StringVar(&g.region, "region", "", "JumpCloud region: US, EU or IN")
	fs.StringVar(&g.orgID, "org-id", "", "organization id sent as x-org-id (multi-tenant admin keys)")
}
