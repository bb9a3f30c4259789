package controller

import (
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
)

// groupStatus derives a JumpCloudUserGroup's status from what the pass learned and how it ended.
// It is the one place that sets the status, but for the createPending marker that create writes
// before its call.
func groupStatus(s *groupScope, v verdict, now time.Time) {
	g, st := s.group, &s.group.Status
	gen := g.Generation
	recordGroupFacts(s)
	if s.members != nil {
		n := int32(len(s.members))
		st.MemberCount = &n
	}
	st.UnresolvedMembers = s.unresolved
	if markUnfinished(&st.Conditions, &st.ObservedGeneration, gen, v, string(s.deleting)) || s.observed == nil {
		return
	}
	t := metav1.NewTime(now)
	st.LastSyncTime = &t
	if token, ok := g.Annotations[iamv1alpha1.AnnotationReconcile]; ok {
		if st.LastHandled == nil {
			st.LastHandled = &iamv1alpha1.LastHandledTokens{}
		}
		st.LastHandled.Reconcile = token
	}
	_, drift := groupDiff(&g.Spec, s.observed)
	if len(drift) > 0 {
		setCondition(&st.Conditions, gen, iamv1alpha1.ConditionSynced, metav1.ConditionFalse, iamv1alpha1.ReasonDrifted,
			"JumpCloud differs from the spec in: "+strings.Join(drift, ", "))
	} else {
		setCondition(&st.Conditions, gen, iamv1alpha1.ConditionSynced, metav1.ConditionTrue, iamv1alpha1.ReasonInSync, "JumpCloud matches the spec")
	}
	switch {
	case s.paused():
		markReady(&st.Conditions, gen, iamv1alpha1.ReasonPaused, "Paused: the operator observes this group but writes nothing")
	case s.observeOnly():
		markReady(&st.Conditions, gen, iamv1alpha1.ReasonReconciled, "Observed JumpCloud group "+s.id+" (ObserveOnly: the Synced condition reports drift)")
	default:
		markReady(&st.Conditions, gen, iamv1alpha1.ReasonReconciled, "JumpCloud group "+s.id+" matches the spec")
	}
	st.ObservedGeneration = gen
}

// recordGroupFacts writes what the resource knows of its JumpCloud group into status; a durable
// write of the marker stores it too.
func recordGroupFacts(s *groupScope) {
	s.group.Status.ID, s.group.Status.Ownership = s.id, s.ownership
}
