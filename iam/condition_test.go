package iam

import (
	"fmt"
	"testing"
)

// ctx builds a request context from key, value, key, value...; a key
// listed twice gets both values.
func ctx(kv ...string) map[string][]string {
	m := map[string][]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = append(m[kv[i]], kv[i+1])
	}
	return m
}

type condCase struct {
	name string
	cond string // the Condition element
	ctx  map[string][]string
	want bool
}

// runConditions checks whether an Allow statement with each condition
// applies to a request with each context.
func runConditions(t *testing.T, version string, cases []condCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			doc := fmt.Sprintf(`{%s"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":%s}}`, version, tt.cond)
			p := mustParse(t, doc)
			r := &Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Context: tt.ctx}
			if got := p.Evaluate(r) == Allow; got != tt.want {
				t.Errorf("condition %s with context %v: %v, want %v", tt.cond, tt.ctx, got, tt.want)
			}
		})
	}
}

func TestStringConditions(t *testing.T) {
	runConditions(t, `"Version":"2012-10-17",`, []condCase{
		// "IAM JSON policy elements: Condition operators", string condition
		// operators: the iamuser-admin job-category example. A principal
		// without the tag does not match.
		{"StringEquals match", `{"StringEquals":{"aws:PrincipalTag/job-category":"iamuser-admin"}}`, ctx("aws:PrincipalTag/job-category", "iamuser-admin"), true},
		{"StringEquals other", `{"StringEquals":{"aws:PrincipalTag/job-category":"iamuser-admin"}}`, ctx("aws:PrincipalTag/job-category", "admin"), false},
		{"StringEquals missing key", `{"StringEquals":{"aws:PrincipalTag/job-category":"iamuser-admin"}}`, nil, false},
		{"StringEquals no wildcards", `{"StringEquals":{"k":"a*"}}`, ctx("k", "abc"), false},
		{"StringEquals literal star", `{"StringEquals":{"k":"a*"}}`, ctx("k", "a*"), true},
		{"StringEquals empty value", `{"StringEquals":{"k":""}}`, ctx("k", ""), true},

		// "IAM JSON policy elements: Condition": key names are not
		// case-sensitive, values of StringEquals are (johndoe/JohnDoe),
		// StringEqualsIgnoreCase matches both.
		{"key name case", `{"StringEquals":{"AWS:UserName":"johndoe"}}`, ctx("aws:username", "johndoe"), true},
		{"value case", `{"StringEquals":{"aws:username":"johndoe"}}`, ctx("aws:username", "JohnDoe"), false},
		{"IgnoreCase", `{"StringEqualsIgnoreCase":{"aws:username":"johndoe"}}`, ctx("aws:username", "JohnDoe"), true},
		{"IgnoreCase other", `{"StringEqualsIgnoreCase":{"aws:username":"johndoe"}}`, ctx("aws:username", "janedoe"), false},
		{"NotEqualsIgnoreCase", `{"StringNotEqualsIgnoreCase":{"aws:username":"johndoe"}}`, ctx("aws:username", "JOHNDOE"), false},
		{"NotEqualsIgnoreCase other", `{"StringNotEqualsIgnoreCase":{"aws:username":"johndoe"}}`, ctx("aws:username", "jane"), true},
		{"NotEqualsIgnoreCase missing", `{"StringNotEqualsIgnoreCase":{"aws:username":"johndoe"}}`, nil, true},

		// The Important note of the condition operators page: a negated
		// operator is true when the key is missing.
		{"StringNotEquals missing key", `{"StringNotEquals":{"aws:PrincipalTag/role":"audit"}}`, nil, true},
		{"StringNotEquals equal", `{"StringNotEquals":{"aws:PrincipalTag/role":"audit"}}`, ctx("aws:PrincipalTag/role", "audit"), false},
		// "Conditions with multiple context keys or values": the values of
		// a negated operator are NORed.
		{"StringNotEquals NOR first", `{"StringNotEquals":{"aws:PrincipalTag/role":["audit","security"]}}`, ctx("aws:PrincipalTag/role", "audit"), false},
		{"StringNotEquals NOR second", `{"StringNotEquals":{"aws:PrincipalTag/role":["audit","security"]}}`, ctx("aws:PrincipalTag/role", "security"), false},
		{"StringNotEquals NOR neither", `{"StringNotEquals":{"aws:PrincipalTag/role":["audit","security"]}}`, ctx("aws:PrincipalTag/role", "dev"), true},
		{"StringEquals OR", `{"StringEquals":{"aws:PrincipalTag/role":["audit","security"]}}`, ctx("aws:PrincipalTag/role", "security"), true},

		// The home-directory example of the string operators: StringLike
		// with "", "home/" and "home/${aws:username}/".
		{"StringLike empty prefix", `{"StringLike":{"s3:prefix":["","home/","home/${aws:username}/"]}}`, ctx("s3:prefix", "", "aws:username", "David"), true},
		{"StringLike home", `{"StringLike":{"s3:prefix":["","home/","home/${aws:username}/"]}}`, ctx("s3:prefix", "home/", "aws:username", "David"), true},
		{"StringLike own dir", `{"StringLike":{"s3:prefix":["","home/","home/${aws:username}/"]}}`, ctx("s3:prefix", "home/David/", "aws:username", "David"), true},
		{"StringLike other dir", `{"StringLike":{"s3:prefix":["","home/","home/${aws:username}/"]}}`, ctx("s3:prefix", "home/Bob/", "aws:username", "David"), false},
		{"StringLike star", `{"StringLike":{"ec2:InstanceType":["t1.*","t2.*","m3.*"]}}`, ctx("ec2:InstanceType", "t2.micro"), true},
		{"StringLike star other", `{"StringLike":{"ec2:InstanceType":["t1.*","t2.*","m3.*"]}}`, ctx("ec2:InstanceType", "c5.large"), false},
		{"StringLike question", `{"StringLike":{"k":"t?.micro"}}`, ctx("k", "t2.micro"), true},
		{"StringLike question one char", `{"StringLike":{"k":"t?.micro"}}`, ctx("k", "t22.micro"), false},
		{"StringLike question rune", `{"StringLike":{"k":"caf?"}}`, ctx("k", "café"), true},
		{"StringLike inner stars", `{"StringLike":{"k":"*a*b*c"}}`, ctx("k", "xxaxxbxxbxc"), true},
		{"StringLike inner stars fail", `{"StringLike":{"k":"*a*b*c"}}`, ctx("k", "xxaxxcxxc"), false},
		{"StringLike case-sensitive", `{"StringLike":{"k":"Prod-*"}}`, ctx("k", "prod-1"), false},
		{"StringLike missing", `{"StringLike":{"k":"*"}}`, nil, false},
		{"StringNotLike match", `{"StringNotLike":{"k":["a*","b*"]}}`, ctx("k", "bcd"), false},
		{"StringNotLike no match", `{"StringNotLike":{"k":["a*","b*"]}}`, ctx("k", "cde"), true},
		{"StringNotLike missing", `{"StringNotLike":{"k":"a*"}}`, nil, true},
	})
}

