package config

import (
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	c, err := Parse("m.yaml", []byte(`
accounts:
  "111111111111":
    users:
      alice:
        access_keys: [{id: AKIAALICE0000000001, secret: alice-secret}]
`))
	if err != nil {
		t.Fatal(err)
	}
	k, err := c.Key("AKIAALICE0000000001")
	if err != nil || k.Account != "111111111111" || k.User != "alice" || k.Secret != "alice-secret" || k.ARN() != "arn:aws:iam::111111111111:user/alice" {
		t.Fatalf("key = %+v, %v", k, err)
	}
	if _, err := c.Key("AKIAOTHER0000000001"); err != ErrUnknownKey {
		t.Fatalf("unknown key: %v", err)
	}
	for _, empty := range []string{"", "accounts: {}\n"} {
		if _, err := Parse("empty.yaml", []byte(empty)); err == nil || !strings.Contains(err.Error(), "no accounts are configured") {
			t.Fatalf("empty config %q: %v", empty, err)
		}
	}
}

func TestParseErrorsNameFileAndLine(t *testing.T) {
	cases := []struct{ name, yaml, want string }{
		{"short account", "accounts:\n  \"12345\": {}\n", "bad.yaml:2: account \"12345\""},
		{"lower-case key id", "accounts:\n  \"111111111111\":\n    users:\n      bob:\n        access_keys: [{id: akia, secret: s}]\n", "bad.yaml:4: user bob: access key id"},
		{"no secret", "accounts:\n  \"111111111111\":\n    users:\n      bob:\n        access_keys: [{id: AKIABOB00000000001}]\n", "has no secret"},
		{"duplicate key", "accounts:\n  \"111111111111\":\n    users:\n      a:\n        access_keys: [{id: AKIADUP00000000001, secret: s}]\n  \"222222222222\":\n    users:\n      b:\n        access_keys: [{id: AKIADUP00000000001, secret: s}]\n", "configured twice"},
		{"empty key entry", "accounts:\n  \"111111111111\":\n    users:\n      bob:\n        access_keys:\n          -\n", "bad.yaml:4: user bob: an access key entry is empty"},
		{"unknown field", "accounts: {\"111111111111\": {}}\nacounts: {}\n", "bad.yaml: yaml: unmarshal errors:\n  line 2: field acounts not found"},
		{"not YAML", "accounts: [\n", "bad.yaml: yaml:"},
	}
	for _, c := range cases {
		_, err := Parse("bad.yaml", []byte(c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
}

func TestRetention(t *testing.T) {
	c, err := Parse("m.yaml", []byte("retention: 60d\narchived_retention: 36h\naccounts:\n  \"111111111111\": {}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if time.Duration(c.Retention) != 60*24*time.Hour || time.Duration(c.ArchivedRetention) != 36*time.Hour {
		t.Errorf("retention %v archived %v", c.Retention, c.ArchivedRetention)
	}
	for _, bad := range []string{"retention: 1.5d", "retention: -3d", "retention: soon"} {
		if _, err := Parse("m.yaml", []byte(bad+"\naccounts:\n  \"111111111111\": {}\n")); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("%s: got %v, want an error naming line 1", bad, err)
		}
	}
}

func TestRolesPoliciesProducts(t *testing.T) {
	c, err := Parse("m.yaml", []byte(`
regions: [us-west-2]
accounts:
  "111111111111":
    users:
      alice:
        access_keys: [{id: AKIAALICE0000000001, secret: s}]
        policies:
          - {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "securityhub:*", Resource: "*"}]}
          - '{"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "securityhub:Delete*", "Resource": "*"}}'
    roles:
      Import:
        trust: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {AWS: "222222222222"}, Action: "sts:AssumeRole"}]}
        max_session: 12h
products:
  - company: {id: threatslayer, name: ThreatSlayer}
    product: {id: threatslayer-pro, name: ThreatSlayer Pro}
    home_account: "222222222222"
    import_policies: [BATCH_IMPORT_FINDINGS_FROM_PRODUCT_ACCOUNT]
`))
	if err != nil {
		t.Fatal(err)
	}
	k, _ := c.Key("AKIAALICE0000000001")
	if len(k.Policies) != 2 {
		t.Fatalf("alice has %d policies", len(k.Policies))
	}
	r := c.Role("arn:aws:iam::111111111111:role/Import")
	if r == nil || r.TrustIAM == nil || r.Account != "111111111111" || r.Name != "Import" || time.Duration(r.MaxSession) != 12*time.Hour {
		t.Fatalf("role = %+v", r)
	}
	if !c.Serves("us-west-2") || c.Serves("us-east-1") {
		t.Fatalf("regions = %v", c.Regions)
	}
	p, err := c.Products[0].Product()
	if err != nil || p.ARN("us-west-2") != "arn:aws:securityhub:us-west-2:222222222222:product/threatslayer/threatslayer-pro" {
		t.Fatalf("product = %+v, %v", p, err)
	}
	if d, _ := Parse("d.yaml", []byte("accounts: {\"111111111111\": {}}\n")); len(d.Regions) != len(DefaultRegions) {
		t.Fatalf("default regions: %v", d.Regions)
	}
}

func TestPolicyErrorsNameFileAndLine(t *testing.T) {
	cases := []struct{ name, yaml, want string }{
		{"bad effect", "accounts:\n  \"111111111111\":\n    users:\n      bob:\n        policies:\n          - {Version: \"2012-10-17\", Statement: [{Effect: Permit, Action: \"*\", Resource: \"*\"}]}\n", "bad.yaml:4: user bob: policy 1 (line 6): Statement"},
		{"bad JSON string", "accounts:\n  \"111111111111\":\n    users:\n      bob:\n        policies: ['{\"Version\": ']\n", "bad.yaml:4: user bob: policy 1 (line 5)"},
		{"unknown operator", "accounts:\n  \"111111111111\":\n    roles:\n      R:\n        trust: {Version: \"2012-10-17\", Statement: [{Effect: Allow, Principal: \"*\", Action: \"sts:AssumeRole\", Condition: {StringEqual: {\"sts:ExternalId\": x}}}]}\n", "bad.yaml:5: role R: trust policy: Statement[0].Condition"},
		{"role without trust", "accounts:\n  \"111111111111\":\n    roles:\n      R: {}\n", "bad.yaml:4: role R: a role needs a trust policy"},
		{"long session", "accounts:\n  \"111111111111\":\n    roles:\n      R:\n        trust: {Version: \"2012-10-17\", Statement: [{Effect: Allow, Principal: \"*\", Action: \"sts:AssumeRole\"}]}\n        max_session: 13h\n", "max_session"},
		{"bad region", "regions: [us-east]\naccounts: {\"111111111111\": {}}\n", "bad.yaml:1: region \"us-east\""},
		{"bad manifest", "accounts: {\"111111111111\": {}}\nproducts:\n  - company: {id: ok-company, name: C}\n    product: {id: ok-product, name: P}\n    home_account: \"222222222222\"\n  - company: {id: Bad, name: C}\n    product: {id: ok-product, name: P}\n    home_account: \"222222222222\"\n", "bad.yaml:6: products[1]: company id \"Bad\""},
		{"bad import policy", "accounts: {\"111111111111\": {}}\nproducts:\n  - company: {id: ok-company, name: C}\n    product: {id: ok-product, name: P}\n    home_account: \"222222222222\"\n    import_policies: [FROM_ANYWHERE]\n", "import policy \"FROM_ANYWHERE\""},
	}
	for _, c := range cases {
		_, err := Parse("bad.yaml", []byte(c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
}
