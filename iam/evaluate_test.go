package iam

import (
	"strings"
	"testing"
	"time"
)

func TestActions(t *testing.T) {
	// "IAM JSON policy elements: Action" and the grammar's action_string:
	// service:action with wildcards, matched regardless of case.
	tests := []struct {
		pattern, action string
		want            bool
	}{
		{"securityhub:BatchImportFindings", "securityhub:BatchImportFindings", true},
		{"securityhub:BatchImportFindings", "securityhub:batchimportfindings", true},
		{"SecurityHub:BATCHIMPORTFINDINGS", "securityhub:BatchImportFindings", true},
		{"securityhub:BatchImportFindings", "securityhub:BatchUpdateFindings", false},
		{"securityhub:*", "securityhub:GetFindings", true},
		{"securityhub:*", "securityhubx:GetFindings", false},
		{"securityhub:Get*", "securityhub:GetFindings", true},
		{"securityhub:Get*", "securityhub:BatchImportFindings", false},
		{"securityhub:Batch*Findings", "securityhub:BatchUpdateFindings", true},
		{"securityhub:Batch?mportFindings", "securityhub:BatchImportFindings", true},
		{"securityhub:Batch?mportFindings", "securityhub:BatchIImportFindings", false},
		{"iam:*AccessKey*", "iam:CreateAccessKey", true},
		{"iam:*AccessKey*", "iam:ListAccessKeys", true},
		{"iam:*AccessKey*", "iam:CreateUser", false},
		{"s3:Get*", "s3:ListBucket", false},
		{"*", "sts:AssumeRole", true},
		{"*:Get*", "s3:GetObject", true},
	}
	for _, tt := range tests {
		p := mustParse(t, `{"Statement":{"Effect":"Allow","Action":"`+tt.pattern+`","Resource":"*"}}`)
		if got := p.Evaluate(&Request{Action: tt.action, Resource: "*"}) == Allow; got != tt.want {
			t.Errorf("Action %q, request %q: %v, want %v", tt.pattern, tt.action, got, tt.want)
		}
		// "IAM JSON policy elements: NotAction": a statement applies to
		// every action except those listed.
		p = mustParse(t, `{"Statement":{"Effect":"Allow","NotAction":"`+tt.pattern+`","Resource":"*"}}`)
		if got := p.Evaluate(&Request{Action: tt.action, Resource: "*"}) == Allow; got == tt.want {
			t.Errorf("NotAction %q, request %q: %v, want %v", tt.pattern, tt.action, got, !tt.want)
		}
	}
}

func TestResources(t *testing.T) {
	// "IAM JSON policy elements: Resource": ARNs with * (any run of
	// characters, including / and :) and ? (one character); the user name
	// in an ARN is case-sensitive.
	tests := []struct {
		pattern, resource string
		want              bool
	}{
		{"*", "arn:aws:securityhub:us-east-1:111111111111:hub/default", true},
		{"*", "*", true},
		{"arn:aws:s3:::my_corporate_bucket/*", "arn:aws:s3:::my_corporate_bucket/a/b/c.txt", true},
		{"arn:aws:s3:::my_corporate_bucket/*", "arn:aws:s3:::my_corporate_bucket", false},
		{"arn:aws:iam::123456789012:user/accounting/*", "arn:aws:iam::123456789012:user/accounting/alice", true},
		{"arn:aws:iam::123456789012:user/accounting/*", "arn:aws:iam::123456789012:user/marketing/bob", false},
		{"arn:aws:iam::123456789012:user/Bob", "arn:aws:iam::123456789012:user/Bob", true},
		{"arn:aws:iam::123456789012:user/Bob", "arn:aws:iam::123456789012:user/bob", false},
		{"arn:aws:securityhub:*:111111111111:hub/default", "arn:aws:securityhub:eu-west-1:111111111111:hub/default", true},
		{"arn:aws:securityhub:*:111111111111:hub/default", "arn:aws:securityhub:eu-west-1:222222222222:hub/default", false},
		{"arn:aws:securityhub:us-east-1:*", "arn:aws:securityhub:us-east-1:111111111111:product/111111111111/default", true},
		{"arn:aws:securityhub:us-east-?:*", "arn:aws:securityhub:us-east-2:111111111111:hub/default", true},
		{"arn:aws:securityhub:us-east-?:*", "arn:aws:securityhub:us-east-10:111111111111:hub/default", false},
		{"arn:aws:sqs:us-east-2:123456789012:queue1", "*", false},
		{"arn:aws:dynamodb:us-east-2:123456789012:table/books_table", "arn:aws:dynamodb:us-east-2:123456789012:table/books_table", true},
	}
	for _, tt := range tests {
		r := &Request{Action: "s3:GetObject", Resource: tt.resource}
		p := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"`+tt.pattern+`"}}`)
		if got := p.Evaluate(r) == Allow; got != tt.want {
			t.Errorf("Resource %q, request %q: %v, want %v", tt.pattern, tt.resource, got, tt.want)
		}
		// "IAM JSON policy elements: NotResource": every resource but those
		// listed.
		p = mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","NotResource":"`+tt.pattern+`"}}`)
		if got := p.Evaluate(r) == Allow; got == tt.want {
			t.Errorf("NotResource %q, request %q: %v, want %v", tt.pattern, tt.resource, got, !tt.want)
		}
	}

	// The NotResource page's example: deny everything outside one bucket,
	// with a list.
	p := mustParse(t, `{"Statement":{"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::HRBucket/Payroll","arn:aws:s3:::HRBucket/Payroll/*"]}}`)
	for res, want := range map[string]Decision{
		"arn:aws:s3:::HRBucket/Payroll":       NotApplicable,
		"arn:aws:s3:::HRBucket/Payroll/x.csv": NotApplicable,
		"arn:aws:s3:::HRBucket/Other":         Deny,
	} {
		if got := p.Evaluate(&Request{Action: "s3:GetObject", Resource: res}); got != want {
			t.Errorf("NotResource list, %s: %v, want %v", res, got, want)
		}
	}
}

