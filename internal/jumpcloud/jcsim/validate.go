package jcsim

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

var (
	patternMu    sync.Mutex
	patternCache = map[string]*regexp.Regexp{}
)

func compilePattern(p string) (*regexp.Regexp, error) {
	patternMu.Lock()
	defer patternMu.Unlock()
	if re, ok := patternCache[p]; ok {
		return re, nil
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, err
	}
	patternCache[p] = re
	return re, nil
}

// checkUsername applies the naming rules; "" when fine, else a message.
func checkUsername(u string, rules UsernameRules) string {
	if u == "" {
		return "username is required"
	}
	if rules.MaxLength > 0 && utf8.RuneCountInString(u) > rules.MaxLength {
		return fmt.Sprintf("username must be at most %d characters", rules.MaxLength)
	}
	if rules.Pattern != "" {
		re, err := compilePattern(rules.Pattern)
		if err == nil && !re.MatchString(u) {
			return "username must start with a letter and contain only letters, digits, '.', '_' or '-'"
		}
	}
	return ""
}

// checkEmail checks a plain address (no display name).
func checkEmail(field, e string) string {
	if e == "" {
		return field + " is required"
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || a.Name != "" || !strings.Contains(e[strings.LastIndex(e, "@")+1:], ".") {
		return field + " is not a valid email address"
	}
	return ""
}

// checkPassword returns the policy rules p breaks (history is checked separately).
func checkPassword(p string, pol PasswordPolicy) []string {
	var out []string
	if p == "" {
		return []string{"minLength"}
	}
	if pol.MinLength > 0 && utf8.RuneCountInString(p) < pol.MinLength {
		out = append(out, "minLength")
	}
	var lower, upper, digit, symbol bool
	for _, r := range p {
		switch {
		case unicode.IsLower(r):
			lower = true
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsDigit(r):
			digit = true
		default:
			symbol = true
		}
	}
	if pol.NeedsLower && !lower {
		out = append(out, "lowercaseCharacter")
	}
	if pol.NeedsUpper && !upper {
		out = append(out, "uppercaseCharacter")
	}
	if pol.NeedsNumeric && !digit {
		out = append(out, "numericCharacter")
	}
	if pol.NeedsSymbolic && !symbol {
		out = append(out, "specialCharacter")
	}
	return out
}

// maxLen are the documented length limits.
var maxLen = map[string]int{"employeeIdentifier": 256}

const defaultMaxLen = 1024

// checkLengths checks the string fields against JumpCloud's maxLength.
func checkLengths(u *User) string {
	fields := map[string]string{
		"username": u.Username, "email": u.Email, "firstname": u.Firstname, "middlename": u.Middlename,
		"lastname": u.Lastname, "displayname": u.Displayname, "jobTitle": u.JobTitle,
		"department": u.Department, "company": u.Company, "costCenter": u.CostCenter,
		"location": u.Location, "employeeType": u.EmployeeType, "description": u.Description,
		"employeeIdentifier": u.EmployeeIdentifier, "managedAppleId": u.ManagedAppleID,
	}
	for name, v := range fields {
		limit := defaultMaxLen
		if l, ok := maxLen[name]; ok {
			limit = l
		}
		if utf8.RuneCountInString(v) > limit {
			return fmt.Sprintf("%s must be at most %d characters", name, limit)
		}
	}
	for _, a := range u.Attributes {
		if utf8.RuneCountInString(a.Value) > defaultMaxLen {
			return fmt.Sprintf("attributes: value must be at most %d characters", defaultMaxLen)
		}
	}
	return ""
}
