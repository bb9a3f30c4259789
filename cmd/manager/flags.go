/*
Copyright 2026 The jumpcloud-operator Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package main

import (
	"fmt"
	"strings"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
)

// deletionPolicies are the values --default-deletion-policy accepts.
var deletionPolicies = []iamv1alpha1.DeletionPolicy{
	iamv1alpha1.DeletionPolicySuspend,
	iamv1alpha1.DeletionPolicyDelete,
	iamv1alpha1.DeletionPolicyOrphan,
}

// deletionPolicyFlag is a flag.Value that accepts only a known DeletionPolicy, so that a typo
// stops the manager at start-up instead of reaching a finalizer.
type deletionPolicyFlag struct{ policy *iamv1alpha1.DeletionPolicy }

func (f deletionPolicyFlag) String() string {
	if f.policy == nil {
		return ""
	}
	return string(*f.policy)
}

func (f deletionPolicyFlag) Set(value string) error {
	for _, p := range deletionPolicies {
		if value == string(p) {
			*f.policy = p
			return nil
		}
	}
	names := make([]string, len(deletionPolicies))
	for i, p := range deletionPolicies {
		names[i] = string(p)
	}
	return fmt.Errorf("must be one of %s", strings.Join(names, ", "))
}
