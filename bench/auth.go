package bench

import (
	"fmt"
	"strings"
)

// authKeyID is the access key of the bench's user in --auth runs.
const authKeyID = "AKIAMUSTERBENCH00001"

// authConfig is the server config of an --auth run: the account's one user
// with an identity policy of 20 statements, as an organisation's
// least-privilege policy for a scanner and its triage looks: most
// statements are about other services or other resources, some carry
// conditions, one explicit deny, and the statements that allow the
// bench's calls come last, so that evaluation walks all of them.
func authConfig(account string) string {
	var st []string
	services := []string{"s3", "ec2", "iam", "kms", "logs", "sqs", "sns", "lambda", "dynamodb", "config", "guardduty", "inspector2", "macie2", "cloudtrail"}
	for i, svc := range services {
		st = append(st, fmt.Sprintf(`{"Sid": "Other%d", "Effect": "Allow", "Action": ["%s:Get*", "%s:List*"], "Resource": "arn:aws:%s:*:%s:*"}`, i, svc, svc, svc, account))
	}
	st = append(st,
		`{"Sid": "NoDelete", "Effect": "Deny", "Action": ["securityhub:Delete*", "securityhub:Disable*"], "Resource": "*"}`,
		fmt.Sprintf(`{"Sid": "OnlyHere", "Effect": "Allow", "Action": ["securityhub:Describe*", "muster:PutRule"], "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalAccount": "%s"}}}`, account),
		`{"Sid": "Time", "Effect": "Allow", "Action": "securityhub:List*", "Resource": "*", "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}}`,
		fmt.Sprintf(`{"Sid": "Hub", "Effect": "Allow", "Action": ["securityhub:EnableSecurityHub", "securityhub:GetFindings", "securityhub:BatchUpdateFindings", "securityhub:GetFindingHistory"], "Resource": "arn:aws:securityhub:*:%s:hub/default"}`, account),
		fmt.Sprintf(`{"Sid": "Import", "Effect": "Allow", "Action": "securityhub:BatchImportFindings", "Resource": "arn:aws:securityhub:*:%s:product/%s/*", "Condition": {"StringEquals": {"securityhub:TargetAccount": "%s"}}}`, account, account, account),
		`{"Sid": "Transport", "Effect": "Allow", "Action": "securityhub:Get*", "Resource": "*", "Condition": {"BoolIfExists": {"aws:SecureTransport": "false"}}}`,
	)
	if len(st) != 20 {
		panic(fmt.Sprintf("bench: the auth policy has %d statements, want 20", len(st)))
	}
	return fmt.Sprintf(`accounts:
  "%s":
    users:
      bench:
        access_keys: [{id: %s, secret: muster-bench-secret}]
        policies:
          - '{"Version": "2012-10-17", "Statement": [%s]}'
`, account, authKeyID, strings.Join(st, ", "))
}