func TestNumericConditions(t *testing.T) {
	runConditions(t, "", []condCase{
		// Numeric condition operators: s3:max-keys up to 10.
		{"LessThanEquals equal", `{"NumericLessThanEquals":{"s3:max-keys":"10"}}`, ctx("s3:max-keys", "10"), true},
		{"LessThanEquals less", `{"NumericLessThanEquals":{"s3:max-keys":"10"}}`, ctx("s3:max-keys", "9.5"), true},
		{"LessThanEquals more", `{"NumericLessThanEquals":{"s3:max-keys":"10"}}`, ctx("s3:max-keys", "11"), false},
		{"LessThanEquals missing", `{"NumericLessThanEquals":{"s3:max-keys":"10"}}`, nil, false},
		{"LessThanEquals JSON number", `{"NumericLessThanEquals":{"s3:max-keys":10}}`, ctx("s3:max-keys", "10"), true},
		{"LessThan equal", `{"NumericLessThan":{"k":"10"}}`, ctx("k", "10"), false},
		{"LessThan less", `{"NumericLessThan":{"k":"10"}}`, ctx("k", "-3"), true},
		{"GreaterThan", `{"NumericGreaterThan":{"k":"10"}}`, ctx("k", "10.01"), true},
		{"GreaterThan equal", `{"NumericGreaterThan":{"k":"10"}}`, ctx("k", "10"), false},
		{"GreaterThanEquals", `{"NumericGreaterThanEquals":{"k":"10"}}`, ctx("k", "10"), true},
		{"GreaterThanEquals less", `{"NumericGreaterThanEquals":{"k":"10"}}`, ctx("k", "9"), false},
		{"Equals decimal", `{"NumericEquals":{"k":"10"}}`, ctx("k", "10.0"), true},
		{"Equals exponent", `{"NumericEquals":{"k":"1e3"}}`, ctx("k", "1000"), true},
		{"Equals OR", `{"NumericEquals":{"k":["1","2"]}}`, ctx("k", "2"), true},
		{"Equals not a number", `{"NumericEquals":{"k":"10"}}`, ctx("k", "ten"), false},
		{"Equals NaN", `{"NumericEquals":{"k":"10"}}`, ctx("k", "NaN"), false},
		{"NotEquals", `{"NumericNotEquals":{"k":"5"}}`, ctx("k", "6"), true},
		{"NotEquals equal", `{"NumericNotEquals":{"k":"5"}}`, ctx("k", "5"), false},
		{"NotEquals NOR", `{"NumericNotEquals":{"k":["5","6"]}}`, ctx("k", "6"), false},
		{"NotEquals missing", `{"NumericNotEquals":{"k":"5"}}`, nil, true},
	})
}

