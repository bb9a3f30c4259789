package controller

import (
	"context"
	"fmt"
	"strconv"
	"time"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

// action is one one-shot call on a JumpCloud user, whether asked for by an annotation token or by a
// JumpCloudUserOperation.
type action struct {
	Type           iamv1alpha1.OperationType
	ExclusionDays  *int
	ExclusionUntil *time.Time
	SendEmail      *bool
}

// run calls JumpCloud once (the client retries what is safe to retry).
func (a action) run(ctx context.Context, api userAPI, id string) error {
	switch a.Type {
	case iamv1alpha1.OperationExpirePassword:
		return api.ExpirePassword(ctx, id)
	case iamv1alpha1.OperationUnlock:
		return api.UnlockUser(ctx, id)
	case iamv1alpha1.OperationActivate:
		return api.ActivateUser(ctx, id, jumpcloud.ActivateOptions{SendEmail: a.SendEmail})
	case iamv1alpha1.OperationResetMFA:
		return api.ResetMFA(ctx, id, jumpcloud.ResetMFAOptions{ExclusionDays: a.ExclusionDays, ExclusionUntil: a.ExclusionUntil})
	default:
		return fmt.Errorf("unknown operation type %q", a.Type)
	}
}

// idempotent reports whether repeating the action is harmless. ResetMFA is not: JumpCloud emails
// the user on every call.
func (a action) idempotent() bool { return a.Type != iamv1alpha1.OperationResetMFA }

// oneShot describes one annotation-triggered action.
type oneShot struct {
	annotation string
	typ        iamv1alpha1.OperationType
	handled    func(*iamv1alpha1.LastHandledTokens) *string
}

var oneShots = []oneShot{
	{iamv1alpha1.AnnotationExpirePassword, iamv1alpha1.OperationExpirePassword,
		func(t *iamv1alpha1.LastHandledTokens) *string { return &t.ExpirePassword }},
	{iamv1alpha1.AnnotationResetMFA, iamv1alpha1.OperationResetMFA,
		func(t *iamv1alpha1.LastHandledTokens) *string { return &t.ResetMFA }},
	{iamv1alpha1.AnnotationUnlock, iamv1alpha1.OperationUnlock,
		func(t *iamv1alpha1.LastHandledTokens) *string { return &t.Unlock }},
}

// resetMFAParams reads the reset-mfa parameter annotations.
func resetMFAParams(annotations map[string]string) (days *int, until *time.Time, err error) {
	d, hasDays := annotations[iamv1alpha1.AnnotationResetMFAExclusionDays]
	u, hasUntil := annotations[iamv1alpha1.AnnotationResetMFAExclusionUntil]
	if hasDays && hasUntil {
		return nil, nil, fmt.Errorf("set at most one of %s and %s", iamv1alpha1.AnnotationResetMFAExclusionDays, iamv1alpha1.AnnotationResetMFAExclusionUntil)
	}
	if hasDays {
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 || n > 365 {
			return nil, nil, fmt.Errorf("%s must be a whole number of days from 1 to 365, got %q", iamv1alpha1.AnnotationResetMFAExclusionDays, d)
		}
		return &n, nil, nil
	}
	if hasUntil {
		t, err := time.Parse(time.RFC3339, u)
		if err != nil {
			return nil, nil, fmt.Errorf("%s must be an RFC 3339 time such as 2026-12-01T00:00:00Z, got %q", iamv1alpha1.AnnotationResetMFAExclusionUntil, u)
		}
		return nil, &t, nil
	}
	return nil, nil, nil
}
