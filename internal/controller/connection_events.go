package controller

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/source"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
	"github.com/jumpcloud-operator/jumpcloud-operator/internal/connection"
)

// connectionInstalled is a source of events, one each time the registry installs a client for a
// connection, shaped as the connection object so that the usual connection handlers map it.
func connectionInstalled(reg *connection.Registry, h handler.EventHandler) source.Source {
	ch := make(chan event.GenericEvent, 1024)
	reg.OnInstall(func(ref connection.Ref) {
		select {
		case ch <- event.GenericEvent{Object: connectionObjectFor(ref)}:
		default: // full: the periodic requeue of waiting resources covers it
		}
	})
	return source.Channel(ch, h)
}

// connectionObjectFor returns an object naming ref's connection, of its kind, for an event.
func connectionObjectFor(ref connection.Ref) client.Object {
	meta := metav1.ObjectMeta{Namespace: ref.Namespace, Name: ref.Name}
	if ref.Kind == iamv1alpha1.ConnectionKindCluster {
		return &iamv1alpha1.ClusterJumpCloudConnection{ObjectMeta: meta}
	}
	return &iamv1alpha1.JumpCloudConnection{ObjectMeta: meta}
}
