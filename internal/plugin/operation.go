package plugin

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
)

// Exit codes of the operation commands besides 0 (Succeeded) and 1 (Failed, or any error).
const (
	// exitTimeout means the wait ended before the operation finished: its outcome is not known.
	exitTimeout = 2
)

// defaultWaitTimeout bounds the wait for an operation's result.
const defaultWaitTimeout = 2 * time.Minute

// operationKind describes one operation command.
type operationKind struct {
	use     string
	typ     iamv1alpha1.OperationType
	short   string
	long    string
	example string
}

const operationLongCommon = `

USER is a JumpCloudUser in the namespace; its JumpCloud user and connection are used. For a
JumpCloud user that no JumpCloudUser manages, give its JumpCloud id with --id instead (and
--connection or --cluster-connection unless the default connection applies).

The command creates a JumpCloudUserOperation (named <user>-<operation>-<random>) that the operator
runs once, then waits up to --timeout for it to end and prints the result. It exits 0 when the
operation Succeeded, 1 when it Failed, and 2 when the wait timed out (the operation goes on in the
cluster; follow it with "kubectl get jcop NAME -w"). With --no-wait it prints the operation's name
and returns at once. Creating the operation needs "create" on jumpclouduseroperations; the
operator does the JumpCloud call, so no API key is read.`

var operations = []operationKind{
	{
		use: "expire-password", typ: iamv1alpha1.OperationExpirePassword,
		short: "Expire a user's password, so that they must set a new one at the next login",
		long:  "Expire a JumpCloud user's password (POST /systemusers/{id}/expire): the user must choose a new password at the next login." + operationLongCommon,
		example: `  # Expire the password of the JumpCloudUser alice in team-a and wait for the result
  kubectl jumpcloud expire-password alice -n team-a

  # A JumpCloud user without a JumpCloudUser, through a ClusterJumpCloudConnection
  kubectl jumpcloud expire-password --id 5f0c1a2b3c4d5e6f70819204 --cluster-connection corp -n ops`,
	},
	{
		use: "reset-mfa", typ: iamv1alpha1.OperationResetMFA,
		short: "Reset a user's MFA (TOTP) enrollment",
		long: "Reset a JumpCloud user's TOTP key and start a new MFA enrollment (POST /systemusers/{id}/resetmfa).\n\n" +
			"--exclusion-days N (1-365) or --exclusion-until TIME (RFC 3339) give the user a grace period in which\n" +
			"they may log in without MFA; without either, they must enroll at the next login. JumpCloud emails the\n" +
			"user on every reset, so the operator never repeats one whose outcome it cannot know." + operationLongCommon,
		example: `  # Reset MFA with a 7-day grace period
  kubectl jumpcloud reset-mfa alice -n team-a --exclusion-days 7

  # Reset MFA, enrollment required before a fixed date; do not wait
  kubectl jumpcloud reset-mfa alice -n team-a --exclusion-until 2026-12-01T00:00:00Z --no-wait`,
	},
	{
		use: "unlock", typ: iamv1alpha1.OperationUnlock,
		short: "Unlock a user's account locked after failed logins",
		long:  "Unlock a JumpCloud user's account that JumpCloud locked, for example after failed logins (POST /systemusers/{id}/unlock)." + operationLongCommon,
		example: `  # Unlock alice and wait at most 30 seconds
  kubectl jumpcloud unlock alice -n team-a --timeout 30s`,
	},
	{
		use: "activate", typ: iamv1alpha1.OperationActivate,
		short: "Activate a STAGED user",
		long: "Activate a STAGED JumpCloud user (POST /systemusers/{id}/state/activate). JumpCloud sends its\n" +
			"activation email unless --send-email=false." + operationLongCommon,
		example: `  # Activate bob, without JumpCloud's activation email
  kubectl jumpcloud activate bob -n team-a --send-email=false`,
	},
}

type operationOptions struct {
	kind           operationKind
	id             string
	noWait         bool
	timeout        time.Duration
	ttl            time.Duration
	exclusionDays  int32
	exclusionUntil string
	sendEmail      bool
}