func TestDateConditions(t *testing.T) {
	runConditions(t, "", []condCase{
		// Date condition operators: credentials issued after
		// 2020-01-01T00:00:01Z; aws:TokenIssueTime is absent for requests
		// signed with long-term keys, which then do not match.
		{"GreaterThan", `{"DateGreaterThan":{"aws:TokenIssueTime":"2020-01-01T00:00:01Z"}}`, ctx("aws:TokenIssueTime", "2020-06-01T00:00:00Z"), true},
		{"GreaterThan before", `{"DateGreaterThan":{"aws:TokenIssueTime":"2020-01-01T00:00:01Z"}}`, ctx("aws:TokenIssueTime", "2019-12-31T23:59:59Z"), false},
		{"GreaterThan missing", `{"DateGreaterThan":{"aws:TokenIssueTime":"2020-01-01T00:00:01Z"}}`, nil, false},
		{"GreaterThan equal", `{"DateGreaterThan":{"k":"2020-01-01T00:00:01Z"}}`, ctx("k", "2020-01-01T00:00:01Z"), false},
		{"GreaterThanEquals equal", `{"DateGreaterThanEquals":{"k":"2020-01-01T00:00:01Z"}}`, ctx("k", "2020-01-01T00:00:01Z"), true},
		{"LessThan", `{"DateLessThan":{"aws:CurrentTime":"2026-12-31T23:59:59Z"}}`, ctx("aws:CurrentTime", "2026-03-01T12:00:00Z"), true},
		{"LessThan after", `{"DateLessThan":{"aws:CurrentTime":"2026-12-31T23:59:59Z"}}`, ctx("aws:CurrentTime", "2027-01-01T00:00:00Z"), false},
		{"LessThanEquals equal", `{"DateLessThanEquals":{"k":"2026-01-01T00:00:00Z"}}`, ctx("k", "2026-01-01T00:00:00Z"), true},
		{"time zones", `{"DateEquals":{"k":"2026-01-01T02:00:00+02:00"}}`, ctx("k", "2026-01-01T00:00:00Z"), true},
		{"date only", `{"DateEquals":{"k":"2026-01-01"}}`, ctx("k", "2026-01-01T00:00:00Z"), true},
		{"fractional seconds", `{"DateLessThan":{"k":"2026-01-01T00:00:00.5Z"}}`, ctx("k", "2026-01-01T00:00:00Z"), true},
		// Dates may be given in epoch (UNIX) time, as aws:EpochTime is.
		{"epoch policy value", `{"DateGreaterThan":{"aws:CurrentTime":"1767225600"}}`, ctx("aws:CurrentTime", "2026-01-01T00:00:01Z"), true},
		{"epoch request value", `{"DateLessThan":{"aws:EpochTime":"2026-01-01T00:00:00Z"}}`, ctx("aws:EpochTime", "1767225599"), true},
		{"epoch JSON number", `{"DateEquals":{"aws:EpochTime":1767225600}}`, ctx("aws:EpochTime", "1767225600"), true},
		{"not a date", `{"DateLessThan":{"k":"2026-01-01T00:00:00Z"}}`, ctx("k", "soon"), false},
		{"NotEquals", `{"DateNotEquals":{"k":"2026-01-01T00:00:00Z"}}`, ctx("k", "2026-01-02T00:00:00Z"), true},
		{"NotEquals equal", `{"DateNotEquals":{"k":"2026-01-01T00:00:00Z"}}`, ctx("k", "1767225600"), false},
		{"NotEquals missing", `{"DateNotEquals":{"k":"2026-01-01T00:00:00Z"}}`, nil, true},
	})
}

