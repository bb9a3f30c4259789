package controller

import (
	"context"
	"crypto/sha256"
	"encoding/hex"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
)

type passwordMemo struct {
	resourceVersion string
	userUID         string
	version         string
}

// password returns the password to send (nil when none is due) and the version to record. On
// create any password is due; on update only one whose Secret content changed.
func (r *JumpCloudUserReconciler) password(ctx context.Context, s *userScope, creating bool) (*string, string, error) {
	ref := s.user.Spec.PasswordSecretRef
	if ref == nil {
		return nil, s.passwordVersion, nil
	}
	key := client.ObjectKey{Namespace: s.user.Namespace, Name: ref.Name}
	var meta metav1.PartialObjectMetadata
	meta.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
	if err := r.Get(ctx, key, &meta); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, "", stalled(iamv1alpha1.ReasonSecretNotFound, "password Secret %s does not exist", key)
		}
		return nil, "", err
	}
	if m, ok := r.passwords.Load(key); !creating && ok {
		memo := m.(passwordMemo)
		if memo.resourceVersion == meta.ResourceVersion && memo.userUID == string(s.user.UID) && memo.version == s.passwordVersion {
			return nil, memo.version, nil
		}
	}
	var secret corev1.Secret
	if err := r.APIReader.Get(withoutLogger(ctx), key, &secret); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, "", stalled(iamv1alpha1.ReasonSecretNotFound, "password Secret %s does not exist", key)
		}
		return nil, "", err
	}
	k := ref.Key
	if k == "" {
		k = "password"
	}
	value, ok := secret.Data[k]
	if !ok || len(value) == 0 {
		return nil, "", stalled(iamv1alpha1.ReasonSecretNotFound, "password Secret %s has no key %q", key, k)
	}
	version := passwordVersion(string(s.user.UID), value)
	r.passwords.Store(key, passwordMemo{resourceVersion: secret.ResourceVersion, userUID: string(s.user.UID), version: version})
	if !creating && version == s.passwordVersion {
		return nil, version, nil
	}
	p := string(value)
	return &p, version, nil
}

// passwordVersion identifies a password without revealing it: a hash salted with the user's UID,
// so equal passwords of different users do not look alike.
func passwordVersion(uid string, password []byte) string {
	h := sha256.New()
	h.Write([]byte(uid))
	h.Write([]byte{0})
	h.Write(password)
	return "sha256:" + hex.EncodeToString(h.Sum(nil))[:16]
}