func TestPrincipals(t *testing.T) {
	var (
		alice    = Principal{Account: "111111111111", ARN: "arn:aws:iam::111111111111:user/dev/alice"}
		bob      = Principal{Account: "111111111111", ARN: "arn:aws:iam::111111111111:user/bob"}
		root     = Principal{Account: "111111111111", ARN: "arn:aws:iam::111111111111:root"}
		session  = Principal{Account: "111111111111", ARN: "arn:aws:sts::111111111111:assumed-role/Importer/s1", RoleARN: "arn:aws:iam::111111111111:role/ci/Importer"}
		other    = Principal{Account: "111111111111", ARN: "arn:aws:sts::111111111111:assumed-role/Importer/s2", RoleARN: "arn:aws:iam::111111111111:role/ci/Importer"}
		fed      = Principal{Account: "111111111111", ARN: "arn:aws:sts::111111111111:federated-user/carol"}
		stranger = Principal{Account: "222222222222", ARN: "arn:aws:iam::222222222222:user/alice"}
		service  = Principal{Service: "securityhub.amazonaws.com"}
		google   = Principal{Federated: "accounts.google.com"}
		anon     = Principal{}
	)
	everyone := []Principal{alice, bob, root, session, other, fed, stranger, service, google, anon}
	tests := []struct {
		name      string
		principal string // the Principal element
		want      []Principal
	}{
		// "AWS JSON policy elements: Principal", all principals: "*" and
		// {"AWS": "*"} are equivalent.
		{"star", `"*"`, everyone},
		{"AWS star", `{"AWS":"*"}`, everyone},
		// AWS account principals: the account id and the account's root
		// ARN both delegate to the whole account, not only to its root user.
		{"account id", `{"AWS":"111111111111"}`, []Principal{alice, bob, root, session, other, fed}},
		{"account root ARN", `{"AWS":"arn:aws:iam::111111111111:root"}`, []Principal{alice, bob, root, session, other, fed}},
		{"other account", `{"AWS":"222222222222"}`, []Principal{stranger}},
		// IAM user principals: exactly that user; the user name is
		// case-sensitive.
		{"user", `{"AWS":"arn:aws:iam::111111111111:user/dev/alice"}`, []Principal{alice}},
		{"user case", `{"AWS":"arn:aws:iam::111111111111:user/dev/Alice"}`, nil},
		{"users", `{"AWS":["arn:aws:iam::111111111111:user/dev/alice","arn:aws:iam::111111111111:user/bob"]}`, []Principal{alice, bob}},
		// IAM role principals: a role acts through its sessions, which a
		// role principal therefore names.
		{"role", `{"AWS":"arn:aws:iam::111111111111:role/ci/Importer"}`, []Principal{session, other}},
		// Role session principals: exactly that session.
		{"session", `{"AWS":"arn:aws:sts::111111111111:assumed-role/Importer/s1"}`, []Principal{session}},
		{"federated user", `{"AWS":"arn:aws:sts::111111111111:federated-user/carol"}`, []Principal{fed}},
		// AWS service principals and web identity session principals.
		{"service", `{"Service":["securityhub.amazonaws.com","config.amazonaws.com"]}`, []Principal{service}},
		{"federated", `{"Federated":"accounts.google.com"}`, []Principal{google}},
		{"mixed types", `{"AWS":"arn:aws:iam::111111111111:user/bob","Service":"securityhub.amazonaws.com"}`, []Principal{bob, service}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":`+tt.principal+`,"Action":"sts:AssumeRole"}}`)
			for _, who := range everyone {
				want := NotApplicable
				for _, w := range tt.want {
					if w == who {
						want = Allow
					}
				}
				if got := p.Evaluate(&Request{Principal: who, Action: "sts:AssumeRole", Resource: "arn:aws:iam::111111111111:role/R"}); got != want {
					t.Errorf("Principal %s, caller %+v: %v, want %v", tt.principal, who, got, want)
				}
			}
		})
	}

	// An identity policy ignores the request's principal.
	p := mustParse(t, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`)
	for _, who := range everyone {
		if got := p.Evaluate(&Request{Principal: who, Action: "s3:GetObject", Resource: "*"}); got != Allow {
			t.Errorf("identity policy, caller %+v: %v", who, got)
		}
	}
}

func TestNotPrincipal(t *testing.T) {
	bob := Principal{Account: "444455556666", ARN: "arn:aws:iam::444455556666:user/Bob"}
	alice := Principal{Account: "444455556666", ARN: "arn:aws:iam::444455556666:user/Alice"}
	root := Principal{Account: "444455556666", ARN: "arn:aws:iam::444455556666:root"}
	audit := Principal{Account: "444455556666", ARN: "arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/cross-account-audit-app", RoleARN: "arn:aws:iam::444455556666:role/cross-account-read-only-role"}
	otherSession := Principal{Account: "444455556666", ARN: "arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/other", RoleARN: "arn:aws:iam::444455556666:role/cross-account-read-only-role"}
	stranger := Principal{Account: "111111111111", ARN: "arn:aws:iam::111111111111:user/Bob"}
	service := Principal{Service: "s3.amazonaws.com"}
	anon := Principal{}

	// "AWS JSON policy elements: NotPrincipal", NotPrincipal with Deny:
	// AWS checks the account, then the role, then the session, so the
	// principals to spare are named with their account (and role).
	tests := []struct {
		name   string
		not    string
		denied map[*Principal]bool
	}{
		{"user and account", `{"AWS":["arn:aws:iam::444455556666:user/Bob","arn:aws:iam::444455556666:root"]}`,
			map[*Principal]bool{&bob: false, &alice: true, &root: false, &audit: true, &otherSession: true, &stranger: true, &service: true, &anon: true}},
		// Naming only the user leaves its account denied, and the user
		// with it.
		{"user alone", `{"AWS":"arn:aws:iam::444455556666:user/Bob"}`,
			map[*Principal]bool{&bob: true, &alice: true, &root: true, &stranger: true}},
		{"session, role and account", `{"AWS":["arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/cross-account-audit-app","arn:aws:iam::444455556666:role/cross-account-read-only-role","arn:aws:iam::444455556666:root"]}`,
			map[*Principal]bool{&audit: false, &otherSession: true, &bob: true, &root: false}},
		{"session and account without role", `{"AWS":["arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/cross-account-audit-app","444455556666"]}`,
			map[*Principal]bool{&audit: true}},
		{"service", `{"Service":"s3.amazonaws.com"}`,
			map[*Principal]bool{&service: false, &bob: true, &anon: true}},
		{"everyone", `"*"`,
			map[*Principal]bool{&service: false, &bob: false, &anon: false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotPrincipal":`+tt.not+`,"Action":"s3:*","Resource":["arn:aws:s3:::Bucket_AccountAudit","arn:aws:s3:::Bucket_AccountAudit/*"]}}`)
			for who, denied := range tt.denied {
				want := NotApplicable
				if denied {
					want = Deny
				}
				if got := p.Evaluate(&Request{Principal: *who, Action: "s3:GetObject", Resource: "arn:aws:s3:::Bucket_AccountAudit/x"}); got != want {
					t.Errorf("NotPrincipal %s, caller %+v: %v, want %v", tt.not, *who, got, want)
				}
			}
		})
	}

	// NotPrincipal with Allow grants to everyone but those named.
	p := mustParse(t, `{"Statement":{"Effect":"Allow","NotPrincipal":{"AWS":["arn:aws:iam::444455556666:user/Bob","444455556666"]},"Action":"s3:*","Resource":"*"}}`)
	if got := p.Evaluate(&Request{Principal: bob, Action: "s3:GetObject", Resource: "*"}); got != NotApplicable {
		t.Errorf("NotPrincipal Allow, Bob: %v", got)
	}
	if got := p.Evaluate(&Request{Principal: stranger, Action: "s3:GetObject", Resource: "*"}); got != Allow {
		t.Errorf("NotPrincipal Allow, stranger: %v", got)
	}
}

