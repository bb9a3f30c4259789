package controller

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
)

// The three kstatus states every reconciler reports, in one place so that Ready, Reconciling and
// Stalled never contradict each other. setCondition changes LastTransitionTime only when the
// status flips (metav1 semantics), and stamps every condition with the generation.

// setCondition sets one condition, stamped with the generation it describes.
func setCondition(conds *[]metav1.Condition, generation int64, typ string, status metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(conds, metav1.Condition{
		Type: typ, Status: status, Reason: reason, Message: message, ObservedGeneration: generation,
	})
}

// markReady records success: Ready True, neither Reconciling nor Stalled.
func markReady(conds *[]metav1.Condition, generation int64, reason, message string) {
	setCondition(conds, generation, iamv1alpha1.ConditionReady, metav1.ConditionTrue, reason, message)
	setCondition(conds, generation, iamv1alpha1.ConditionReconciling, metav1.ConditionFalse, reason, message)
	setCondition(conds, generation, iamv1alpha1.ConditionStalled, metav1.ConditionFalse, reason, message)
}

// markReconciling records work in progress that will resume by itself.
func markReconciling(conds *[]metav1.Condition, generation int64, reason, message string) {
	setCondition(conds, generation, iamv1alpha1.ConditionReady, metav1.ConditionFalse, reason, message)
	setCondition(conds, generation, iamv1alpha1.ConditionReconciling, metav1.ConditionTrue, reason, message)
	setCondition(conds, generation, iamv1alpha1.ConditionStalled, metav1.ConditionFalse, reason, message)
}

// markStalled records a failure that needs a human.
func markStalled(conds *[]metav1.Condition, generation int64, reason, message string) {
	setCondition(conds, generation, iamv1alpha1.ConditionReady, metav1.ConditionFalse, reason, message)
	setCondition(conds, generation, iamv1alpha1.ConditionReconciling, metav1.ConditionFalse, reason, message)
	setCondition(conds, generation, iamv1alpha1.ConditionStalled, metav1.ConditionTrue, reason, message)
}

// markOutcome records a pass that did not finish: Stalled or Reconciling, as its verdict says.
// A done verdict is each kind's own to record (its Ready reason and message).
func markOutcome(conds *[]metav1.Condition, generation int64, v verdict) {
	switch v.state {
	case stateStalled:
		markStalled(conds, generation, v.reason, v.message)
	case stateReconciling:
		markReconciling(conds, generation, v.reason, v.message)
	}
}

// markUnfinished records a pass that did not finish over a live resource: Stalled (which concludes
// the generation, so observedGeneration moves, as in Flux), Reconciling for a waiting or transient
// outcome, or Reconciling/Deleting while a deletion policy is applied. It reports whether it did;
// a finished pass is each kind's own to record.
func markUnfinished(conds *[]metav1.Condition, observedGeneration *int64, generation int64, v verdict, deleting string) bool {
	switch {
	case v.state == stateStalled:
		markStalled(conds, generation, v.reason, v.message)
		*observedGeneration = generation
	case v.state != stateDone:
		markOutcome(conds, generation, v)
	case deleting != "":
		markReconciling(conds, generation, iamv1alpha1.ReasonDeleting, "Applying deletionPolicy "+deleting)
	default:
		return false
	}
	return true
}
