package server_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/muster-hub/muster/config"
	"github.com/muster-hub/muster/server"
)

// The accounts of the partner tests: a customer (alice, a read-only user,
// a user denied imports, the partner's cross-account role), the partner's
// product account, and a second customer.
const (
	customer  = "111111111111"
	partner   = "222222222222"
	customer2 = "333333333333"
	region    = "us-west-2"

	threatSlayer    = "arn:aws:securityhub:us-west-2:222222222222:product/threatslayer/threatslayer-pro"
	threatSlayerSub = "arn:aws:securityhub:us-west-2:111111111111:product-subscription/threatslayer/threatslayer-pro"
	importRole      = "arn:aws:iam::111111111111:role/ThreatSlayerImport"
	prowler         = "arn:aws:securityhub:us-west-2::product/prowler/prowler"
)

const partnersConfig = `
regions: [us-east-1, us-west-2]
accounts:
  "111111111111":
    users:
      alice:
        access_keys: [{id: AKIAALICE0000000001, secret: alice-secret}]
        policies: [{Version: "2012-10-17", Statement: [{Effect: Allow, Action: "securityhub:*", Resource: "*"}]}]
      reader:
        access_keys: [{id: AKIAREADER000000001, secret: reader-secret}]
        policies:
          - |
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["securityhub:Get*", "securityhub:Describe*", "securityhub:List*"], "Resource": "*"}]}
      denied:
        access_keys: [{id: AKIADENIED000000001, secret: denied-secret}]
        policies:
          - {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "securityhub:*", Resource: "*"}, {Effect: Deny, Action: "securityhub:BatchImportFindings", Resource: "*"}]}
      blocked:
        access_keys: [{id: AKIABLOCKED00000001, secret: blocked-secret}]
        policies:
          - {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "*", Resource: "*"}]}
          - {Version: "2012-10-17", Statement: [{Effect: Deny, Action: "securityhub:*", Resource: "*"}]}
    roles:
      ThreatSlayerImport:
        trust: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {AWS: "arn:aws:iam::222222222222:root"}, Action: "sts:AssumeRole", Condition: {StringEquals: {"sts:ExternalId": "ext-1"}}}]}
        policies: [{Version: "2012-10-17", Statement: [{Effect: Allow, Action: "securityhub:BatchImportFindings", Resource: "arn:aws:securityhub:us-west-2:111111111111:product-subscription/threatslayer/threatslayer-pro"}]}]
  "222222222222":
    users:
      partner:
        access_keys: [{id: AKIAPARTNER00000001, secret: partner-secret}]
        policies:
          - Version: "2012-10-17"
            Statement:
              - {Effect: Allow, Action: "securityhub:BatchImportFindings", Resource: "arn:aws:securityhub:*:*:product-subscription/threatslayer/threatslayer-pro"}
              - {Effect: Allow, Action: "sts:AssumeRole", Resource: "arn:aws:iam::*:role/ThreatSlayerImport"}
  "333333333333":
    users:
      carol:
        access_keys: [{id: AKIACAROL0000000001, secret: carol-secret}]
        policies: [{Version: "2012-10-17", Statement: [{Effect: Allow, Action: "securityhub:*", Resource: "*"}]}]
products:
  - company: {id: threatslayer, name: ThreatSlayer}
    product: {id: threatslayer-pro, name: ThreatSlayer Pro, description: Finds threats, categories: [Intrusion Detection Systems (IDS)]}
    home_account: "222222222222"
    import_policies: [BATCH_IMPORT_FINDINGS_FROM_PRODUCT_ACCOUNT, BATCH_IMPORT_FINDINGS_FROM_CUSTOMER_ACCOUNT]
  # Two companies whose ids order one way and whose ARNs the other
  # ("acmeco" < "acmeco-eu", but ".../acmeco-eu/" < ".../acmeco/"), to
  # check that paging does not skip or repeat.
  - {company: {id: acmeco, name: Acme}, product: {id: scanner, name: Scanner}, home_account: "222222222222"}
  - {company: {id: acmeco-eu, name: Acme EU}, product: {id: scanner, name: Scanner}, home_account: "222222222222"}
`

