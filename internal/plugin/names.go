package plugin

import (
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/jumpcloud-operator/jumpcloud-operator/internal/jumpcloud"
)

// resourceName derives a DNS-1123 subdomain name from a username: lower case, every character
// other than a-z, 0-9, "." and "-" replaced by "-", each dot-separated part trimmed of leading
// and trailing dashes. It returns "" when nothing usable is left.
func resourceName(username string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(username) {
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

// resourceNames names the JumpCloudUser of each user (by JumpCloud id). Users whose usernames
// map to the same name, or to none, get their JumpCloud id in the name, so that every name is
// unique and stable whatever the order of the users.
func resourceNames(users []jumpcloud.User) map[string]string {
	count := map[string]int{}
	for i := range users {
		count[resourceName(users[i].Username)]++
	}
	names := make(map[string]string, len(users))
	for i := range users {
		u := &users[i]
		name := resourceName(u.Username)
		switch {
		case name == "":
			name = "user-" + u.ID
		case count[name] > 1:
			suffix := "-" + u.ID
			name = strings.TrimRight(name[:min(len(name), validation.DNS1123SubdomainMaxLength-len(suffix))], "-.") + suffix
		}
		names[u.ID] = name
	}
	return names
}
