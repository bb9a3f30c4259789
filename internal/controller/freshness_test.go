package controller

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
)

func TestWriteLog(t *testing.T) {
	obj := func(rv string) *iamv1alpha1.JumpCloudUser {
		return &iamv1alpha1.JumpCloudUser{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "ann", ResourceVersion: rv}}
	}
	var l writeLog
	if l.behind(obj("5")) {
		t.Fatal("behind with no write recorded")
	}
	l.wrote(obj("5"), "5") // a pass that wrote nothing records nothing
	if len(l.rv) != 0 {
		t.Fatalf("a pass without a write was recorded: %v", l.rv)
	}
	l.wrote(obj("12"), "5")
	for _, rv := range []string{"5", "11", "9"} {
		if !l.behind(obj(rv)) {
			t.Errorf("a copy at %s is not behind a write at 12", rv)
		}
	}
	if l.behind(obj("100")) {
		t.Error("a copy at 100 is behind a write at 12")
	}
	if len(l.rv) != 0 {
		t.Errorf("the record stayed after the cache caught up: %v", l.rv)
	}
	// resourceVersions that cannot be compared never make a pass wait.
	l.wrote(obj("abc"), "5")
	if l.behind(obj("7")) {
		t.Error("an incomparable resourceVersion made a pass wait")
	}
	l.wrote(obj("12"), "5")
	l.forget(client.ObjectKeyFromObject(obj("")))
	if l.behind(obj("7")) {
		t.Error("a forgotten object made a pass wait")
	}
}
