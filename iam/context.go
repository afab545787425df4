package iam

import (
	"strconv"
	"strings"
	"time"
)

// NewContext returns the global condition keys that AWS puts in every
// request p makes at time t, for a Request's Context; the caller adds
// those of the transport (aws:SourceIp, aws:SecureTransport) and of the
// service. The keys, as "AWS global condition context keys" and the
// principal key values table of the policy variables page define them:
//
//   - aws:CurrentTime (RFC 3339, UTC) and aws:EpochTime (seconds);
//   - aws:PrincipalAccount;
//   - aws:PrincipalArn: for a role session the role's ARN, not the
//     session's;
//   - aws:PrincipalType: Account (the root user), User, AssumedRole,
//     FederatedUser, or Anonymous for a principal with no ARN or service;
//   - aws:username, for an IAM user only: the user's name without its path;
//   - aws:userid: p.UserID, or the account id for the root user;
//   - aws:PrincipalServiceName, for a service principal.
//
// Keys whose value is unknown are left out, so that conditions on them see
// an absent key, as they would at AWS.
func NewContext(p Principal, t time.Time) map[string][]string {
	ctx := map[string][]string{
		"aws:CurrentTime": {t.UTC().Format("2006-01-02T15:04:05Z")},
		"aws:EpochTime":   {strconv.FormatInt(t.Unix(), 10)},
	}
	set := func(k, v string) {
		if v != "" {
			ctx[k] = []string{v}
		}
	}
	set("aws:PrincipalAccount", p.account())
	set("aws:userid", p.UserID)
	set("aws:PrincipalServiceName", p.Service)
	parts, ok := splitARN(p.ARN)
	switch {
	case !ok:
		if p.Service == "" {
			set("aws:PrincipalType", "Anonymous")
		}
	case parts[2] == "iam" && parts[5] == "root":
		set("aws:PrincipalType", "Account")
		set("aws:PrincipalArn", p.ARN)
		set("aws:userid", parts[4])
	case parts[2] == "iam" && strings.HasPrefix(parts[5], "user/"):
		set("aws:PrincipalType", "User")
		set("aws:PrincipalArn", p.ARN)
		set("aws:username", parts[5][strings.LastIndexByte(parts[5], '/')+1:])
	case parts[2] == "sts" && strings.HasPrefix(parts[5], "assumed-role/"):
		set("aws:PrincipalType", "AssumedRole")
		set("aws:PrincipalArn", p.RoleARN)
	case parts[2] == "sts" && strings.HasPrefix(parts[5], "federated-user/"):
		set("aws:PrincipalType", "FederatedUser")
		set("aws:PrincipalArn", p.ARN)
	default:
		set("aws:PrincipalArn", p.ARN)
	}
	return ctx
}
