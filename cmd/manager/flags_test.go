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
	"flag"
	"io"
	"testing"

	iamv1alpha1 "github.com/jumpcloud-operator/jumpcloud-operator/api/v1alpha1"
)

func TestDeletionPolicyFlag(t *testing.T) {
	tests := []struct {
		args    []string
		want    iamv1alpha1.DeletionPolicy
		wantErr bool
	}{
		{args: nil, want: iamv1alpha1.DeletionPolicySuspend},
		{args: []string{"--default-deletion-policy=Suspend"}, want: iamv1alpha1.DeletionPolicySuspend},
		{args: []string{"--default-deletion-policy=Delete"}, want: iamv1alpha1.DeletionPolicyDelete},
		{args: []string{"--default-deletion-policy=Orphan"}, want: iamv1alpha1.DeletionPolicyOrphan},
		{args: []string{"--default-deletion-policy=delete"}, wantErr: true},
		{args: []string{"--default-deletion-policy="}, wantErr: true},
	}
	for _, tt := range tests {
		policy := iamv1alpha1.DeletionPolicySuspend
		fs := flag.NewFlagSet("manager", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		fs.Var(deletionPolicyFlag{&policy}, "default-deletion-policy", "")

		err := fs.Parse(tt.args)
		if tt.wantErr {
			if err == nil {
				t.Errorf("Parse(%q) = nil error, want an error", tt.args)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q) = %v", tt.args, err)
		}
		if policy != tt.want {
			t.Errorf("Parse(%q) gave %q, want %q", tt.args, policy, tt.want)
		}
	}
}
