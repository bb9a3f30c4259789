// Package plugin implements kubectl-jumpcloud, the kubectl plugin of the operator: reading
// JumpCloud users (list, get), turning them into JumpCloudUser manifests for GitOps onboarding
// (import), reading user groups and their members and turning them into JumpCloudUserGroup
// manifests (groups list, get, import), and running one-shot operations through
// JumpCloudUserOperation resources (expire-password, reset-mfa, unlock, activate).
//
// The commands are cobra commands built by [NewRootCommand] over injectable [IOStreams], so tests
// run them in-process; [Run] executes them and turns the outcome into an exit code.
//
// JumpCloud is reached with the connection the operator would use (a JumpCloudConnection or
// ClusterJumpCloudConnection and its API key Secret, picked by the operator's own code in package
// connection and read with the caller's own kubeconfig credentials), or with flags that bypass
// the cluster. The API key is never printed.
package plugin