func TestVariables(t *testing.T) {
	policy := func(version, resource, cond string) string {
		if cond != "" {
			cond = `,"Condition":` + cond
		}
		return `{` + version + `"Statement":{"Effect":"Allow","Action":"*","Resource":"` + resource + `"` + cond + `}}`
	}
	const v2012 = `"Version":"2012-10-17",`
	tests := []struct {
		name     string
		doc      string
		resource string
		ctx      map[string][]string
		want     bool
	}{
		// "IAM policy elements: Variables and tags": ${aws:username} in the
		// resource part of an ARN is the current user's name.
		{"username", policy(v2012, "arn:aws:s3:::mybucket/${aws:username}/*", ""), "arn:aws:s3:::mybucket/David/notes.txt", ctx("aws:username", "David"), true},
		{"other user", policy(v2012, "arn:aws:s3:::mybucket/${aws:username}/*", ""), "arn:aws:s3:::mybucket/Adele/notes.txt", ctx("aws:username", "David"), false},
		{"key case", policy(v2012, "arn:aws:s3:::mybucket/${AWS:UserName}/*", ""), "arn:aws:s3:::mybucket/David/x", ctx("aws:username", "David"), true},
		{"tag variable", policy(v2012, "arn:aws:s3:::bucket/${aws:PrincipalTag/department}", ""), "arn:aws:s3:::bucket/hr", ctx("aws:PrincipalTag/department", "hr"), true},
		{"account variable", policy(v2012, "arn:aws:securityhub:*:${aws:PrincipalAccount}:hub/default", ""), "arn:aws:securityhub:us-east-1:111111111111:hub/default", ctx("aws:PrincipalAccount", "111111111111"), true},
		{"account variable other", policy(v2012, "arn:aws:securityhub:*:${aws:PrincipalAccount}:hub/default", ""), "arn:aws:securityhub:us-east-1:222222222222:hub/default", ctx("aws:PrincipalAccount", "111111111111"), false},
		// "Policy variables with no value": a resource with a variable
		// that has no value matches no resource.
		{"no value", policy(v2012, "arn:aws:s3:::mybucket/${aws:username}/*", ""), "arn:aws:s3:::mybucket//x", nil, false},
		{"no value wildcard", policy(v2012, "*${aws:username}*", ""), "arn:aws:s3:::mybucket/x", nil, false},
		// "Single-valued vs. multivalued context keys": a multivalued key
		// cannot be a variable.
		{"multivalued", policy(v2012, "arn:aws:s3:::b/${aws:TagKeys}", ""), "arn:aws:s3:::b/a", ctx("aws:TagKeys", "a", "aws:TagKeys", "b"), false},
		// "Specifying default values": the default stands in for a key
		// with no value.
		{"default used", policy(v2012, "arn:aws:s3:::bucket/${aws:userid, 'anonymous'}", ""), "arn:aws:s3:::bucket/anonymous", nil, true},
		{"default unused", policy(v2012, "arn:aws:s3:::bucket/${aws:userid, 'anonymous'}", ""), "arn:aws:s3:::bucket/AIDAEXAMPLE", ctx("aws:userid", "AIDAEXAMPLE"), true},
		{"default not matching", policy(v2012, "arn:aws:s3:::bucket/${aws:userid, 'anonymous'}", ""), "arn:aws:s3:::bucket/anonymous", ctx("aws:userid", "AIDAEXAMPLE"), false},
		// Special characters: ${*}, ${?} and ${$} are a literal *, ? and $.
		{"escaped star", policy(v2012, "arn:aws:s3:::b/a${*}b", ""), "arn:aws:s3:::b/a*b", nil, true},
		{"escaped star literal", policy(v2012, "arn:aws:s3:::b/a${*}b", ""), "arn:aws:s3:::b/axyzb", nil, false},
		{"escaped question", policy(v2012, "arn:aws:s3:::b/why${?}", ""), "arn:aws:s3:::b/why?", nil, true},
		{"escaped question literal", policy(v2012, "arn:aws:s3:::b/why${?}", ""), "arn:aws:s3:::b/whyz", nil, false},
		{"escaped dollar", policy(v2012, "arn:aws:s3:::b/${$}{x}", ""), "arn:aws:s3:::b/${x}", nil, true},
		// A value substituted for a variable is literal: a user named "*"
		// does not get every object.
		{"value is literal", policy(v2012, "arn:aws:s3:::b/${aws:username}", ""), "arn:aws:s3:::b/alice", ctx("aws:username", "*"), false},
		{"value is literal match", policy(v2012, "arn:aws:s3:::b/${aws:username}", ""), "arn:aws:s3:::b/*", ctx("aws:username", "*"), true},
		// The Version note of the policy variables page: without Version
		// 2012-10-17, ${aws:username} is a literal string.
		{"2008 literal", policy(`"Version":"2008-10-17",`, "arn:aws:s3:::b/${aws:username}", ""), "arn:aws:s3:::b/${aws:username}", ctx("aws:username", "David"), true},
		{"2008 no substitution", policy(`"Version":"2008-10-17",`, "arn:aws:s3:::b/${aws:username}", ""), "arn:aws:s3:::b/David", ctx("aws:username", "David"), false},
		{"no version literal", policy("", "arn:aws:s3:::b/${aws:username}", ""), "arn:aws:s3:::b/${aws:username}", ctx("aws:username", "David"), true},
		{"2008 condition literal", policy("", "*", `{"StringEquals":{"k":"${aws:username}"}}`), "x", ctx("k", "${aws:username}", "aws:username", "David"), true},

		// Condition element: variables in String and Arn operators' values.
		{"StringLike variable", policy(v2012, "*", `{"StringLike":{"s3:prefix":["${aws:username}/*"]}}`), "x", ctx("s3:prefix", "David/a", "aws:username", "David"), true},
		{"StringLike variable other", policy(v2012, "*", `{"StringLike":{"s3:prefix":["${aws:username}/*"]}}`), "x", ctx("s3:prefix", "Adele/a", "aws:username", "David"), false},
		{"StringEquals tags", policy(v2012, "*", `{"StringEquals":{"s3:ExistingObjectTag/Team":"${aws:PrincipalTag/Team}"}}`), "x", ctx("s3:ExistingObjectTag/Team", "red", "aws:PrincipalTag/Team", "red"), true},
		{"StringEqualsIgnoreCase variable", policy(v2012, "*", `{"StringEqualsIgnoreCase":{"k":"team-${aws:PrincipalTag/Team}"}}`), "x", ctx("k", "TEAM-RED", "aws:PrincipalTag/Team", "red"), true},
		{"ArnLike variable", policy(v2012, "*", `{"ArnLike":{"aws:SourceArn":"arn:aws:iam::${aws:PrincipalAccount}:user/${aws:username}"}}`), "x", ctx("aws:SourceArn", "arn:aws:iam::111111111111:user/David", "aws:PrincipalAccount", "111111111111", "aws:username", "David"), true},
		{"ArnLike variable other account", policy(v2012, "*", `{"ArnLike":{"aws:SourceArn":"arn:aws:iam::${aws:PrincipalAccount}:user/${aws:username}"}}`), "x", ctx("aws:SourceArn", "arn:aws:iam::222222222222:user/David", "aws:PrincipalAccount", "111111111111", "aws:username", "David"), false},
		{"ArnLike default with colon", policy(v2012, "*", `{"ArnLike":{"aws:SourceArn":"arn:aws:sns:us-east-1:111111111111:${x, 'a:b'}"}}`), "x", ctx("aws:SourceArn", "arn:aws:sns:us-east-1:111111111111:a:b"), true},
		// "Policy variables with no value": StringEquals with a variable
		// that has no value does not match, and StringNotEquals does.
		{"StringEquals no value", policy(v2012, "*", `{"StringEquals":{"s3:ExistingObjectTag/Team":"${aws:PrincipalTag/Team}"}}`), "x", ctx("s3:ExistingObjectTag/Team", "red"), false},
		{"StringNotEquals no value", policy(v2012, "*", `{"StringNotEquals":{"s3:ExistingObjectTag/Team":"${aws:PrincipalTag/Team}"}}`), "x", ctx("s3:ExistingObjectTag/Team", "red"), true},
		{"StringNotEquals value", policy(v2012, "*", `{"StringNotEquals":{"s3:ExistingObjectTag/Team":"${aws:PrincipalTag/Team}"}}`), "x", ctx("s3:ExistingObjectTag/Team", "red", "aws:PrincipalTag/Team", "red"), false},
		{"StringEqualsIgnoreCase no value", policy(v2012, "*", `{"StringEqualsIgnoreCase":{"k":"${aws:username}"}}`), "x", ctx("k", ""), false},
		{"ArnNotLike no value", policy(v2012, "*", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:sns:*:*:${aws:username}"}}`), "x", ctx("aws:SourceArn", "arn:aws:sns:us-east-1:111111111111:t"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, tt.doc)
			r := &Request{Action: "s3:GetObject", Resource: tt.resource, Context: tt.ctx}
			if got := p.Evaluate(r) == Allow; got != tt.want {
				t.Errorf("%s\nresource %q, context %v: %v, want %v", tt.doc, tt.resource, tt.ctx, got, tt.want)
			}
		})
	}

	// With no value, NotResource names no resource, so the statement
	// applies to every resource.
	p := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","NotResource":"arn:aws:s3:::b/${aws:username}/*"}}`)
	if got := p.Evaluate(&Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/x/y"}); got != Deny {
		t.Errorf("NotResource with no value: %v, want Deny", got)
	}
	if got := p.Evaluate(&Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/x/y", Context: ctx("aws:username", "x")}); got != NotApplicable {
		t.Errorf("NotResource with value: %v, want NotApplicable", got)
	}
}

func TestEvaluate(t *testing.T) {
	// "Policy evaluation logic": an explicit deny in any policy overrides
	// any allow; without an allow the request is implicitly denied.
	allowS3 := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`)
	denyDelete := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:Delete*","Resource":"*"}}`)
	allowIAM := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:*","Resource":"*"}}`)
	tests := []struct {
		action   string
		policies []*Policy
		want     Decision
	}{
		{"s3:GetObject", []*Policy{allowS3, denyDelete}, Allow},
		{"s3:DeleteBucket", []*Policy{allowS3, denyDelete}, Deny},
		{"s3:DeleteBucket", []*Policy{denyDelete, allowS3}, Deny},
		{"s3:DeleteBucket", []*Policy{denyDelete}, Deny},
		{"ec2:RunInstances", []*Policy{allowS3, denyDelete}, NotApplicable},
		{"iam:CreateUser", []*Policy{allowS3, nil, allowIAM}, Allow},
		{"iam:CreateUser", nil, NotApplicable},
	}
	for _, tt := range tests {
		r := &Request{Action: tt.action, Resource: "*"}
		if got := Evaluate(r, tt.policies...); got != tt.want {
			t.Errorf("Evaluate(%s, %d policies) = %v, want %v", tt.action, len(tt.policies), got, tt.want)
		}
	}

	// Within one policy too, in either order.
	for _, doc := range []string{
		`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"}]}`,
		`{"Statement":[{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"},{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
	} {
		p := mustParse(t, doc)
		if got := p.Evaluate(&Request{Action: "s3:DeleteBucket", Resource: "*"}); got != Deny {
			t.Errorf("%s: DeleteBucket %v, want Deny", doc, got)
		}
		if got := p.Evaluate(&Request{Action: "s3:GetObject", Resource: "*"}); got != Allow {
			t.Errorf("%s: GetObject %v, want Allow", doc, got)
		}
	}

	var nilPolicy *Policy
	if got := nilPolicy.Evaluate(&Request{}); got != NotApplicable {
		t.Errorf("nil policy: %v", got)
	}
	if got := allowS3.Evaluate(nil); got != NotApplicable {
		t.Errorf("nil request: %v", got)
	}
}

func TestDecisionString(t *testing.T) {
	for d, want := range map[Decision]string{NotApplicable: "NotApplicable", Allow: "Allow", Deny: "Deny", Decision(7): "Decision(7)"} {
		if got := d.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(d), got, want)
		}
	}
}

// policy20 is a 20-statement identity policy of Security Hub actions, as
// an account's administrator might write one.
const policy20 = `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "Read", "Effect": "Allow", "Action": ["securityhub:Get*", "securityhub:List*", "securityhub:Describe*"], "Resource": "*"},
    {"Sid": "Import", "Effect": "Allow", "Action": "securityhub:BatchImportFindings", "Resource": "arn:aws:securityhub:*:${aws:PrincipalAccount}:product/*",
     "Condition": {"Bool": {"aws:SecureTransport": "true"}, "StringEquals": {"securityhub:TargetAccount": "${aws:PrincipalAccount}"}}},
    {"Sid": "Triage", "Effect": "Allow", "Action": ["securityhub:BatchUpdateFindings", "securityhub:UpdateFindings"], "Resource": "arn:aws:securityhub:*:111111111111:hub/default"},
    {"Sid": "Insights", "Effect": "Allow", "Action": ["securityhub:CreateInsight", "securityhub:UpdateInsight", "securityhub:DeleteInsight"], "Resource": "arn:aws:securityhub:*:111111111111:insight/*"},
    {"Sid": "Actions", "Effect": "Allow", "Action": ["securityhub:CreateActionTarget", "securityhub:UpdateActionTarget", "securityhub:DeleteActionTarget"], "Resource": "*"},
    {"Sid": "Automation", "Effect": "Allow", "Action": "securityhub:*AutomationRule*", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalTag/team": ["secops", "platform"]}}},
    {"Sid": "Members", "Effect": "Allow", "Action": ["securityhub:CreateMembers", "securityhub:DeleteMembers", "securityhub:InviteMembers"], "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalTag/role": "admin"}}},
    {"Sid": "Standards", "Effect": "Allow", "Action": ["securityhub:BatchEnableStandards", "securityhub:BatchDisableStandards", "securityhub:UpdateStandardsControl"], "Resource": "*"},
    {"Sid": "Products", "Effect": "Allow", "Action": ["securityhub:EnableImportFindingsForProduct", "securityhub:DisableImportFindingsForProduct"], "Resource": "arn:aws:securityhub:*:111111111111:product-subscription/*"},
    {"Sid": "Hub", "Effect": "Allow", "Action": ["securityhub:EnableSecurityHub", "securityhub:UpdateSecurityHubConfiguration"], "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32"]}}},
    {"Sid": "Admin", "Effect": "Allow", "Action": ["securityhub:EnableOrganizationAdminAccount", "securityhub:DisableOrganizationAdminAccount"], "Resource": "*", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}},
    {"Sid": "Config", "Effect": "Allow", "Action": "securityhub:*ConfigurationPolic*", "Resource": "*"},
    {"Sid": "Tags", "Effect": "Allow", "Action": ["securityhub:TagResource", "securityhub:UntagResource"], "Resource": "*", "Condition": {"ForAllValues:StringLike": {"aws:TagKeys": ["team", "env", "owner*"]}}},
    {"Sid": "Aggregation", "Effect": "Allow", "Action": "securityhub:*FindingAggregator", "Resource": "*"},
    {"Sid": "Invitations", "Effect": "Allow", "Action": ["securityhub:AcceptAdministratorInvitation", "securityhub:DeclineInvitations"], "Resource": "*"},
    {"Sid": "Business", "Effect": "Allow", "Action": "securityhub:*", "Resource": "*", "Condition": {"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}},
    {"Sid": "NoDisable", "Effect": "Deny", "Action": ["securityhub:DisableSecurityHub", "securityhub:DeleteMembers"], "Resource": "*"},
    {"Sid": "NoPlainText", "Effect": "Deny", "Action": "securityhub:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
    {"Sid": "NoOtherAccounts", "Effect": "Deny", "Action": "securityhub:BatchImportFindings", "Resource": "*", "Condition": {"StringNotEqualsIfExists": {"securityhub:TargetAccount": ["111111111111", "222222222222"]}}},
    {"Sid": "NoExternal", "Effect": "Deny", "Action": "securityhub:*", "Resource": "*", "Condition": {"NotIpAddress": {"aws:SourceIp": ["203.0.113.0/24", "198.51.100.0/24", "2001:db8::/32"]}}}
  ]
}`

func importRequest() *Request {
	p := Principal{Account: "111111111111", ARN: "arn:aws:iam::111111111111:user/importer"}
	c := NewContext(p, time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	c["aws:SecureTransport"] = []string{"true"}
	c["aws:SourceIp"] = []string{"203.0.113.10"}
	c["securityhub:TargetAccount"] = []string{"111111111111"}
	return &Request{
		Principal: p,
		Action:    "securityhub:BatchImportFindings",
		Resource:  "arn:aws:securityhub:us-east-1:111111111111:product/111111111111/default",
		Context:   c,
	}
}

func TestPolicy20(t *testing.T) {
	p := mustParse(t, policy20)
	if n := len(p.stmts); n != 20 {
		t.Fatalf("%d statements, want 20", n)
	}
	with := func(f func(r *Request)) *Request { r := importRequest(); f(r); return r }
	tests := []struct {
		name string
		r    *Request
		want Decision
	}{
		{"import", importRequest(), Allow},
		{"import plain text", with(func(r *Request) { r.Context["aws:SecureTransport"] = []string{"false"} }), Deny},
		{"import other target", with(func(r *Request) { r.Context["securityhub:TargetAccount"] = []string{"333333333333"} }), Deny},
		{"import partner target", with(func(r *Request) { r.Context["securityhub:TargetAccount"] = []string{"222222222222"} }), NotApplicable},
		{"import other product account", with(func(r *Request) {
			r.Resource = "arn:aws:securityhub:us-east-1:222222222222:product/222222222222/default"
		}), NotApplicable},
		{"import from outside", with(func(r *Request) { r.Context["aws:SourceIp"] = []string{"192.0.2.1"} }), Deny},
		{"import without source ip", with(func(r *Request) { delete(r.Context, "aws:SourceIp") }), Deny},
		{"read", with(func(r *Request) { r.Action = "securityhub:GetFindings"; r.Resource = "*" }), Allow},
		{"triage", with(func(r *Request) {
			r.Action = "securityhub:BatchUpdateFindings"
			r.Resource = "arn:aws:securityhub:eu-west-1:111111111111:hub/default"
		}), Allow},
		{"disable", with(func(r *Request) { r.Action = "securityhub:DisableSecurityHub"; r.Resource = "*" }), Deny},
		{"members not admin", with(func(r *Request) { r.Action = "securityhub:InviteMembers"; r.Resource = "*" }), NotApplicable},
		{"members admin", with(func(r *Request) {
			r.Action = "securityhub:InviteMembers"
			r.Resource = "*"
			r.Context["aws:PrincipalTag/role"] = []string{"admin"}
		}), Allow},
		{"tags", with(func(r *Request) {
			r.Action = "securityhub:TagResource"
			r.Context["aws:TagKeys"] = []string{"team", "owner-email"}
		}), Allow},
		{"tags unlisted", with(func(r *Request) {
			r.Action = "securityhub:TagResource"
			r.Context["aws:TagKeys"] = []string{"team", "cost"}
		}), NotApplicable},
		{"other service", with(func(r *Request) { r.Action = "s3:GetObject" }), NotApplicable},
	}
	for _, tt := range tests {
		if got := p.Evaluate(tt.r); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestEvaluateAllocations(t *testing.T) {
	p := mustParse(t, policy20)
	r := importRequest()
	if n := testing.AllocsPerRun(100, func() { p.Evaluate(r) }); n != 0 {
		t.Errorf("Evaluate allocates %v times, want 0", n)
	}
}

func BenchmarkEvaluate20Statements(b *testing.B) {
	p := mustParse(b, policy20)
	r := importRequest()
	if d := p.Evaluate(r); d != Allow {
		b.Fatalf("Evaluate = %v, want Allow", d)
	}
	b.ReportAllocs()
	for b.Loop() {
		p.Evaluate(r)
	}
}

func TestNewContext(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 30, 0, 0, time.FixedZone("CET", 3600))
	tests := []struct {
		name string
		p    Principal
		want map[string]string
	}{
		{"user", Principal{Account: "111111111111", ARN: "arn:aws:iam::111111111111:user/dev/alice", UserID: "AIDAEXAMPLE"}, map[string]string{
			"aws:PrincipalAccount": "111111111111", "aws:PrincipalArn": "arn:aws:iam::111111111111:user/dev/alice",
			"aws:PrincipalType": "User", "aws:username": "alice", "aws:userid": "AIDAEXAMPLE"}},
		{"root", Principal{Account: "111111111111", ARN: "arn:aws:iam::111111111111:root"}, map[string]string{
			"aws:PrincipalAccount": "111111111111", "aws:PrincipalArn": "arn:aws:iam::111111111111:root",
			"aws:PrincipalType": "Account", "aws:userid": "111111111111"}},
		{"role session", Principal{Account: "111111111111", ARN: "arn:aws:sts::111111111111:assumed-role/Importer/s1", RoleARN: "arn:aws:iam::111111111111:role/ci/Importer", UserID: "AROAEXAMPLE:s1"}, map[string]string{
			"aws:PrincipalAccount": "111111111111", "aws:PrincipalArn": "arn:aws:iam::111111111111:role/ci/Importer",
			"aws:PrincipalType": "AssumedRole", "aws:userid": "AROAEXAMPLE:s1"}},
		{"federated user", Principal{ARN: "arn:aws:sts::111111111111:federated-user/carol"}, map[string]string{
			"aws:PrincipalAccount": "111111111111", "aws:PrincipalArn": "arn:aws:sts::111111111111:federated-user/carol",
			"aws:PrincipalType": "FederatedUser"}},
		{"service", Principal{Service: "securityhub.amazonaws.com"}, map[string]string{
			"aws:PrincipalServiceName": "securityhub.amazonaws.com"}},
		{"anonymous", Principal{}, map[string]string{"aws:PrincipalType": "Anonymous"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NewContext(tt.p, at)
			want := map[string]string{"aws:CurrentTime": "2026-03-01T11:30:00Z", "aws:EpochTime": "1772364600"}
			for k, v := range tt.want {
				want[k] = v
			}
			if len(got) != len(want) {
				t.Errorf("NewContext(%+v) = %v, want %v", tt.p, got, want)
			}
			for k, v := range want {
				if g := got[k]; len(g) != 1 || g[0] != v {
					t.Errorf("%s = %q, want %q", k, g, v)
				}
			}
		})
	}

	// The context works with the Date operators.
	p := mustParse(t, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{
		"DateLessThan":{"aws:CurrentTime":"2026-03-01T12:00:00Z"},
		"DateGreaterThan":{"aws:EpochTime":"2026-03-01T11:00:00Z"}}}}`)
	if got := p.Evaluate(&Request{Action: "s3:GetObject", Resource: "*", Context: NewContext(Principal{}, at)}); got != Allow {
		t.Errorf("time conditions on NewContext: %v, want Allow", got)
	}
}

func TestMatchTokensLinear(t *testing.T) {
	// A pattern of many stars against a long non-matching string must not
	// take exponential time.
	p := mustParse(t, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"`+strings.Repeat("*a", 50)+`b"}}`)
	start := time.Now()
	if got := p.Evaluate(&Request{Action: "s3:GetObject", Resource: strings.Repeat("a", 5000)}); got != NotApplicable {
		t.Errorf("got %v", got)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}
