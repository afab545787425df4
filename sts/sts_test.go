package sts_test

import (
	"strings"
	"testing"
	"time"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/iam"
	"github.com/muster-hub/muster/sts"
)

func TestSealer(t *testing.T) {
	s := sts.NewSealer([]byte("key"))
	now := time.Now()
	sess := &sts.Session{Account: "111111111111", RoleName: "R", SessionName: "s", Expires: now.Add(time.Hour)}
	c := s.Issue(sess)
	if !strings.HasPrefix(c.AccessKeyID, "ASIA") || len(c.AccessKeyID) != 20 || len(c.SecretAccessKey) != 40 {
		t.Fatalf("credentials %+v", c)
	}
	got, err := s.Open(c.AccessKeyID, c.SessionToken, now)
	if err != nil || got.ARN() != "arn:aws:sts::111111111111:assumed-role/R/s" || got.Secret != c.SecretAccessKey {
		t.Fatalf("Open: %+v %v", got, err)
	}
	other := s.Issue(&sts.Session{Account: "111111111111", RoleName: "R", SessionName: "t", Expires: now.Add(time.Hour)})
	for name, tc := range map[string]struct{ key, token, code string }{
		"another key's token": {c.AccessKeyID, other.SessionToken, muster.UnrecognizedClient},
		"tampered":            {c.AccessKeyID, c.SessionToken[:len(c.SessionToken)-4] + "AAAA", muster.UnrecognizedClient},
		"no token":            {c.AccessKeyID, "", muster.UnrecognizedClient},
		"another server":      {c.AccessKeyID, sts.NewSealer([]byte("other")).Issue(sess).SessionToken, muster.UnrecognizedClient},
	} {
		if _, err := s.Open(tc.key, tc.token, now); muster.ErrorCode(err) != tc.code {
			t.Errorf("%s: %v, want %s", name, err, tc.code)
		}
	}
	if _, err := s.Open(c.AccessKeyID, c.SessionToken, now.Add(time.Hour)); muster.ErrorCode(err) != muster.ExpiredToken {
		t.Errorf("expired: %v", err)
	}
}

func TestAssumeRole(t *testing.T) {
	trust, err := iam.Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"ext-1"}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	allow, _ := iam.Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`))
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	svc := &sts.Service{
		Roles: func(arn string) *sts.Role {
			if arn == "arn:aws:iam::111111111111:role/R" {
				return &sts.Role{Account: "111111111111", Name: "R", Trust: trust, MaxSession: 2 * time.Hour}
			}
			return nil
		},
		Sealer: sts.NewSealer([]byte("k")),
		Now:    func() time.Time { return now },
	}
	partner := sts.Caller{Principal: iam.Principal{Account: "222222222222", ARN: "arn:aws:iam::222222222222:user/p"}, Policies: []*iam.Policy{allow}}
	ok := sts.AssumeRoleInput{RoleArn: "arn:aws:iam::111111111111:role/R", RoleSessionName: "s1", ExternalId: "ext-1", DurationSeconds: 7200}
	out, err := svc.AssumeRole(partner, ok)
	if err != nil || !out.Credentials.Expiration.Equal(now.Add(2*time.Hour)) || out.Session.ARN() != "arn:aws:sts::111111111111:assumed-role/R/s1" {
		t.Fatalf("AssumeRole: %+v %v", out, err)
	}
	noPolicy := partner
	noPolicy.Policies = nil
	for name, tc := range map[string]struct {
		caller sts.Caller
		edit   func(*sts.AssumeRoleInput)
		code   string
	}{
		"wrong external id":          {partner, func(in *sts.AssumeRoleInput) { in.ExternalId = "ext-2" }, muster.AccessDenied},
		"no external id":             {partner, func(in *sts.AssumeRoleInput) { in.ExternalId = "" }, muster.AccessDenied},
		"caller's policy lacks it":   {noPolicy, func(*sts.AssumeRoleInput) {}, muster.AccessDenied},
		"unknown role":               {partner, func(in *sts.AssumeRoleInput) { in.RoleArn = "arn:aws:iam::111111111111:role/X" }, muster.AccessDenied},
		"malformed role":             {partner, func(in *sts.AssumeRoleInput) { in.RoleArn = "arn:aws:iam::1:role/R" }, muster.InvalidInput},
		"over the role's maximum":    {partner, func(in *sts.AssumeRoleInput) { in.DurationSeconds = 7201 }, muster.InvalidInput},
		"under 900 seconds":          {partner, func(in *sts.AssumeRoleInput) { in.DurationSeconds = 899 }, muster.InvalidInput},
		"bad session name":           {partner, func(in *sts.AssumeRoleInput) { in.RoleSessionName = "a" }, muster.InvalidInput},
		"bad session policy":         {partner, func(in *sts.AssumeRoleInput) { in.Policy = `{"Statement":5}` }, muster.InvalidInput},
		"untrusted account":          {sts.Caller{Principal: iam.Principal{Account: "333333333333", ARN: "arn:aws:iam::333333333333:user/c"}, Policies: []*iam.Policy{allow}}, func(*sts.AssumeRoleInput) {}, muster.AccessDenied},
		"external id with bad chars": {partner, func(in *sts.AssumeRoleInput) { in.ExternalId = "a b" }, muster.InvalidInput},
	} {
		in := ok
		tc.edit(&in)
		if _, err := svc.AssumeRole(tc.caller, in); muster.ErrorCode(err) != tc.code {
			t.Errorf("%s: %v, want %s", name, err, tc.code)
		}
	}
	// Open mode: any well-formed role, no policy.
	open, err := svc.AssumeRole(sts.Caller{Principal: iam.Principal{Account: "123456789012", ARN: "arn:aws:iam::123456789012:root"}, Open: true},
		sts.AssumeRoleInput{RoleArn: "arn:aws:iam::444444444444:role/Any", RoleSessionName: "dev"})
	if err != nil || !open.Session.Open || !open.Credentials.Expiration.Equal(now.Add(time.Hour)) {
		t.Fatalf("open mode: %+v %v", open, err)
	}
}
