package controller

import (
	"context"

	"k8s.io/apimachinery/pkg/api/meta"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
)

// enqueueByIndex maps an object (a Secret, a manager) to the users in its namespace whose index
// field names it.
func (r *JumpCloudUserReconciler) enqueueByIndex(index string) handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
		var users iamv1alpha1.JumpCloudUserList
		if err := r.List(ctx, &users, client.InNamespace(o.GetNamespace()), client.MatchingFields{index: o.GetName()}); err != nil {
			return nil
		}
		return requestsFor(users.Items)
	})
}

// enqueueForConnection maps a connection to the resources (of the list's kind) that may use it:
// those naming it and, for a connection named "default", those naming none.
func enqueueForConnection(c client.Reader, newList func() client.ObjectList,
	refOf func(client.Object) *iamv1alpha1.ConnectionReference) handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
		list := newList()
		var opts []client.ListOption
		if o.GetNamespace() != "" {
			opts = append(opts, client.InNamespace(o.GetNamespace()))
		}
		if err := c.List(ctx, list, opts...); err != nil {
			return nil
		}
		items, err := meta.ExtractList(list)
		if err != nil {
			return nil
		}
		var reqs []reconcile.Request
		for _, item := range items {
			obj, ok := item.(client.Object)
			if !ok {
				continue
			}
			ref := refOf(obj)
			if (ref == nil && o.GetName() == iamv1alpha1.DefaultConnectionName) || (ref != nil && ref.Name == o.GetName()) {
				reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(obj)})
			}
		}
		return reqs
	})
}

func requestsFor(users []iamv1alpha1.JumpCloudUser) []reconcile.Request {
	reqs := make([]reconcile.Request, 0, len(users))
	for i := range users {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&users[i])})
	}
	return reqs
}

// enqueueOperationUser maps an operation to the JumpCloudUser it names.
func enqueueOperationUser() handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(_ context.Context, o client.Object) []reconcile.Request {
		op, ok := o.(*iamv1alpha1.JumpCloudUserOperation)
		if !ok || op.Spec.UserRef == nil {
			return nil
		}
		return []reconcile.Request{{NamespacedName: client.ObjectKey{Namespace: op.Namespace, Name: op.Spec.UserRef.Name}}}
	})
}

// operationSucceeded passes the update that marks an operation Succeeded: its action changed the
// user in JumpCloud (unlocked, activated, ...), and the user's status shows it at once rather than
// at its next resync.
type operationSucceeded struct{ predicate.Funcs }

func (operationSucceeded) Create(event.CreateEvent) bool   { return false }
func (operationSucceeded) Delete(event.DeleteEvent) bool   { return false }
func (operationSucceeded) Generic(event.GenericEvent) bool { return false }

func (operationSucceeded) Update(e event.UpdateEvent) bool {
	old, ok1 := e.ObjectOld.(*iamv1alpha1.JumpCloudUserOperation)
	cur, ok2 := e.ObjectNew.(*iamv1alpha1.JumpCloudUserOperation)
	return ok1 && ok2 && old.Status.Phase != iamv1alpha1.OperationSucceeded && cur.Status.Phase == iamv1alpha1.OperationSucceeded
}
