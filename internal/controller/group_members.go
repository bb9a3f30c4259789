package controller

import (
	"context"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

// syncMembers makes a static group's members the spec's: one POST per member added or removed
// (JumpCloud has no bulk call), after reading every page of the current members. A member that
// cannot be resolved yet keeps the group Reconciling (MemberNotReady), and no one is removed
// meanwhile: the unresolved member may be one of those present.
func (r *JumpCloudUserGroupReconciler) syncMembers(ctx context.Context, s *groupScope) error {
	m := s.group.Spec.Members
	if m == nil || s.observed == nil || s.readOnly() {
		return nil
	}
	wanted, err := r.resolveMembers(ctx, s)
	if err != nil {
		return err
	}
	present, err := s.api.GroupMembers(ctx, s.id)
	if err != nil {
		return fromJumpCloud(err)
	}
	add, remove := memberPlan(wanted, present, m.Policy, len(s.unresolved) > 0)
	members := append([]string(nil), present...)
	for _, id := range add {
		if err := s.api.AddGroupMember(ctx, s.id, id); err != nil {
			s.members = members
			return fromJumpCloud(err)
		}
		members = append(members, id)
	}
	for _, id := range remove {
		if err := s.api.RemoveGroupMember(ctx, s.id, id); err != nil {
			s.members = members
			return fromJumpCloud(err)
		}
		members = slices.DeleteFunc(members, func(m string) bool { return m == id })
	}
	s.members = members
	if len(add) > 0 {
		r.Recorder.Eventf(s.group, nil, corev1.EventTypeNormal, "MembersAdded", "Update",
			"Added %d members to JumpCloud group %s: %s", len(add), s.id, strings.Join(add, ", "))
	}
	if len(remove) > 0 {
		r.Recorder.Eventf(s.group, nil, corev1.EventTypeNormal, "MembersRemoved", "Update",
			"Removed %d members not in the spec from JumpCloud group %s: %s", len(remove), s.id, strings.Join(remove, ", "))
	}
	if len(s.unresolved) > 0 {
		parts := make([]string, 0, len(s.unresolved))
		for _, u := range s.unresolved {
			parts = append(parts, u.Member+" ("+u.Reason+")")
		}
		return waiting(iamv1alpha1.ReasonMemberNotReady, time.Minute, "waiting for %d members to be JumpCloud users: %s",
			len(s.unresolved), strings.Join(parts, "; "))
	}
	return nil
}

// resolveMembers turns the spec's members into JumpCloud user ids, recording those it cannot
// resolve yet.
func (r *JumpCloudUserGroupReconciler) resolveMembers(ctx context.Context, s *groupScope) ([]string, error) {
	m, ns := s.group.Spec.Members, s.group.Namespace
	var ids []string
	unresolved := func(member, reason string) {
		s.unresolved = append(s.unresolved, iamv1alpha1.UnresolvedMember{Member: member, Reason: reason})
	}
	for _, u := range m.Users {
		switch {
		case u.ID != "":
			ids = append(ids, u.ID)
		case u.UserRef != nil:
			var ju iamv1alpha1.JumpCloudUser
			err := r.Get(ctx, client.ObjectKey{Namespace: ns, Name: u.UserRef.Name}, &ju)
			switch {
			case apierrors.IsNotFound(err):
				unresolved("userRef "+u.UserRef.Name, "no such JumpCloudUser")
			case err != nil:
				return nil, err
			case ju.Status.ID == "":
				unresolved("userRef "+u.UserRef.Name, "the JumpCloudUser has no JumpCloud id yet")
			default:
				ids = append(ids, ju.Status.ID)
			}
		case u.Username != "":
			found, err := r.userByName(ctx, s, u.Username)
			switch {
			case jumpcloud.IsNotFound(err):
				unresolved("username "+u.Username, "JumpCloud has no user of that name")
			case err != nil:
				return nil, fromJumpCloud(err)
			default:
				ids = append(ids, found)
			}
		}
	}
	if m.Selector != nil {
		sel, err := metav1.LabelSelectorAsSelector(m.Selector)
		if err != nil {
			return nil, stalled(iamv1alpha1.ReasonRejected, "members.selector: %v", err)
		}
		var users iamv1alpha1.JumpCloudUserList
		if err := r.List(ctx, &users, client.InNamespace(ns), client.MatchingLabelsSelector{Selector: sel}); err != nil {
			return nil, err
		}
		for _, ju := range users.Items {
			if ju.Status.ID == "" {
				unresolved("selected "+ju.Name, "the JumpCloudUser has no JumpCloud id yet")
				continue
			}
			ids = append(ids, ju.Status.ID)
		}
	}
	return ids, nil
}

// userByName finds a JumpCloud user's id by username: the connection's directory view when it is
// current, else JumpCloud.
func (r *JumpCloudUserGroupReconciler) userByName(ctx context.Context, s *groupScope, username string) (string, error) {
	if r.Snapshots != nil && r.DriftDetection != DriftDetectionPerResource {
		if snap := r.Snapshots.For(s.conn); snap.Current(resyncOf(s.conn)) {
			if u, ok := snap.UserByUsername(username); ok {
				return u.ID, nil
			}
		}
	}
	u, err := s.api.FindUserByUsername(ctx, username)
	if err != nil {
		return "", err
	}
	return u.ID, nil
}
