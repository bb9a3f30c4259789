package plugin

import (
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

// resourceName derives a DNS-1123 subdomain name from a username or a group name: lower case,
// every character other than a-z, 0-9, "." and "-" replaced by "-", each dot-separated part
// trimmed of leading and trailing dashes. It returns "" when nothing usable is left.
func resourceName(from string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(from) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	var parts []string
	for p := range strings.SplitSeq(b.String(), ".") {
		if p = strings.Trim(p, "-"); p != "" {
			parts = append(parts, p)
		}
	}
	name := strings.Join(parts, ".")
	if len(name) > validation.DNS1123SubdomainMaxLength {
		name = strings.TrimRight(name[:validation.DNS1123SubdomainMaxLength], "-.")
	}
	if len(validation.IsDNS1123Subdomain(name)) > 0 {
		return ""
	}
	return name
}

// resourceNames names the JumpCloudUser of each user (by JumpCloud id) after its username.
func resourceNames(users []jumpcloud.User) map[string]string {
	ids, names := make([]string, len(users)), make([]string, len(users))
	for i := range users {
		ids[i], names[i] = users[i].ID, users[i].Username
	}
	return uniqueResourceNames(ids, names, "user-")
}

// groupResourceNames names the JumpCloudUserGroup of each group (by JumpCloud id) after its name.
func groupResourceNames(groups []jumpcloud.Group) map[string]string {
	ids, names := make([]string, len(groups)), make([]string, len(groups))
	for i := range groups {
		ids[i], names[i] = groups[i].ID, groups[i].Name
	}
	return uniqueResourceNames(ids, names, "group-")
}

// uniqueResourceNames maps ids[i] to a resource name derived from names[i] (see resourceName).
// Objects whose names map to the same resource name get their JumpCloud id appended, and those
// whose names map to none are called prefix+id, so that every name is unique and stable whatever
// the order of the objects.
func uniqueResourceNames(ids, names []string, prefix string) map[string]string {
	count := map[string]int{}
	for _, n := range names {
		count[resourceName(n)]++
	}
	out := make(map[string]string, len(ids))
	for i, id := range ids {
		name := resourceName(names[i])
		switch {
		case name == "":
			name = prefix + id
		case count[name] > 1:
			suffix := "-" + id
			name = strings.TrimRight(name[:min(len(name), validation.DNS1123SubdomainMaxLength-len(suffix))], "-.") + suffix
		}
		out[id] = name
	}
	return out
}