// sessionClock is a clock for temporary credentials that a test can move.
type sessionClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *sessionClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *sessionClock) advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

func startPartners(t *testing.T) (*server.Server, *sessionClock) {
	t.Helper()
	cfg, err := config.Parse("partners.yaml", []byte(partnersConfig))
	if err != nil {
		t.Fatal(err)
	}
	clk := &sessionClock{}
	return startWith(t, server.Options{Config: cfg, SessionClock: clk.Now}), clk
}

// regionClient is client in the partner tests' region.
func regionClient(s *server.Server, key, secret string) *securityhub.Client {
	return client(s, key, secret, region)
}

// roleClient returns a Security Hub client whose credentials come from
// assuming role with externalID through the server's STS, as a partner's
// integration does, using aws-sdk-go-v2's stscreds provider.
func roleClient(s *server.Server, key, secret, role, externalID string) *securityhub.Client {
	stsClient := sts.New(sts.Options{
		Region:       region,
		BaseEndpoint: aws.String(s.URL()),
		Credentials:  credentials.NewStaticCredentialsProvider(key, secret, ""),
	})
	provider := stscreds.NewAssumeRoleProvider(stsClient, role, func(o *stscreds.AssumeRoleOptions) {
		o.ExternalID = aws.String(externalID)
		o.RoleSessionName = "threatslayer-import"
	})
	return securityhub.New(securityhub.Options{
		Region:       region,
		BaseEndpoint: aws.String(s.URL()),
		Credentials:  aws.NewCredentialsCache(provider),
	})
}

// productFinding is a finding of product for account.
func productFinding(account, product, id string) string {
	f := finding(account, region, id)
	return strings.Replace(f, "arn:aws:securityhub:"+region+":"+account+":product/"+account+"/default", product, 1)
}

// tryImport imports raw findings and returns the output or the error.
func tryImport(c *securityhub.Client, raws ...string) (*securityhub.BatchImportFindingsOutput, error) {
	fs := make([]types.AwsSecurityFinding, len(raws))
	for i, r := range raws {
		if err := json.Unmarshal([]byte(r), &fs[i]); err != nil {
			panic(err)
		}
	}
	return c.BatchImportFindings(context.Background(), &securityhub.BatchImportFindingsInput{Findings: fs})
}

func wantImported(t *testing.T, out *securityhub.BatchImportFindingsOutput, err error, n int32) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(out.SuccessCount) != n || aws.ToInt32(out.FailedCount) != 0 {
		b, _ := json.Marshal(out.FailedFindings)
		t.Fatalf("imported %d, failed %s", aws.ToInt32(out.SuccessCount), b)
	}
}

func wantDenied(t *testing.T, err error, resource string) {
	t.Helper()
	wantCode(t, err, "AccessDeniedException")
	if !strings.Contains(err.Error(), "is not authorized to perform: securityhub:BatchImportFindings on resource: "+resource) {
		t.Fatalf("message does not name %s: %v", resource, err)
	}
}