func newOperationCommand(g *globalOptions, kind operationKind) *cobra.Command {
	o := &operationOptions{kind: kind}
	cmd := &cobra.Command{
		Use:     kind.use + " USER | --id SYSTEMUSERID",
		Short:   kind.short,
		Long:    kind.long,
		Example: kind.example,
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd, g, args)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.id, "id", "", "the JumpCloud user id, instead of a JumpCloudUser name")
	fs.BoolVar(&o.noWait, "no-wait", false, "print the operation's name and return without waiting for its result")
	fs.DurationVar(&o.timeout, "timeout", defaultWaitTimeout, "how long to wait for the result")
	fs.DurationVar(&o.ttl, "ttl", 0, "delete the operation this long after it finished (spec.ttlSecondsAfterFinished; default: keep it)")
	switch kind.typ {
	case iamv1alpha1.OperationResetMFA:
		fs.Int32Var(&o.exclusionDays, "exclusion-days", 0, "days the user may log in without MFA before enrolling again (1-365)")
		fs.StringVar(&o.exclusionUntil, "exclusion-until", "", "time (RFC 3339) until which the user may log in without MFA")
		cmd.MarkFlagsMutuallyExclusive("exclusion-days", "exclusion-until")
	case iamv1alpha1.OperationActivate:
		fs.BoolVar(&o.sendEmail, "send-email", true, "let JumpCloud send its activation email")
	}
	return cmd
}

// operationFor builds the JumpCloudUserOperation from the flags; target is the JumpCloudUser
// name or the JumpCloud id.
func (o *operationOptions) operationFor(cmd *cobra.Command, g *globalOptions, namespace string, args []string) (*iamv1alpha1.JumpCloudUserOperation, error) {
	op := &iamv1alpha1.JumpCloudUserOperation{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace},
		Spec:       iamv1alpha1.JumpCloudUserOperationSpec{Type: o.kind.typ},
	}
	ref, err := g.connectionRef()
	if err != nil {
		return nil, err
	}
	switch {
	case len(args) == 1 && o.id != "":
		return nil, errors.New("give either USER (a JumpCloudUser) or --id, not both")
	case len(args) == 1:
		if ref != nil {
			return nil, errors.New("--connection and --cluster-connection only go with --id: the JumpCloudUser's own connection is used")
		}
		op.Spec.UserRef = &iamv1alpha1.LocalObjectReference{Name: args[0]}
		op.GenerateName = args[0] + "-" + o.kind.use + "-"
	case o.id != "":
		if !objectID.MatchString(o.id) {
			return nil, fmt.Errorf("--id %q is not a JumpCloud user id (24 lowercase hexadecimal characters)", o.id)
		}
		op.Spec.SystemUserID = o.id
		op.Spec.ConnectionRef = ref
		op.GenerateName = o.id + "-" + o.kind.use + "-"
	default:
		return nil, errors.New("name the user: a JumpCloudUser as USER, or a JumpCloud id with --id")
	}
	if o.ttl < 0 {
		return nil, errors.New("--ttl must not be negative")
	}
	if cmd.Flags().Changed("ttl") {
		secs := int32(o.ttl / time.Second)
		op.Spec.TTLSecondsAfterFinished = &secs
	}
	switch o.kind.typ {
	case iamv1alpha1.OperationResetMFA:
		if cmd.Flags().Changed("exclusion-days") {
			if o.exclusionDays < 1 || o.exclusionDays > 365 {
				return nil, errors.New("--exclusion-days must be between 1 and 365")
			}
			op.Spec.ResetMFA = &iamv1alpha1.ResetMFAParameters{ExclusionDays: &o.exclusionDays}
		}
		if o.exclusionUntil != "" {
			t, err := time.Parse(time.RFC3339, o.exclusionUntil)
			if err != nil {
				return nil, fmt.Errorf("--exclusion-until %q is not an RFC 3339 time such as 2026-12-01T00:00:00Z", o.exclusionUntil)
			}
			mt := metav1.NewTime(t)
			op.Spec.ResetMFA = &iamv1alpha1.ResetMFAParameters{ExclusionUntil: &mt}
		}
	case iamv1alpha1.OperationActivate:
		if cmd.Flags().Changed("send-email") {
			op.Spec.Activate = &iamv1alpha1.ActivateParameters{SendEmail: &o.sendEmail}
		}
	}
	return op, nil
}

