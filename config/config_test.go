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
