package iam

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func mustParse(t testing.TB, doc string) *Policy {
	t.Helper()
	p, err := Parse([]byte(doc))
	if err != nil {
		t.Fatalf("Parse(%s): %v", doc, err)
	}
	return p
}

func TestParseGood(t *testing.T) {
	// The forms of "Grammar of the IAM JSON policy language": Statement as
	// one object or an array, lists or single strings, blocks in any order,
	// numbers and booleans as condition values, optional Version, Id and Sid,
	// and trust policies without Resource.
	tests := []struct {
		name string
		doc  string
	}{
		{"statement object", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`},
		{"statement array", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}]}`},
		{"no version", `{"Statement":{"Effect":"Deny","NotAction":"iam:*","NotResource":"arn:aws:iam::*:user/x"}}`},
		{"version 2008", `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`},
		{"id and sid", `{"Id":"cd3ad3d9-2776-4ef1-a904-4c229d1642ee","Statement":[{"Sid":"1","Effect":"Allow","Action":"*","Resource":"*"}]}`},
		{"any order", `{"Statement":[{"Resource":"*","Action":"*","Effect":"Allow","Sid":"Any"}],"Version":"2012-10-17"}`},
		{"action wildcard", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`},
		{"empty condition", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{}}}`},
		{"number and bool values", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericLessThanEquals":{"s3:max-keys":10},"Bool":{"aws:SecureTransport":true},"StringEquals":{"k":[1,"a",false]}}}}`},
		{"operators case-insensitive", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"stringequals":{"k":"v"},"forallvalues:STRINGLIKEIFEXISTS":{"k":"v"}}}}`},
		{"every operator", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{
			"StringEquals":{"k":"v"},"StringNotEquals":{"k":"v"},"StringEqualsIgnoreCase":{"k":"v"},"StringNotEqualsIgnoreCase":{"k":"v"},
			"StringLike":{"k":"v*"},"StringNotLike":{"k":"v?"},
			"NumericEquals":{"k":"1"},"NumericNotEquals":{"k":"-1.5"},"NumericLessThan":{"k":"1e3"},"NumericLessThanEquals":{"k":".5"},"NumericGreaterThan":{"k":"+2"},"NumericGreaterThanEquals":{"k":"0"},
			"DateEquals":{"k":"2020-01-01T00:00:00Z"},"DateNotEquals":{"k":"1577836800"},"DateLessThan":{"k":"2020-01-01"},"DateLessThanEquals":{"k":"2020-01-01T00:00+02:00"},"DateGreaterThan":{"k":"2020-01-01T00:00:00.123Z"},"DateGreaterThanEquals":{"k":"2020-01-01T00:00:00"},
			"Bool":{"k":"TRUE"},"BinaryEquals":{"k":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="},
			"IpAddress":{"k":["203.0.113.0/24","2001:DB8:1234:5678::/64","203.0.113.5"]},"NotIpAddress":{"k":"::1"},
			"ArnEquals":{"k":"arn:aws:sns:us-east-1:123456789012:topic"},"ArnLike":{"k":"arn:aws:*:*:*:*"},"ArnNotEquals":{"k":"arn:aws:s3:::b"},"ArnNotLike":{"k":"arn:aws:s3:::b/*"},
			"Null":{"k":"true"},
			"StringEqualsIfExists":{"k":"v"},"ArnNotLikeIfExists":{"k":"arn:aws:s3:::b"},"ForAnyValue:StringLike":{"k":"v"},"ForAllValues:NumericLessThan":{"k":"3"}}}}`},
		{"trust policy without resource", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}}`},
		{"principal forms", `{"Statement":[
			{"Effect":"Allow","Principal":"*","Action":"*"},
			{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"*"},
			{"Effect":"Allow","Principal":{"AWS":["123456789012","arn:aws:iam::123456789012:root","arn:aws:iam::123456789012:user/path/alice","arn:aws:iam::123456789012:role/R","arn:aws:sts::123456789012:assumed-role/R/s","arn:aws:sts::123456789012:federated-user/bob"]},"Action":"*"},
			{"Effect":"Allow","Principal":{"Service":["ecs.amazonaws.com","elasticloadbalancing.amazonaws.com"]},"Action":"*"},
			{"Effect":"Allow","Principal":{"Federated":"accounts.google.com"},"Action":"sts:AssumeRoleWithWebIdentity"},
			{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::444455556666:user/Bob","arn:aws:iam::444455556666:root"]},"Action":"s3:*","Resource":"*"}]}`},
		{"variables", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/${*}${?}${$}${aws:userid, 'anonymous'}","Condition":{"StringLike":{"s3:prefix":"${aws:username}/*"},"ArnLike":{"k":"arn:aws:iam::${aws:PrincipalAccount}:user/${aws:username}"}}}}`},
		{"2008 leaves ${ alone", `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username","Condition":{"ArnLike":{"k":"arn:aws:s3:::${x"}}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mustParse(t, tt.doc)
		})
	}
}

func TestParseErrors(t *testing.T) {
	// Each error names the element at fault.
	stmt := func(s string) string { return `{"Version":"2012-10-17","Statement":[` + s + `]}` }
	cond := func(c string) string {
		return stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":` + c + `}`)
	}
	tests := []struct {
		name string
		doc  string
		want string // the whole message, or a prefix ending in "…"
	}{
		{"not json", `{"Statement":`, "invalid JSON…"},
		{"bad json", `{"Statement" 1}`, "invalid JSON…"},
		{"trailing data", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}} {}`, "invalid JSON: data after the policy document"},
		{"not an object", `[]`, "a policy must be a JSON object, not an array"},
		{"no statement", `{"Version":"2012-10-17"}`, "missing Statement"},
		{"unknown version", `{"Version":"2013-01-01","Statement":[]}`, `Version: unsupported version "2013-01-01" (want "2012-10-17" or "2008-10-17")`},
		{"version type", `{"Version":20121017,"Statement":[]}`, "Version: must be a string, not a number"},
		{"id type", `{"Id":1,"Statement":[]}`, "Id: must be a string, not a number"},
		{"unknown element", `{"Statment":[]}`, `unknown element "Statment"`},
		{"duplicate element", `{"Statement":{"Effect":"Allow","Effect":"Deny","Action":"*","Resource":"*"}}`, `Statement: duplicate element "Effect"`},
		{"empty statements", `{"Statement":[]}`, "Statement: has no statements"},
		{"statement type", `{"Statement":"Allow"}`, "Statement: must be an object or an array of objects, not a string"},
		{"statement element type", stmt(`"x"`), "Statement[0]: a statement must be an object, not a string"},
		{"unknown statement element", stmt(`{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Allow","Actions":"*","Resource":"*"}`), `Statement[1]: unknown element "Actions"`},
		{"sid type", stmt(`{"Sid":1,"Effect":"Allow","Action":"*","Resource":"*"}`), "Statement[0].Sid: must be a string, not a number"},
		{"missing effect", stmt(`{"Action":"*","Resource":"*"}`), "Statement[0]: missing Effect"},
		{"bad effect", stmt(`{"Effect":"allow","Action":"*","Resource":"*"}`), `Statement[0].Effect: must be "Allow" or "Deny"`},
		{"missing action", stmt(`{"Effect":"Allow","Resource":"*"}`), "Statement[0]: missing Action or NotAction"},
		{"action and notaction", stmt(`{"Effect":"Allow","Action":"*","NotAction":"s3:*","Resource":"*"}`), "Statement[0]: has both Action and NotAction"},
		{"empty action list", stmt(`{"Effect":"Allow","Action":[],"Resource":"*"}`), "Statement[0].Action: is an empty list"},
		{"action type", stmt(`{"Effect":"Allow","Action":5,"Resource":"*"}`), "Statement[0].Action: must be a string or an array of strings, not a number"},
		{"action item type", stmt(`{"Effect":"Allow","Action":["s3:Get*",true],"Resource":"*"}`), "Statement[0].Action: must be a string or an array of strings; has a boolean"},
		{"action form", stmt(`{"Effect":"Allow","NotAction":"GetObject","Resource":"*"}`), `Statement[0].NotAction: "GetObject" is not of the form service:action`},
		{"action without name", stmt(`{"Effect":"Allow","Action":"s3:","Resource":"*"}`), `Statement[0].Action: "s3:" is not of the form service:action`},
		{"missing resource", stmt(`{"Effect":"Allow","Action":"*"}`), "Statement[0]: missing Resource or NotResource"},
		{"resource and notresource", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"*"}`), "Statement[0]: has both Resource and NotResource"},
		{"empty resource", stmt(`{"Effect":"Allow","Action":"*","Resource":""}`), "Statement[0].Resource: empty resource"},
		{"empty resource list", stmt(`{"Effect":"Allow","Action":"*","NotResource":[]}`), "Statement[0].NotResource: is an empty list"},
		{"unclosed variable", stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${aws:username"}`), `Statement[0].Resource: policy variable without a closing brace in "arn:aws:s3:::b/${aws:username"`},
		{"empty variable", stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${}"}`), `Statement[0].Resource: empty policy variable in "arn:aws:s3:::b/${}"`},
		{"unquoted default", stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${aws:userid, anonymous}"}`), "Statement[0].Resource: policy variable default must be quoted with ' in…"},
		{"unclosed default", stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${aws:userid, 'anonymous}"}`), "Statement[0].Resource: policy variable default without a closing quote…"},

		{"condition type", cond(`[]`), "Statement[0].Condition: must be an object of condition operators, not an array"},
		{"unknown operator", stmt(`{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqual":{"aws:username":"bob"}}}`), `Statement[1].Condition: unknown operator "StringEqual"`},
		{"unknown set operator", cond(`{"ForEachValue:StringEquals":{"k":"v"}}`), `Statement[0].Condition: unknown operator "ForEachValue:StringEquals"`},
		{"null if exists", cond(`{"NullIfExists":{"k":"true"}}`), `Statement[0].Condition: unknown operator "NullIfExists": Null takes neither IfExists nor a set operator`},
		{"set null", cond(`{"ForAllValues:Null":{"k":"true"}}`), `Statement[0].Condition: unknown operator "ForAllValues:Null"…`},
		{"operator value type", cond(`{"StringEquals":"v"}`), "Statement[0].Condition.StringEquals: must be an object of condition keys, not a string"},
		{"no keys", cond(`{"StringEquals":{}}`), "Statement[0].Condition.StringEquals: has no condition keys"},
		{"empty key", cond(`{"StringEquals":{"":"v"}}`), "Statement[0].Condition.StringEquals: empty condition key"},
		{"no values", cond(`{"StringEquals":{"k":[]}}`), "Statement[0].Condition.StringEquals.k: has no values"},
		{"value object", cond(`{"StringEquals":{"k":{"a":"b"}}}`), "Statement[0].Condition.StringEquals.k: must be a value or an array of values, not an object"},
		{"value null", cond(`{"StringEquals":{"k":null}}`), "Statement[0].Condition.StringEquals.k: must be a value or an array of values, not null"},
		{"value in list", cond(`{"StringEquals":{"k":["a",["b"]]}}`), "Statement[0].Condition.StringEquals.k: a condition value must be a string, a number or a boolean, not an array"},
		{"bad number", cond(`{"NumericLessThan":{"s3:max-keys":"ten"}}`), `Statement[0].Condition.NumericLessThan.s3:max-keys: invalid number "ten"`},
		{"NaN", cond(`{"NumericEquals":{"k":"NaN"}}`), `Statement[0].Condition.NumericEquals.k: invalid number "NaN"`},
		{"hex number", cond(`{"NumericEquals":{"k":"0x10"}}`), `Statement[0].Condition.NumericEquals.k: invalid number "0x10"`},
		{"variable in number", cond(`{"NumericEquals":{"k":"${aws:EpochTime}"}}`), `Statement[0].Condition.NumericEquals.k: invalid number "${aws:EpochTime}"`},
		{"bad date", cond(`{"DateGreaterThan":{"aws:CurrentTime":"yesterday"}}`), `Statement[0].Condition.DateGreaterThan.aws:CurrentTime: invalid date "yesterday"…`},
		{"bad date month", cond(`{"DateLessThan":{"aws:CurrentTime":"2020-13-01T00:00:00Z"}}`), `Statement[0].Condition.DateLessThan.aws:CurrentTime: invalid date "2020-13-01T00:00:00Z"…`},
		{"bad bool", cond(`{"Bool":{"aws:SecureTransport":"yes"}}`), `Statement[0].Condition.Bool.aws:SecureTransport: invalid boolean "yes": want "true" or "false"`},
		{"bad null", cond(`{"Null":{"aws:TokenIssueTime":"maybe"}}`), `Statement[0].Condition.Null.aws:TokenIssueTime: invalid boolean "maybe"…`},
		{"bad base64", cond(`{"BinaryEquals":{"k":"!!"}}`), `Statement[0].Condition.BinaryEquals.k: invalid base64 "!!"`},
		{"bad ip", cond(`{"IpAddress":{"aws:SourceIp":"300.1.1.1"}}`), `Statement[0].Condition.IpAddress.aws:SourceIp: invalid IP address or CIDR block "300.1.1.1"`},
		{"bad cidr", cond(`{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","10.0.0.0/33"]}}`), `Statement[0].Condition.NotIpAddress.aws:SourceIp: invalid IP address or CIDR block "10.0.0.0/33"`},
		{"bad arn", cond(`{"ArnLike":{"aws:SourceArn":"arn:aws:s3"}}`), `Statement[0].Condition.ArnLike.aws:SourceArn: "arn:aws:s3" is not an ARN (arn:partition:service:region:account-id:resource)`},
		{"bad variable in condition", cond(`{"StringLike":{"s3:prefix":"${aws:username/*"}}`), `Statement[0].Condition.StringLike.s3:prefix: policy variable without a closing brace…`},

		{"principal string", stmt(`{"Effect":"Allow","Principal":"123456789012","Action":"*"}`), `Statement[0].Principal: must be "*" or an object such as {"AWS": "123456789012"}`},
		{"principal type", stmt(`{"Effect":"Allow","Principal":["*"],"Action":"*"}`), `Statement[0].Principal: must be "*" or an object such as {"AWS": "123456789012"}, not an array`},
		{"empty principal", stmt(`{"Effect":"Allow","Principal":{},"Action":"*"}`), "Statement[0].Principal: names no principal"},
		{"principal and notprincipal", stmt(`{"Effect":"Deny","Principal":"*","NotPrincipal":{"AWS":"123456789012"},"Action":"*"}`), "Statement[0]: has both Principal and NotPrincipal"},
		{"canonical user", stmt(`{"Effect":"Allow","Principal":{"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},"Action":"*"}`), `Statement[0].Principal: unknown principal type "CanonicalUser" (want AWS, Service or Federated)`},
		{"short account", stmt(`{"Effect":"Allow","Principal":{"AWS":"12345"},"Action":"*"}`), `Statement[0].Principal.AWS: "12345" is not an account id or the ARN of an account, user, role, role session or federated user`},
		{"group principal", stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:group/admins"},"Action":"*"}`), `Statement[0].Principal.AWS: "arn:aws:iam::123456789012:group/admins" is not an account id…`},
		{"wildcard principal", stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/*"},"Action":"*"}`), `Statement[0].Principal.AWS: invalid principal "arn:aws:iam::123456789012:user/*": wildcards cannot name part of a principal`},
		{"wildcard session", stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:sts::123456789012:assumed-role/R/*"},"Action":"*"}`), `Statement[0].Principal.AWS: invalid principal…`},
		{"wildcard service", stmt(`{"Effect":"Allow","Principal":{"Service":"*.amazonaws.com"},"Action":"*"}`), `Statement[0].Principal.Service: invalid principal "*.amazonaws.com"…`},
		{"principal list type", stmt(`{"Effect":"Allow","Principal":{"AWS":[]},"Action":"*"}`), "Statement[0].Principal.AWS: is an empty list"},
		{"mixed principals", stmt(`{"Effect":"Allow","Principal":"*","Action":"*"},{"Effect":"Allow","Action":"*","Resource":"*"}`), "Statement[1]: missing Principal, which earlier statements have"},
		{"mixed principals reversed", stmt(`{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Allow","Principal":"*","Action":"*"}`), "Statement[1]: names a principal, but earlier statements do not"},
		{"too deep", cond(`{"StringEquals":{"k":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}}`), "Statement[0].Condition.StringEquals.k[0]…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.doc))
			if err == nil {
				t.Fatalf("Parse(%s) = %v, want error %q", tt.doc, p, tt.want)
			}
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("Parse(%s) error %T, want *Error", tt.doc, err)
			}
			if prefix, ok := strings.CutSuffix(tt.want, "…"); ok {
				if !strings.HasPrefix(err.Error(), prefix) {
					t.Errorf("Parse(%s)\nerror %q\nwant  %q", tt.doc, err, tt.want)
				}
			} else if err.Error() != tt.want {
				t.Errorf("Parse(%s)\nerror %q\nwant  %q", tt.doc, err, tt.want)
			}
			if perr.Offset < 0 || perr.Offset > int64(len(tt.doc)) {
				t.Errorf("Offset %d out of the document", perr.Offset)
			}
		})
	}
}

func TestParseErrorOffset(t *testing.T) {
	// A config loader turns Offset into a line number.
	doc := `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "securityhub:*",
      "Resource": "*",
      "Condition": {
        "NumericLessThan": {
          "securityhub:Count":
            "ten"
        }
      }
    }
  ]
}`
	_, err := Parse([]byte(doc))
	var perr *Error
	if !errors.As(err, &perr) {
		t.Fatalf("Parse: %v, want *Error", err)
	}
	if got := doc[perr.Offset:]; !strings.HasPrefix(got, `"ten"`) {
		t.Errorf("Offset %d points at %.10q, want the value", perr.Offset, got)
	}
	if line := 1 + strings.Count(doc[:perr.Offset], "\n"); line != 11 {
		t.Errorf("line %d, want 11", line)
	}

	doc = "{\n  \"Statement\": {\n    \"Effect\": \"Allow\",\n    \"Bogus\": 1\n  }\n}"
	_, err = Parse([]byte(doc))
	if want := int64(strings.Index(doc, `"Bogus"`)); !errors.As(err, &perr) || perr.Offset != want {
		t.Errorf("unknown element: %v at %d, want offset %d (the key)", err, perr.Offset, want)
	}
}

func TestJSON(t *testing.T) {
	doc := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": {\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"}\n}\n"
	p := mustParse(t, doc)
	want := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`
	if got := string(p.JSON()); got != want {
		t.Errorf("JSON() = %s, want %s", got, want)
	}
	p.JSON()[0] = 'x'
	if got := string(p.JSON()); got != want {
		t.Errorf("JSON() after modifying a returned copy = %s", got)
	}

	// A Policy can be a field of a struct read from and written as JSON.
	var cfg struct {
		Policy *Policy `json:"policy"`
	}
	if err := json.Unmarshal([]byte(`{"policy": `+doc+`}`), &cfg); err != nil {
		t.Fatal(err)
	}
	if d := cfg.Policy.Evaluate(&Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b"}); d != Allow {
		t.Errorf("decoded policy: %v, want Allow", d)
	}
	out, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, []byte(`{"policy":`+want+`}`)) {
		t.Errorf("Marshal = %s", out)
	}
	err = json.Unmarshal([]byte(`{"policy": {"Statement": []}}`), &cfg)
	if err == nil || !strings.Contains(err.Error(), "Statement: has no statements") {
		t.Errorf("Unmarshal of a bad policy: %v", err)
	}
}

func TestHasPrincipal(t *testing.T) {
	identity := mustParse(t, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`)
	trust := mustParse(t, `{"Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}`)
	if identity.HasPrincipal() || !trust.HasPrincipal() {
		t.Errorf("HasPrincipal: identity %v, trust %v", identity.HasPrincipal(), trust.HasPrincipal())
	}
}