// TestPartnerIntegrationModels runs the three integration models of the
// partner guide end to end, with the failures AWS gives for each way they
// go wrong.
func TestPartnerIntegrationModels(t *testing.T) {
	s, clk := startPartners(t)
	ctx := context.Background()
	alice := regionClient(s, "AKIAALICE0000000001", "alice-secret")
	partnerUser := regionClient(s, "AKIAPARTNER00000001", "partner-secret")
	enable(t, alice)
	enable(t, regionClient(s, "AKIACAROL0000000001", "carol-secret"))

	// Before the customer subscribes, the partner gets nothing in.
	out, err := tryImport(partnerUser, productFinding(customer, threatSlayer, "p-0"))
	if err != nil || aws.ToInt32(out.FailedCount) != 1 || aws.ToString(out.FailedFindings[0].ErrorCode) != "InvalidAccess" {
		t.Fatalf("import before subscription: %+v %v", out, err)
	}

	sub, err := alice.EnableImportFindingsForProduct(ctx, &securityhub.EnableImportFindingsForProductInput{ProductArn: aws.String(threatSlayer)})
	if err != nil || aws.ToString(sub.ProductSubscriptionArn) != threatSlayerSub {
		t.Fatalf("subscribe: %v %v", sub, err)
	}
	_, err = alice.EnableImportFindingsForProduct(ctx, &securityhub.EnableImportFindingsForProductInput{ProductArn: aws.String(threatSlayer)})
	wantCode(t, err, "ResourceConflictException")

	// The customer can read the policy it consented to.
	prods, err := alice.DescribeProducts(ctx, &securityhub.DescribeProductsInput{ProductArn: aws.String(threatSlayer)})
	if err != nil || len(prods.Products) != 1 {
		t.Fatalf("DescribeProducts: %v %v", prods, err)
	}
	policy := aws.ToString(prods.Products[0].ProductSubscriptionResourcePolicy)
	for _, want := range []string{`"AWS":"222222222222"`, `"AWS":"111111111111"`, threatSlayerSub, threatSlayer, `"securityhub:TargetAccount":"111111111111"`} {
		if !strings.Contains(policy, want) {
			t.Errorf("policy %s lacks %s", policy, want)
		}
	}

	// The catalog pages: AWS's integrations, the open-source producers
	// with the ARNs their code sends, and the registered product.
	var catalog []string
	pages := securityhub.NewDescribeProductsPaginator(alice, &securityhub.DescribeProductsInput{MaxResults: aws.Int32(3)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range page.Products {
			catalog = append(catalog, aws.ToString(p.ProductArn))
		}
	}
	for _, want := range []string{threatSlayer, prowler, "arn:aws:securityhub:us-west-2::product/aquasecurity/aquasecurity",
		"arn:aws:securityhub:us-west-2::product/aqua-security/kube-bench", "arn:aws:securityhub:us-west-2::product/cloud-custodian/cloud-custodian",
		"arn:aws:securityhub:us-west-2::product/aws/guardduty", "arn:aws:securityhub:us-west-2::product/aws/securityhub"} {
		if !slices.Contains(catalog, want) {
			t.Errorf("DescribeProducts lacks %s", want)
		}
	}
	if len(catalog) != len(slices.Compact(slices.Sorted(slices.Values(catalog)))) {
		t.Errorf("DescribeProducts pages repeat products: %v", catalog)
	}

	// (1) Partner-hosted, from the product account, with its own keys:
	// a batch for several customers imports the subscribed ones and fails
	// the others one by one.
	out, err = tryImport(partnerUser,
		productFinding(customer, threatSlayer, "p-1"),
		productFinding(customer2, threatSlayer, "p-2"),      // hub, no subscription
		productFinding("444444444444", threatSlayer, "p-3"), // no hub
	)
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(out.SuccessCount) != 1 || aws.ToInt32(out.FailedCount) != 2 {
		b, _ := json.Marshal(out)
		t.Fatalf("partner batch: %s", b)
	}
	for _, f := range out.FailedFindings {
		if aws.ToString(f.ErrorCode) != "InvalidAccess" {
			t.Errorf("failed %s with %s, want InvalidAccess", aws.ToString(f.Id), aws.ToString(f.ErrorCode))
		}
	}
	got := getAll(t, alice, &securityhub.GetFindingsInput{})
	if len(got) != 1 || aws.ToString(got[0].Id) != "p-1" || aws.ToString(got[0].ProductName) != "ThreatSlayer Pro" || aws.ToString(got[0].CompanyName) != "ThreatSlayer" {
		t.Fatalf("customer sees %d findings: %+v", len(got), got)
	}

	// A product ARN with another account number or region.
	_, err = tryImport(partnerUser, productFinding(customer, strings.Replace(threatSlayer, partner, "999999999999", 1), "p-4"))
	wantDenied(t, err, strings.Replace(threatSlayer, partner, "999999999999", 1))
	_, err = tryImport(partnerUser, strings.Replace(productFinding(customer, threatSlayer, "p-5"), "us-west-2:222222222222", "us-east-1:222222222222", 1))
	wantCode(t, err, "InvalidInputException")

	// (2) Partner-hosted, from inside the customer's account, through the
	// cross-account role and its external ID.
	role := roleClient(s, "AKIAPARTNER00000001", "partner-secret", importRole, "ext-1")
	out, err = tryImport(role, productFinding(customer, threatSlayer, "r-1"))
	wantImported(t, out, err, 1)
	// The role can import only into its own account.
	_, err = tryImport(role, productFinding(customer2, threatSlayer, "r-2"))
	wantDenied(t, err, threatSlayer)
	// Nor do anything its policy does not allow.
	_, err = role.GetFindings(ctx, &securityhub.GetFindingsInput{})
	wantCode(t, err, "AccessDeniedException")
	if !strings.Contains(err.Error(), "arn:aws:sts::111111111111:assumed-role/ThreatSlayerImport/threatslayer-import") {
		t.Fatalf("denial does not name the assumed role: %v", err)
	}
	// A wrong external ID: STS refuses the role.
	_, err = tryImport(roleClient(s, "AKIAPARTNER00000001", "partner-secret", importRole, "ext-2"), productFinding(customer, threatSlayer, "r-3"))
	if err == nil || !strings.Contains(err.Error(), "AccessDenied") || !strings.Contains(err.Error(), "sts:AssumeRole") {
		t.Fatalf("wrong external id: %v", err)
	}

	// The session expires on time.
	clk.advance(61 * time.Minute)
	_, err = tryImport(role, productFinding(customer, threatSlayer, "r-4"))
	if err == nil || !strings.Contains(err.Error(), "ExpiredToken") {
		// The SDK's credential cache refreshes expired credentials itself;
		// its new session is valid, so expiry shows only with a fixed
		// token, below.
		if err != nil {
			t.Fatalf("after expiry: %v", err)
		}
	}
	clk.advance(-61 * time.Minute)

	// (3) Customer-hosted: the customer's own tool, after one
	// EnableImportFindingsForProduct.
	prowlerFinding := productFinding(customer, prowler, "prowler-1")
	_, err = tryImport(alice, prowlerFinding)
	wantDenied(t, err, prowler)
	if _, err := alice.EnableImportFindingsForProduct(ctx, &securityhub.EnableImportFindingsForProductInput{ProductArn: aws.String(prowler)}); err != nil {
		t.Fatal(err)
	}
	out, err = tryImport(alice, prowlerFinding)
	wantImported(t, out, err, 1)

	// An explicit Deny wins over the allow next to it.
	_, err = tryImport(regionClient(s, "AKIADENIED000000001", "denied-secret"), productFinding(customer, prowler, "prowler-2"))
	wantDenied(t, err, prowler)

	// The default product of another account.
	_, err = tryImport(alice, finding(customer2, region, "foreign"))
	wantDenied(t, err, "arn:aws:securityhub:us-west-2:333333333333:product/333333333333/default")

	// A disabled subscription takes findings no more.
	if _, err := alice.DisableImportFindingsForProduct(ctx, &securityhub.DisableImportFindingsForProductInput{ProductSubscriptionArn: aws.String(threatSlayerSub)}); err != nil {
		t.Fatal(err)
	}
	_, err = alice.DisableImportFindingsForProduct(ctx, &securityhub.DisableImportFindingsForProductInput{ProductSubscriptionArn: aws.String(threatSlayerSub)})
	wantCode(t, err, "ResourceNotFoundException")
	out, err = tryImport(partnerUser, productFinding(customer, threatSlayer, "p-6"))
	if err != nil || aws.ToInt32(out.FailedCount) != 1 || aws.ToString(out.FailedFindings[0].ErrorCode) != "InvalidAccess" {
		t.Fatalf("partner after unsubscribe: %+v %v", out, err)
	}
	_, err = tryImport(role, productFinding(customer, threatSlayer, "r-5"))
	wantDenied(t, err, threatSlayer)

	for _, arn := range []string{"arn:aws:securityhub:us-west-2:222222222222:product/acmeco/scanner", "arn:aws:securityhub:us-west-2:222222222222:product/acmeco-eu/scanner"} {
		if _, err := alice.EnableImportFindingsForProduct(ctx, &securityhub.EnableImportFindingsForProductInput{ProductArn: aws.String(arn)}); err != nil {
			t.Fatal(err)
		}
	}
	// AWS's own integrations are enabled with the hub, as on AWS; the
	// customer's own subscriptions come with them, in ARN order.
	var subs []string
	p := securityhub.NewListEnabledProductsForImportPaginator(alice, &securityhub.ListEnabledProductsForImportInput{MaxResults: aws.Int32(1)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		subs = append(subs, page.ProductSubscriptions...)
	}
	want := []string{
		"arn:aws:securityhub:us-west-2:111111111111:product-subscription/acmeco-eu/scanner",
		"arn:aws:securityhub:us-west-2:111111111111:product-subscription/acmeco/scanner",
		"arn:aws:securityhub:us-west-2:111111111111:product-subscription/aws/access-analyzer",
		"arn:aws:securityhub:us-west-2:111111111111:product-subscription/aws/config",
		"arn:aws:securityhub:us-west-2:111111111111:product-subscription/aws/firewall-manager",
		"arn:aws:securityhub:us-west-2:111111111111:product-subscription/aws/guardduty",
		"arn:aws:securityhub:us-west-2:111111111111:product-subscription/aws/health",
		"arn:aws:securityhub:us-west-2:111111111111:product-subscription/aws/inspector",
		"arn:aws:securityhub:us-west-2:111111111111:product-subscription/aws/macie",
		"arn:aws:securityhub:us-west-2:111111111111:product-subscription/aws/securityhub",
		"arn:aws:securityhub:us-west-2:111111111111:product-subscription/aws/ssm-patch-manager",
		"arn:aws:securityhub:us-west-2:111111111111:product-subscription/prowler/prowler",
	}
	if strings.Join(subs, "\n") != strings.Join(want, "\n") {
		t.Fatalf("ListEnabledProductsForImport:\n%s", strings.Join(subs, "\n"))
	}
	// So GuardDuty's findings replayed from the account import at once.
	guardduty := "arn:aws:securityhub:us-west-2::product/aws/guardduty"
	out, err = tryImport(alice, productFinding(customer, guardduty, "gd-1"))
	wantImported(t, out, err, 1)
}

// TestAssumeRoleSessions checks STS itself with aws-sdk-go-v2's client:
// the caller identity of users and sessions, the session's expiry and the
// AssumeRole rules.
func TestAssumeRoleSessions(t *testing.T) {
	s, clk := startPartners(t)
	ctx := context.Background()
	stsAs := func(creds aws.CredentialsProvider) *sts.Client {
		return sts.New(sts.Options{Region: region, BaseEndpoint: aws.String(s.URL()), Credentials: creds})
	}
	partnerSTS := stsAs(credentials.NewStaticCredentialsProvider("AKIAPARTNER00000001", "partner-secret", ""))
	id, err := partnerSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Arn) != "arn:aws:iam::222222222222:user/partner" || aws.ToString(id.Account) != partner || !strings.HasPrefix(aws.ToString(id.UserId), "AIDA") {
		t.Fatalf("GetCallerIdentity: %+v %v", id, err)
	}
	ar, err := partnerSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(importRole), RoleSessionName: aws.String("s1"), ExternalId: aws.String("ext-1"), DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatal(err)
	}
	c := ar.Credentials
	if !strings.HasPrefix(aws.ToString(c.AccessKeyId), "ASIA") || aws.ToString(ar.AssumedRoleUser.Arn) != "arn:aws:sts::111111111111:assumed-role/ThreatSlayerImport/s1" {
		t.Fatalf("AssumeRole: %+v", ar.AssumedRoleUser)
	}
	if d := time.Until(aws.ToTime(c.Expiration)); d < 14*time.Minute || d > 16*time.Minute {
		t.Fatalf("expiration in %v, want 15m", d)
	}
	session := credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	id, err = stsAs(session).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Arn) != "arn:aws:sts::111111111111:assumed-role/ThreatSlayerImport/s1" || aws.ToString(id.Account) != customer || !strings.HasSuffix(aws.ToString(id.UserId), ":s1") {
		t.Fatalf("session identity: %+v %v", id, err)
	}
	// A tampered token or secret is refused.
	bad := credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), "wrong", aws.ToString(c.SessionToken))
	_, err = stsAs(bad).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err == nil || !strings.Contains(err.Error(), "SignatureDoesNotMatch") {
		t.Fatalf("wrong session secret: %v", err)
	}
	tampered := credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)[1:])
	_, err = regionClientWith(s, tampered).GetFindings(ctx, &securityhub.GetFindingsInput{})
	wantCode(t, err, "UnrecognizedClientException")
	// After 15 minutes the session is over.
	clk.advance(16 * time.Minute)
	_, err = regionClientWith(s, session).GetFindings(ctx, &securityhub.GetFindingsInput{})
	wantCode(t, err, "ExpiredTokenException")
	_, err = stsAs(session).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err == nil || !strings.Contains(err.Error(), "ExpiredToken") {
		t.Fatalf("expired session at STS: %v", err)
	}
	clk.advance(-16 * time.Minute)

	for _, tc := range []struct {
		name string
		in   sts.AssumeRoleInput
		want string
	}{
		{"no external id", sts.AssumeRoleInput{RoleArn: aws.String(importRole), RoleSessionName: aws.String("s2")}, "AccessDenied"},
		{"unknown role", sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111111111111:role/Nope"), RoleSessionName: aws.String("s2"), ExternalId: aws.String("ext-1")}, "AccessDenied"},
		{"too short", sts.AssumeRoleInput{RoleArn: aws.String(importRole), RoleSessionName: aws.String("s2"), ExternalId: aws.String("ext-1"), DurationSeconds: aws.Int32(899)}, "ValidationError"},
		{"longer than the role allows", sts.AssumeRoleInput{RoleArn: aws.String(importRole), RoleSessionName: aws.String("s2"), ExternalId: aws.String("ext-1"), DurationSeconds: aws.Int32(7200)}, "MaxSessionDuration"},
		{"bad session name", sts.AssumeRoleInput{RoleArn: aws.String(importRole), RoleSessionName: aws.String("a b"), ExternalId: aws.String("ext-1")}, "ValidationError"},
	} {
		_, err := partnerSTS.AssumeRole(ctx, &tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.want)
		}
	}
	// A customer user not trusted by the role.
	aliceSTS := stsAs(credentials.NewStaticCredentialsProvider("AKIAALICE0000000001", "alice-secret", ""))
	_, err = aliceSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(importRole), RoleSessionName: aws.String("s3"), ExternalId: aws.String("ext-1")})
	if err == nil || !strings.Contains(err.Error(), "AccessDenied") {
		t.Fatalf("untrusted principal: %v", err)
	}
}

func regionClientWith(s *server.Server, creds aws.CredentialsProvider) *securityhub.Client {
	return securityhub.New(securityhub.Options{Region: region, BaseEndpoint: aws.String(s.URL()), Credentials: creds})
}
