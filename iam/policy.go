// Package iam parses and evaluates documents of the IAM JSON policy
// language: identity policies, role trust policies and resource policies,
// with the semantics AWS documents in the IAM User Guide's policy reference
// (elements, condition operators, policy variables and evaluation logic).
//
// Parse does all the work that does not depend on a request: it checks
// the document, compiles action and resource patterns, parses numbers,
// dates, addresses and ARNs in conditions, and splits policy variables out
// of the strings that may hold them. Evaluate is then cheap, and for
// well-formed request values it does not allocate.
package iam

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Policy is a parsed policy document: an identity policy, a role trust
// policy or a resource policy. A Policy is immutable and safe for
// concurrent use.
type Policy struct {
	stmts        []statement
	vars         bool // Version 2012-10-17: policy variables are substituted
	hasPrincipal bool
	json         []byte
}

// Parse parses a JSON policy document.
//
// Version must be "2012-10-17" or "2008-10-17"; without one the document
// has 2008-10-17 semantics, in which "${...}" is literal text rather than
// a policy variable. Statement is one statement object or an array of them.
// Every statement has an Effect ("Allow" or "Deny"), exactly one of Action
// and NotAction, and exactly one of Resource and NotResource, which a
// statement naming a Principal or NotPrincipal may omit (as trust policies
// do). The statements of one policy either all name principals (trust and
// resource policies) or none do (identity policies). Element names are
// case-sensitive; condition operator and condition key names are not.
//
// The error for a rejected document is an *Error, which names the element
// at fault and where in doc it starts.
func Parse(doc []byte) (*Policy, error) {
	root, err := readTree(doc)
	if err != nil {
		return nil, err
	}
	p, err := parsePolicy(root)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, doc); err != nil {
		// readTree has accepted doc, so json.Compact cannot fail.
		return nil, &Error{Msg: "invalid JSON: " + err.Error()}
	}
	p.json = buf.Bytes()
	return p, nil
}

// JSON returns the source document, compacted.
func (p *Policy) JSON() []byte { return bytes.Clone(p.json) }

// MarshalJSON returns the source document, compacted, so that a Policy
// can be a field of a struct that is encoded as JSON.
func (p *Policy) MarshalJSON() ([]byte, error) {
	if p.json == nil {
		return []byte("null"), nil
	}
	return p.JSON(), nil
}

// UnmarshalJSON parses data with Parse, so that a Policy can be a field of
// a struct that is decoded from JSON.
func (p *Policy) UnmarshalJSON(data []byte) error {
	q, err := Parse(data)
	if err != nil {
		return err
	}
	*p = *q
	return nil
}

// HasPrincipal reports whether the policy's statements name principals, as
// those of trust and resource policies must and those of identity policies
// must not.
func (p *Policy) HasPrincipal() bool { return p.hasPrincipal }

// Principal is who makes a request. Only statements with a Principal or
// NotPrincipal element (trust and resource policies) look at it.
type Principal struct {
	// Account is the principal's 12-digit account id.
	Account string
	// ARN is the principal's ARN, e.g.
	// arn:aws:iam::111111111111:user/alice,
	// arn:aws:iam::111111111111:root or, for a role session,
	// arn:aws:sts::111111111111:assumed-role/Role/session.
	ARN string
	// RoleARN is, for a role session, the IAM ARN of the role
	// (arn:aws:iam::111111111111:role/path/Role), which the session ARN
	// cannot give because it leaves out the role's path.
	RoleARN string
	// Service is the service principal for requests made by an AWS
	// service, e.g. "securityhub.amazonaws.com".
	Service string
	// Federated is the identity provider of a web identity or SAML
	// federation request (AssumeRoleWithWebIdentity, AssumeRoleWithSAML),
	// e.g. "accounts.google.com" or
	// arn:aws:iam::111111111111:saml-provider/Example.
	Federated string
	// UserID is the principal's unique id as AWS puts it in aws:userid
	// ("AIDA..." for a user, "AROA...:session" for a role session), if
	// known. NewContext uses it.
	UserID string
}

// Request is one authorization question.
type Request struct {
	Principal Principal
	// Action is the action asked for, e.g.
	// "securityhub:BatchImportFindings". Actions match case-insensitively.
	Action string
	// Resource is the ARN of the resource acted on, or "*" for actions
	// that do not act on a particular resource.
	Resource string
	// Context holds the request's condition keys, e.g.
	// "aws:PrincipalAccount", "aws:SourceIp", "aws:SecureTransport"
	// ("true" or "false"), "aws:CurrentTime" (RFC 3339) or
	// "securityhub:TargetAccount". Key names are case-insensitive; values
	// are compared as each condition operator says. A key with several
	// values is a multivalued key; a key with none is absent.
	Context map[string][]string
}

// Decision is the outcome of evaluating policies for a request.
type Decision int

const (
	// NotApplicable means no statement applies: an implicit deny.
	NotApplicable Decision = iota
	// Allow means an Allow statement applies and no Deny statement does.
	Allow
	// Deny means a Deny statement applies: an explicit deny, which no
	// Allow in any policy can override.
	Deny
)

// String returns the decision's name.
func (d Decision) String() string {
	switch d {
	case NotApplicable:
		return "NotApplicable"
	case Allow:
		return "Allow"
	case Deny:
		return "Deny"
	}
	return fmt.Sprintf("Decision(%d)", int(d))
}

// Evaluate returns the decision of the policy alone for r: Deny if a Deny
// statement applies, else Allow if an Allow statement applies, else
// NotApplicable.
func (p *Policy) Evaluate(r *Request) Decision {
	if p == nil || r == nil {
		return NotApplicable
	}
	d := NotApplicable
	for i := range p.stmts {
		s := &p.stmts[i]
		if d == Allow && !s.deny {
			// Another Allow cannot change the outcome.
			continue
		}
		if s.applies(r, p.vars) {
			if s.deny {
				return Deny
			}
			d = Allow
		}
	}
	return d
}

// Evaluate combines policies as AWS does within one principal's identity
// policies, or for one resource policy: an explicit Deny in any of them
// wins, else an Allow in any of them, else NotApplicable. Nil policies are
// skipped. Combining the identity side with a resource policy, a
// permissions boundary or a trust policy is the caller's business, since
// AWS's rules for that depend on the kind of policy and on accounts.
func Evaluate(r *Request, policies ...*Policy) Decision {
	d := NotApplicable
	for _, p := range policies {
		switch p.Evaluate(r) {
		case Deny:
			return Deny
		case Allow:
			d = Allow
		}
	}
	return d
}

// Error reports why Parse rejected a document.
type Error struct {
	// Element names the element at fault, such as "Statement[1].Condition"
	// or "Statement.Action"; it is empty for errors in the document as a
	// whole, such as invalid JSON.
	Element string
	// Offset is the byte offset in the document at which the faulty
	// element's value (or the JSON syntax error) starts, so that a caller
	// can turn it into a line number.
	Offset int64
	// Msg says what is wrong.
	Msg string
}

// Error returns the element's name and what is wrong with it, e.g.
// `Statement[1].Condition: unknown operator "StringEqual"`.
func (e *Error) Error() string {
	if e.Element == "" {
		return e.Msg
	}
	return e.Element + ": " + e.Msg
}