func TestOtherConditions(t *testing.T) {
	runConditions(t, "", []condCase{
		// Boolean condition operators: the aws:SecureTransport example.
		{"Bool false", `{"Bool":{"aws:SecureTransport":"false"}}`, ctx("aws:SecureTransport", "false"), true},
		{"Bool true", `{"Bool":{"aws:SecureTransport":"false"}}`, ctx("aws:SecureTransport", "true"), false},
		{"Bool case", `{"Bool":{"aws:SecureTransport":"True"}}`, ctx("aws:SecureTransport", "TRUE"), true},
		{"Bool JSON boolean", `{"Bool":{"aws:SecureTransport":true}}`, ctx("aws:SecureTransport", "true"), true},
		{"Bool missing", `{"Bool":{"aws:SecureTransport":"false"}}`, nil, false},
		{"Bool not a boolean", `{"Bool":{"aws:SecureTransport":"false"}}`, ctx("aws:SecureTransport", "no"), false},

		// Binary condition operators: the policy value is base64, the key's
		// value is compared byte for byte.
		{"BinaryEquals", `{"BinaryEquals":{"key":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}`, ctx("key", "BinaryValueInBase64"), true},
		{"BinaryEquals other", `{"BinaryEquals":{"key":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}`, ctx("key", "binaryvalueinbase64"), false},
		{"BinaryEquals missing", `{"BinaryEquals":{"key":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}`, nil, false},

		// IP address condition operators: 203.0.113.0/24; IPv4 and IPv6
		// mixed; an address without a prefix is /32; no aws:SourceIp (a
		// VPC endpoint request) does not match.
		{"IpAddress in", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctx("aws:SourceIp", "203.0.113.7"), true},
		{"IpAddress out", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctx("aws:SourceIp", "203.0.114.7"), false},
		{"IpAddress missing", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, nil, false},
		{"IpAddress IPv6", `{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:DB8:1234:5678::/64"]}}`, ctx("aws:SourceIp", "2001:db8:1234:5678::9"), true},
		{"IpAddress IPv6 out", `{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:DB8:1234:5678::/64"]}}`, ctx("aws:SourceIp", "2001:db8:1234:5679::9"), false},
		{"IpAddress single", `{"IpAddress":{"aws:SourceIp":"203.0.113.5"}}`, ctx("aws:SourceIp", "203.0.113.5"), true},
		{"IpAddress single /32", `{"IpAddress":{"aws:SourceIp":"203.0.113.5"}}`, ctx("aws:SourceIp", "203.0.113.6"), false},
		{"IpAddress host bits", `{"IpAddress":{"aws:SourceIp":"203.0.113.77/24"}}`, ctx("aws:SourceIp", "203.0.113.1"), true},
		{"IpAddress mapped", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctx("aws:SourceIp", "::ffff:203.0.113.7"), true},
		{"IpAddress not an address", `{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}`, ctx("aws:SourceIp", "localhost"), false},
		{"NotIpAddress out", `{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.0/24"]}}`, ctx("aws:SourceIp", "198.51.100.1"), true},
		{"NotIpAddress in", `{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.0/24"]}}`, ctx("aws:SourceIp", "203.0.113.1"), false},
		{"NotIpAddress missing", `{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`, nil, true},

		// ARN condition operators: the someservice example, where
		// StringLike matches but ArnLike does not, since each of the
		// colon-separated parts is matched on its own.
		{"ArnLike parts", `{"ArnLike":{"k":"arn:aws:someservice:*:111122223333:finance/*"}}`, ctx("k", "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"), false},
		{"StringLike same value", `{"StringLike":{"k":"arn:aws:someservice:*:111122223333:finance/*"}}`, ctx("k", "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"), true},
		{"ArnLike match", `{"ArnLike":{"k":"arn:aws:someservice:*:111122223333:finance/*"}}`, ctx("k", "arn:aws:someservice:us-east-2:111122223333:finance/document.txt"), true},
		{"ArnEquals SNS topic", `{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:123456789012:TOPIC-ID"}}`, ctx("aws:SourceArn", "arn:aws:sns:us-east-1:123456789012:TOPIC-ID"), true},
		{"ArnEquals missing", `{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:123456789012:TOPIC-ID"}}`, nil, false},
		{"ArnEquals case", `{"ArnEquals":{"k":"arn:aws:ec2:us-east-1:123456789012:instance/i-12345"}}`, ctx("k", "arn:aws:ec2:us-east-1:123456789012:INSTANCE/I-12345"), false},
		{"ArnEquals wildcards like ArnLike", `{"ArnEquals":{"k":"arn:aws:sns:*:123456789012:*"}}`, ctx("k", "arn:aws:sns:eu-west-1:123456789012:alerts"), true},
		{"ArnLike every part", `{"ArnLike":{"k":"arn:???:*:*:*:*"}}`, ctx("k", "arn:aws:ec2:us-east-1:123456789012:instance/i-12345"), true},
		{"ArnLike empty parts", `{"ArnLike":{"k":"arn:aws:s3:::my_corporate_bucket/*"}}`, ctx("k", "arn:aws:s3:::my_corporate_bucket/a/b"), true},
		{"ArnLike resource with colons", `{"ArnLike":{"k":"arn:aws:logs:us-east-1:123456789012:log-group:*"}}`, ctx("k", "arn:aws:logs:us-east-1:123456789012:log-group:g:log-stream:s"), true},
		{"ArnLike not an ARN", `{"ArnLike":{"k":"arn:*:*:*:*:*"}}`, ctx("k", "arn:aws:s3"), false},
		{"ArnNotEquals other", `{"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::444455556666:user/user-name"}}`, ctx("aws:PrincipalArn", "arn:aws:iam::444455556666:user/other"), true},
		{"ArnNotEquals same", `{"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::444455556666:user/user-name"}}`, ctx("aws:PrincipalArn", "arn:aws:iam::444455556666:user/user-name"), false},
		{"ArnNotLike missing", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:s3:::b"}}`, nil, true},
		{"ArnNotLike not an ARN", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:s3:::b"}}`, ctx("aws:SourceArn", "bucket"), true},

		// Condition operator to check existence of condition keys: Null
		// "true" means the key is absent.
		{"Null true absent", `{"Null":{"aws:TokenIssueTime":"true"}}`, nil, true},
		{"Null true present", `{"Null":{"aws:TokenIssueTime":"true"}}`, ctx("aws:TokenIssueTime", "2026-01-01T00:00:00Z"), false},
		{"Null false present", `{"Null":{"aws:TokenIssueTime":"false"}}`, ctx("aws:TokenIssueTime", "2026-01-01T00:00:00Z"), true},
		{"Null false absent", `{"Null":{"aws:TokenIssueTime":"false"}}`, nil, false},
		{"Null empty value list is absent", `{"Null":{"k":true}}`, map[string][]string{"k": {}}, true},
		{"Null key case", `{"Null":{"AWS:TOKENISSUETIME":"false"}}`, ctx("aws:TokenIssueTime", "x"), true},
	})
}

func TestIfExists(t *testing.T) {
	runConditions(t, "", []condCase{
		// "...IfExists condition operators": the RunInstances example.
		// Without the key the condition is true; with it, the check is made.
		{"StringLikeIfExists missing", `{"StringLikeIfExists":{"ec2:InstanceType":["t1.*","t2.*","m3.*"]}}`, nil, true},
		{"StringLikeIfExists match", `{"StringLikeIfExists":{"ec2:InstanceType":["t1.*","t2.*","m3.*"]}}`, ctx("ec2:InstanceType", "m3.large"), true},
		{"StringLikeIfExists no match", `{"StringLikeIfExists":{"ec2:InstanceType":["t1.*","t2.*","m3.*"]}}`, ctx("ec2:InstanceType", "c5.large"), false},
		// A negated IfExists operator is true without the key, so a Deny
		// with it still denies.
		{"StringNotEqualsIfExists missing", `{"StringNotEqualsIfExists":{"aws:ResourceTag/env":"prod"}}`, nil, true},
		{"StringNotEqualsIfExists equal", `{"StringNotEqualsIfExists":{"aws:ResourceTag/env":"prod"}}`, ctx("aws:ResourceTag/env", "prod"), false},
		{"StringEqualsIfExists", `{"StringEqualsIfExists":{"k":"v"}}`, ctx("k", "w"), false},
		{"StringEqualsIgnoreCaseIfExists", `{"StringEqualsIgnoreCaseIfExists":{"k":"v"}}`, ctx("k", "V"), true},
		{"NumericLessThanIfExists missing", `{"NumericLessThanIfExists":{"s3:max-keys":"10"}}`, nil, true},
		{"NumericLessThanIfExists present", `{"NumericLessThanIfExists":{"s3:max-keys":"10"}}`, ctx("s3:max-keys", "20"), false},
		{"DateGreaterThanIfExists missing", `{"DateGreaterThanIfExists":{"aws:TokenIssueTime":"2020-01-01T00:00:00Z"}}`, nil, true},
		{"DateGreaterThanIfExists present", `{"DateGreaterThanIfExists":{"aws:TokenIssueTime":"2020-01-01T00:00:00Z"}}`, ctx("aws:TokenIssueTime", "2019-01-01T00:00:00Z"), false},
		{"BoolIfExists missing", `{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}`, nil, true},
		{"BoolIfExists false", `{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}`, ctx("aws:MultiFactorAuthPresent", "false"), false},
		{"BinaryEqualsIfExists missing", `{"BinaryEqualsIfExists":{"k":"QQ=="}}`, nil, true},
		{"IpAddressIfExists missing", `{"IpAddressIfExists":{"aws:SourceIp":"203.0.113.0/24"}}`, nil, true},
		{"IpAddressIfExists out", `{"IpAddressIfExists":{"aws:SourceIp":"203.0.113.0/24"}}`, ctx("aws:SourceIp", "192.0.2.1"), false},
		{"NotIpAddressIfExists in", `{"NotIpAddressIfExists":{"aws:SourceIp":"203.0.113.0/24"}}`, ctx("aws:SourceIp", "203.0.113.1"), false},
		{"ArnLikeIfExists missing", `{"ArnLikeIfExists":{"aws:SourceArn":"arn:aws:sns:*:*:*"}}`, nil, true},
		{"ArnLikeIfExists present", `{"ArnLikeIfExists":{"aws:SourceArn":"arn:aws:sns:*:*:*"}}`, ctx("aws:SourceArn", "arn:aws:sqs:us-east-1:123456789012:q"), false},
		{"ArnNotEqualsIfExists present", `{"ArnNotEqualsIfExists":{"aws:SourceArn":"arn:aws:sns:us-east-1:123456789012:t"}}`, ctx("aws:SourceArn", "arn:aws:sns:us-east-1:123456789012:t"), false},
	})
}

func TestSetOperators(t *testing.T) {
	attrs := func(vals ...string) map[string][]string {
		return map[string][]string{"dynamodb:requestedAttributes": vals}
	}
	runConditions(t, "", []condCase{
		// "Conditions with multiple context keys or values" (set
		// operators): the DynamoDB Thread table examples.
		{"ForAllValues all listed", `{"ForAllValues:StringLike":{"dynamodb:requestedAttributes":["PostDateTime","Message","Tags"]}}`, attrs("PostDateTime", "Message"), true},
		{"ForAllValues one unlisted", `{"ForAllValues:StringLike":{"dynamodb:requestedAttributes":["PostDateTime","Message","Tags"]}}`, attrs("PostDateTime", "UserName"), false},
		{"ForAllValues missing", `{"ForAllValues:StringLike":{"dynamodb:requestedAttributes":["PostDateTime","Message","Tags"]}}`, nil, true},
		{"ForAllValues empty", `{"ForAllValues:StringLike":{"dynamodb:requestedAttributes":["PostDateTime"]}}`, attrs(), true},
		{"ForAnyValue one listed", `{"ForAnyValue:StringLike":{"dynamodb:requestedAttributes":["ID","PostDateTime"]}}`, attrs("UserName", "Message", "PostDateTime"), true},
		{"ForAnyValue none listed", `{"ForAnyValue:StringLike":{"dynamodb:requestedAttributes":["ID","PostDateTime"]}}`, attrs("UserName"), false},
		{"ForAnyValue missing", `{"ForAnyValue:StringLike":{"dynamodb:requestedAttributes":["ID","PostDateTime"]}}`, nil, false},
		{"ForAnyValue empty", `{"ForAnyValue:StringLike":{"dynamodb:requestedAttributes":["ID"]}}`, attrs(), false},
		{"ForAllValues wildcard", `{"ForAllValues:StringLike":{"aws:TagKeys":["key1*","key2*"]}}`, map[string][]string{"aws:TagKeys": {"key1-a", "key2-b"}}, true},

		// Negated operators under set operators: each request value is
		// tested against all the policy's values (NOR).
		{"ForAllValues:StringNotEquals none forbidden", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["ID","UserName"]}}`, map[string][]string{"aws:TagKeys": {"Message", "Tags"}}, true},
		{"ForAllValues:StringNotEquals one forbidden", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["ID","UserName"]}}`, map[string][]string{"aws:TagKeys": {"Message", "ID"}}, false},
		{"ForAllValues:StringNotEquals missing", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":"ID"}}`, nil, true},
		{"ForAnyValue:StringNotEquals one other", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["ID","UserName"]}}`, map[string][]string{"aws:TagKeys": {"ID", "Tags"}}, true},
		{"ForAnyValue:StringNotEquals all listed", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["ID","UserName"]}}`, map[string][]string{"aws:TagKeys": {"ID", "UserName"}}, false},
		{"ForAnyValue:StringNotEquals missing", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":"ID"}}`, nil, false},

		// IfExists under set operators: a missing key is true either way.
		{"ForAnyValue IfExists missing", `{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":"ID"}}`, nil, true},
		{"ForAllValues IfExists present", `{"ForAllValues:StringEqualsIfExists":{"aws:TagKeys":"ID"}}`, map[string][]string{"aws:TagKeys": {"ID", "X"}}, false},

		// Other operator families take set operators too.
		{"ForAllValues:NumericLessThan", `{"ForAllValues:NumericLessThan":{"k":"10"}}`, map[string][]string{"k": {"1", "9"}}, true},
		{"ForAllValues:NumericLessThan fails", `{"ForAllValues:NumericLessThan":{"k":"10"}}`, map[string][]string{"k": {"1", "19"}}, false},
		{"ForAnyValue:ArnLike", `{"ForAnyValue:ArnLike":{"k":"arn:aws:iam::*:role/admin"}}`, map[string][]string{"k": {"arn:aws:iam::123456789012:role/dev", "arn:aws:iam::123456789012:role/admin"}}, true},
		{"ForAnyValue:IpAddress", `{"ForAnyValue:IpAddress":{"k":"10.0.0.0/8"}}`, map[string][]string{"k": {"192.0.2.1", "10.1.2.3"}}, true},

		// Without a set operator, a key with several values in the
		// request matches if any of them matches; its negated form if
		// none does.
		{"multivalued StringEquals", `{"StringEquals":{"aws:TagKeys":"b"}}`, map[string][]string{"aws:TagKeys": {"a", "b"}}, true},
		{"multivalued StringNotEquals", `{"StringNotEquals":{"aws:TagKeys":"b"}}`, map[string][]string{"aws:TagKeys": {"a", "b"}}, false},
		{"multivalued StringNotEquals none", `{"StringNotEquals":{"aws:TagKeys":"c"}}`, map[string][]string{"aws:TagKeys": {"a", "b"}}, true},
	})
}

