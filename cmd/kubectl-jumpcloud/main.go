// Command kubectl-jumpcloud is the kubectl plugin of the jumpcloud-operator: "kubectl jumpcloud
// list|get|import|groups|expire-password|reset-mfa|unlock|activate". See docs/kubectl-plugin.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/plugin"
)

// Version is the plugin's version, set at build time with -ldflags "-X main.Version=...".
var Version = "dev"

func main() {
	plugin.Version = Version
	jumpcloud.Version = Version
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := plugin.Run(ctx, os.Args[1:], plugin.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr})
	stop()
	os.Exit(code)
}