func (o *operationOptions) run(cmd *cobra.Command, g *globalOptions, args []string) error {
	if o.timeout <= 0 && !o.noWait {
		return errors.New("--timeout must be positive")
	}
	ns, err := g.targetNamespace()
	if err != nil {
		return err
	}
	op, err := o.operationFor(cmd, g, ns, args)
	if err != nil {
		return err
	}
	c, err := g.kubeClient()
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	if op.Spec.UserRef != nil {
		var u iamv1alpha1.JumpCloudUser
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: op.Spec.UserRef.Name}, &u); err != nil {
			if apierrors.IsNotFound(err) {
				return fmt.Errorf("JumpCloudUser %s not found in namespace %s (for a JumpCloud user without one, use --id)", op.Spec.UserRef.Name, ns)
			}
			return err
		}
	}
	if err := c.Create(ctx, op); err != nil {
		return fmt.Errorf("creating the JumpCloudUserOperation: %w", err)
	}
	fmt.Fprintf(g.streams.Out, "%s created\n", qualifiedName(op))
	if o.noWait {
		return nil
	}

	fmt.Fprintf(g.streams.ErrOut, "Waiting up to %s for the operator to run it...\n", o.timeout)
	wctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	done, err := waitForOperation(wctx, c, op)
	if err != nil {
		if wctx.Err() != nil && ctx.Err() == nil {
			return &exitError{code: exitTimeout, err: fmt.Errorf("timed out after %s waiting for JumpCloudUserOperation %s/%s (phase %s); it goes on in the cluster: kubectl get jcop %s -n %s -w",
				o.timeout, ns, op.Name, phaseOf(done), op.Name, ns)}
		}
		return err
	}
	st := done.Status
	fmt.Fprintf(g.streams.Out, "%s: %s\n", st.Phase, st.Message)
	if st.Phase == iamv1alpha1.OperationFailed {
		reason := ""
		if c := meta.FindStatusCondition(st.Conditions, iamv1alpha1.ConditionReady); c != nil && c.Reason != "" {
			reason = " (reason " + c.Reason + ")"
		}
		return &exitError{code: 1, err: fmt.Errorf("JumpCloudUserOperation %s/%s failed%s", ns, op.Name, reason)}
	}
	return nil
}

func qualifiedName(op *iamv1alpha1.JumpCloudUserOperation) string {
	return "jumpclouduseroperation." + iamv1alpha1.GroupVersion.Group + "/" + op.Name
}

func phaseOf(op *iamv1alpha1.JumpCloudUserOperation) iamv1alpha1.OperationPhase {
	if op == nil || op.Status.Phase == "" {
		return iamv1alpha1.OperationPending
	}
	return op.Status.Phase
}

func finished(op *iamv1alpha1.JumpCloudUserOperation) bool {
	return op.Status.Phase == iamv1alpha1.OperationSucceeded || op.Status.Phase == iamv1alpha1.OperationFailed
}

// waitForOperation watches op until it Succeeded or Failed, or ctx ends. It returns the latest
// version seen in every case (nil if none could be read), re-reading the object whenever the
// watch breaks off, so no change is missed.
func waitForOperation(ctx context.Context, c client.WithWatch, op *iamv1alpha1.JumpCloudUserOperation) (*iamv1alpha1.JumpCloudUserOperation, error) {
	key := client.ObjectKeyFromObject(op)
	latest := op.DeepCopy()
	for {
		if finished(latest) {
			return latest, nil
		}
		w, err := c.Watch(ctx, &iamv1alpha1.JumpCloudUserOperationList{}, &client.ListOptions{
			Namespace:     key.Namespace,
			FieldSelector: fields.OneTermEqualSelector("metadata.name", key.Name),
			Raw:           &metav1.ListOptions{ResourceVersion: latest.ResourceVersion},
		})
		if err != nil {
			return latest, err
		}
		latest, err = drain(ctx, w, latest)
		w.Stop()
		if err != nil {
			return latest, err
		}
		if finished(latest) {
			return latest, nil
		}
		// The watch ended (server timeout, expired resourceVersion): read the object afresh.
		fresh := &iamv1alpha1.JumpCloudUserOperation{}
		if err := c.Get(ctx, key, fresh); err != nil {
			if apierrors.IsNotFound(err) {
				return latest, fmt.Errorf("JumpCloudUserOperation %s was deleted before it finished", key)
			}
			return latest, err
		}
		latest = fresh
	}
}

// drain reads watch events until the operation finished, the watch ends or ctx ends.
func drain(ctx context.Context, w watch.Interface, latest *iamv1alpha1.JumpCloudUserOperation) (*iamv1alpha1.JumpCloudUserOperation, error) {
	for {
		select {
		case <-ctx.Done():
			return latest, ctx.Err()
		case ev, ok := <-w.ResultChan():
			if !ok {
				return latest, nil
			}
			switch ev.Type {
			case watch.Added, watch.Modified:
				if obj, ok := ev.Object.(*iamv1alpha1.JumpCloudUserOperation); ok {
					latest = obj
					if finished(latest) {
						return latest, nil
					}
				}
			case watch.Deleted:
				return latest, fmt.Errorf("JumpCloudUserOperation %s/%s was deleted before it finished", latest.Namespace, latest.Name)
			case watch.Error:
				// Typically an expired resourceVersion: start over from a fresh read.
				return latest, nil
			}
		}
	}
}