func TestConditionLogic(t *testing.T) {
	// "Conditions with multiple context keys or values": operators are
	// ANDed, keys within an operator are ANDed, values of one key ORed.
	// The department/role/PrincipalArn example.
	cond := `{
		"StringEquals": {
			"aws:PrincipalTag/department": ["finance", "hr", "legal"],
			"aws:PrincipalTag/role": ["audit", "security"]
		},
		"ArnLike": {
			"aws:PrincipalArn": ["arn:aws:iam::222222222222:user/Ana", "arn:aws:iam::222222222222:user/Mary"]
		}
	}`
	who := func(dept, role, arn string) map[string][]string {
		m := map[string][]string{}
		for k, v := range map[string]string{"aws:PrincipalTag/department": dept, "aws:PrincipalTag/role": role, "aws:PrincipalArn": arn} {
			if v != "" {
				m[k] = []string{v}
			}
		}
		return m
	}
	runConditions(t, "", []condCase{
		{"all match", cond, who("hr", "audit", "arn:aws:iam::222222222222:user/Mary"), true},
		{"other department", cond, who("sales", "audit", "arn:aws:iam::222222222222:user/Mary"), false},
		{"no role tag", cond, who("hr", "", "arn:aws:iam::222222222222:user/Mary"), false},
		{"other user", cond, who("legal", "security", "arn:aws:iam::222222222222:user/Bob"), false},
		{"empty condition", `{}`, nil, true},
	})
}
