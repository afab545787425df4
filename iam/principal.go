package iam

import (
	"fmt"
	"slices"
	"strings"
)

// A principalSet is the value of a Principal or NotPrincipal element.
type principalSet struct {
	everyone  bool     // "*" or {"AWS": "*"}
	accounts  []string // account ids, from "123456789012" or arn:aws:iam::123456789012:root
	arns      []string // user, role, assumed-role session and federated user ARNs
	services  []string
	federated []string
}

// parsePrincipal parses a Principal or NotPrincipal element, whose forms
// "AWS JSON policy elements: Principal" lists.
func parsePrincipal(n *node, path string) (*principalSet, error) {
	ps := &principalSet{}
	if n.kind == nodeString {
		if n.text != "*" {
			return nil, errAt(n, path, `must be "*" or an object such as {"AWS": "123456789012"}`)
		}
		ps.everyone = true
		return ps, nil
	}
	if n.kind != nodeObject {
		return nil, errAt(n, path, `must be "*" or an object such as {"AWS": "123456789012"}, not %s`, n.kind)
	}
	if len(n.obj) == 0 {
		return nil, errAt(n, path, "names no principal")
	}
	for _, m := range n.obj {
		elem := join(path, m.key)
		vals, err := stringList(m.val, elem)
		if err != nil {
			return nil, err
		}
		for _, v := range vals {
			s := v.text
			switch m.key {
			case "AWS":
				switch kind, account := awsPrincipal(s); kind {
				case awsEveryone:
					ps.everyone = true
				case awsAccount:
					ps.accounts = append(ps.accounts, account)
				case awsARN:
					ps.arns = append(ps.arns, s)
				default:
					if strings.ContainsAny(s, "*?") {
						return nil, errAt(v, elem, "invalid principal %q: wildcards cannot name part of a principal", s)
					}
					return nil, errAt(v, elem, "%q is not an account id or the ARN of an account, user, role, role session or federated user", s)
				}
			case "Service", "Federated":
				if s == "" || strings.ContainsAny(s, "*?") {
					return nil, errAt(v, elem, "invalid principal %q: wildcards cannot name part of a principal", s)
				}
				if m.key == "Service" {
					ps.services = append(ps.services, s)
				} else {
					ps.federated = append(ps.federated, s)
				}
			default:
				return nil, &Error{Element: path, Offset: m.keyOff, Msg: fmt.Sprintf("unknown principal type %q (want AWS, Service or Federated)", m.key)}
			}
		}
	}
	return ps, nil
}

type awsKind uint8

const (
	awsInvalid  awsKind = iota
	awsEveryone         // "*"
	awsAccount          // "123456789012" or arn:aws:iam::123456789012:root
	awsARN              // an IAM user or role, a role session or a federated user
)

// awsPrincipal classifies the value of an "AWS" principal and returns the
// account id of an account principal.
func awsPrincipal(s string) (awsKind, string) {
	if s == "*" {
		return awsEveryone, ""
	}
	if isAccountID(s) {
		return awsAccount, s
	}
	parts, ok := splitARN(s)
	if !ok || parts[0] != "arn" || parts[1] == "" || parts[3] != "" || !isAccountID(parts[4]) || strings.ContainsAny(s, "*?") {
		return awsInvalid, ""
	}
	res := parts[5]
	switch parts[2] {
	case "iam":
		if res == "root" {
			return awsAccount, parts[4]
		}
		for _, prefix := range []string{"user/", "role/"} {
			if name, ok := strings.CutPrefix(res, prefix); ok && name != "" && !strings.HasSuffix(name, "/") {
				return awsARN, ""
			}
		}
	case "sts":
		if rest, ok := strings.CutPrefix(res, "assumed-role/"); ok {
			if role, session, ok := strings.Cut(rest, "/"); ok && role != "" && session != "" && !strings.Contains(session, "/") {
				return awsARN, ""
			}
		}
		if name, ok := strings.CutPrefix(res, "federated-user/"); ok && name != "" {
			return awsARN, ""
		}
	}
	return awsInvalid, ""
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// account returns the principal's account id, falling back on the one in
// its ARN.
func (p *Principal) account() string {
	if p.Account != "" {
		return p.Account
	}
	if parts, ok := splitARN(p.ARN); ok {
		return parts[4]
	}
	return ""
}

// isRoot reports whether the principal is an account's root user, whom an
// account principal names.
func (p *Principal) isRoot() bool {
	parts, ok := splitARN(p.ARN)
	return ok && parts[2] == "iam" && parts[5] == "root"
}

// matches reports whether a Principal element names p. An account names
// every principal of that account, not only its root user; a role ARN
// names the sessions of that role, which are how a role acts ("AWS JSON
// policy elements: Principal": account principals, IAM role principals).
// Names are case-sensitive.
func (ps *principalSet) matches(p *Principal) bool {
	if ps.everyone {
		return true
	}
	if a := p.account(); a != "" && slices.Contains(ps.accounts, a) {
		return true
	}
	return p.ARN != "" && slices.Contains(ps.arns, p.ARN) ||
		p.RoleARN != "" && slices.Contains(ps.arns, p.RoleARN) ||
		p.Service != "" && slices.Contains(ps.services, p.Service) ||
		p.Federated != "" && slices.Contains(ps.federated, p.Federated)
}

// excepts reports whether a NotPrincipal element exempts p from its
// statement. "AWS JSON policy elements: NotPrincipal" describes AWS
// checking the account, then the role, then the session (or the account,
// then the user) each on its own, so that a NotPrincipal naming only a
// user still applies to — denies — the user's account, and through it the
// user. So p is exempt only if each of its identities is named: its
// account (by account id or root ARN), its own ARN, and its role's ARN.
func (ps *principalSet) excepts(p *Principal) bool {
	if ps.everyone {
		return true
	}
	named := 0
	if a := p.account(); a != "" {
		if !slices.Contains(ps.accounts, a) {
			return false
		}
		named++
	}
	if p.ARN != "" && !p.isRoot() {
		if !slices.Contains(ps.arns, p.ARN) {
			return false
		}
		named++
	}
	if p.RoleARN != "" {
		if !slices.Contains(ps.arns, p.RoleARN) {
			return false
		}
		named++
	}
	if p.Service != "" {
		if !slices.Contains(ps.services, p.Service) {
			return false
		}
		named++
	}
	if p.Federated != "" {
		if !slices.Contains(ps.federated, p.Federated) {
			return false
		}
		named++
	}
	// An anonymous principal has no identity to name.
	return named > 0
}
