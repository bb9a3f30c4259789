package main

import (
	"reflect"
	"slices"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// cacheOptions leave out of the manager's cache what no reconciler reads, and let the cached
// objects share the strings thousands of them repeat. The operator patches and never reads
// managedFields or kubectl's last-applied-configuration annotation: dropping them from every
// object saves a good part of its memory when it holds thousands of JumpCloudUsers. Of the
// Secrets, whose metadata it watches cluster-wide to notice changes to the ones its resources
// name, it keeps only their identity and resourceVersion: a Secret applied with kubectl carries
// its whole content in the last-applied annotation, which must not reach the cache either.
func cacheOptions() cache.Options {
	strs := &interner{strs: map[string]string{}}
	return cache.Options{
		DefaultTransform: func(in any) (any, error) {
			if obj, err := meta.Accessor(in); err == nil {
				stripManagedFields(obj)
				if a := obj.GetAnnotations(); a != nil {
					if _, ok := a[corev1.LastAppliedConfigAnnotation]; ok {
						delete(a, corev1.LastAppliedConfigAnnotation)
						obj.SetAnnotations(a)
					}
				}
				strs.object(in, obj)
			}
			return in, nil
		},
		ByObject: map[client.Object]cache.ByObject{&corev1.Secret{}: {Transform: func(in any) (any, error) {
			if obj, err := meta.Accessor(in); err == nil {
				stripManagedFields(obj)
				obj.SetLabels(nil)
				obj.SetAnnotations(nil)
				obj.SetOwnerReferences(nil)
				strs.object(in, obj)
			}
			return in, nil
		}}},
	}
}

// stripManagedFields drops managedFields, only when set (kubernetes/kubernetes#124337), as
// cache.TransformStripManagedFields does.
func stripManagedFields(obj metav1.Object) {
	if obj.GetManagedFields() != nil {
		obj.SetManagedFields(nil)
	}
}

// Bounds of an interner: strings longer than maxInternedLen are left alone, and once it holds
// maxInterned strings it adds no more (it still hands out those it holds).
const (
	maxInterned    = 4096
	maxInternedLen = 256
)

// interner hands out one shared copy of each string it is given, so that cached objects do not
// each hold their own copy of the same apiVersion, kind, namespace, finalizer, or condition
// type, status, reason and message. Interning changes no value.
type interner struct {
	mu   sync.Mutex
	strs map[string]string
}

func (i *interner) get(s string) string {
	if s == "" || len(s) > maxInternedLen {
		return s
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	if shared, ok := i.strs[s]; ok {
		return shared
	}
	if len(i.strs) < maxInterned {
		i.strs[s] = s
	}
	return s
}

var conditionsType = reflect.TypeFor[[]metav1.Condition]()

// object interns the repeated strings of a cached object: its type, namespace, finalizers and
// the conditions in its status.conditions, if it has them. A message that several of its
// conditions carry (Ready, Reconciling and Stalled share theirs) is kept once.
func (i *interner) object(in any, obj metav1.Object) {
	if o, ok := in.(runtime.Object); ok {
		// Typed objects only: setting the GroupVersionKind would build the apiVersion again.
		if t, ok := o.GetObjectKind().(*metav1.TypeMeta); ok {
			t.APIVersion, t.Kind = i.get(t.APIVersion), i.get(t.Kind)
		}
	}
	obj.SetNamespace(i.get(obj.GetNamespace()))
	if f := obj.GetFinalizers(); len(f) > 0 {
		for k := range f {
			f[k] = i.get(f[k])
		}
		obj.SetFinalizers(f)
	}
	v := reflect.ValueOf(in)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return
	}
	status := v.Elem().FieldByName("Status")
	if !status.IsValid() || status.Kind() != reflect.Struct {
		return
	}
	field := status.FieldByName("Conditions")
	if !field.IsValid() || field.Type() != conditionsType {
		return
	}
	conds := field.Interface().([]metav1.Condition) // shares the object's array
	for k := range conds {
		c := &conds[k]
		c.Type = i.get(c.Type)
		c.Status = metav1.ConditionStatus(i.get(string(c.Status)))
		c.Reason = i.get(c.Reason)
		if j := slices.IndexFunc(conds[:k], func(o metav1.Condition) bool { return o.Message == c.Message }); j >= 0 {
			c.Message = conds[j].Message
		} else {
			c.Message = i.get(c.Message)
		}
	}
}
