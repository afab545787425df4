package bench

import (
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
)

// Generator makes realistic findings for one account and region: the mix
// of resources, severities and products that a hub fed by a few scanners
// holds, so that the store's indexes and filters are measured on data that
// looks like production rather than on copies of one finding. The same
// seed and Now give the same findings.
//
// Finding i is a function of the seed, Now and i alone, so At(i) makes it
// again at any time: the bench re-imports and updates stored findings
// without keeping them in memory.
type Generator struct {
	Region, Account string
	// Now is the newest UpdatedAt; findings spread over the 60 days before.
	Now time.Time

	seed        uint64
	pcg         *rand.PCG // reseeded for each finding
	rng         *rand.Rand
	zipf        *rand.Zipf
	resources   []resource
	used        []int // how many findings name each resource; nil in a clone
	products    []*string
	timestamps  []*string // one a minute over the 60 days, oldest first
	n           int
	idPrefix    string
	tagsByOwner []map[string]string

	// Read-only parts that findings share, made once.
	schemaVersion, account, region *string
	percents                       [101]int32
	severities                     [101]types.Severity
	workflows                      [4]types.Workflow
	perRule                        []sharedParts
}

// Spread is how far back UpdatedAt goes.
const Spread = 60 * 24 * time.Hour

type resource struct {
	typ, id string
	kind    int // index in resourceKindNames
	details *types.ResourceDetails
	tags    map[string]string
	wire    types.Resource
}

const resourceKinds = 5

var resourceKindNames = [resourceKinds]string{"AwsEc2Instance", "AwsS3Bucket", "AwsIamRole", "AwsLambdaFunction", "Container"}

// resourceCount is the size of the resource pool; drawing from it with a
// Zipf distribution gives a few ids in thousands of findings and a long
// tail of ids in one or none.
const resourceCount = 50_000

// NewGenerator returns a generator seeded with seed.
func NewGenerator(seed uint64, region, account string, now time.Time) *Generator {
	g := &Generator{
		Region: region, Account: account, Now: now.UTC().Truncate(time.Minute),
		seed: seed,
	}
	g.newRand()
	g.idPrefix = "arn:aws:securityhub:" + region + ":" + account + ":bench/" + strconv.FormatUint(seed, 36) + "/finding/"
	for _, p := range ProductArns(region, account) {
		g.products = append(g.products, aws.String(p))
	}
	start := g.Now.Add(-Spread)
	minutes := int(Spread / time.Minute)
	g.timestamps = make([]*string, minutes+1)
	for i := range g.timestamps {
		g.timestamps[i] = aws.String(start.Add(time.Duration(i) * time.Minute).Format("2006-01-02T15:04:05.000Z"))
	}
	g.tagsByOwner = make([]map[string]string, 24)
	for i := range g.tagsByOwner {
		t := map[string]string{
			"team":        teams[i%len(teams)],
			"environment": envs[i%len(envs)],
			"cost-center": "cc-" + strconv.Itoa(1000+i*37),
		}
		if i%3 == 0 {
			t["owner"] = teams[(i+1)%len(teams)] + "@example.com"
		}
		if i%4 == 0 {
			t["data-classification"] = []string{"public", "internal", "confidential"}[i%3]
		}
		g.tagsByOwner[i] = t
	}
	g.resources = make([]resource, resourceCount)
	g.used = make([]int, resourceCount)
	for i := range g.resources {
		res := g.newResource(i)
		for k, name := range resourceKindNames {
			if name == res.typ {
				res.kind = k
			}
		}
		res.wire = types.Resource{
			Type: aws.String(res.typ), Id: aws.String(res.id),
			Partition: types.PartitionAws, Region: aws.String(region),
			Tags: res.tags, Details: res.details,
		}
		g.resources[i] = res
	}
	g.share()
	return g
}

// ProductArns are the products the generated findings come from: the
// account's default product, which every hub accepts from its own account,
// and products of the same company (the account) beside it.
func ProductArns(region, account string) []string {
	p := "arn:aws:securityhub:" + region + ":" + account + ":product/" + account + "/"
	return []string{p + "default", p + "prowler", p + "trivy", p + "cloud-custodian"}
}

// productWeights: most findings come from the default product.
var productWeights = []int{55, 25, 15, 5}

// ResourceIDPrefix is the prefix shared by every EC2 instance's Id, about a
// third of the resources.
func ResourceIDPrefix(region, account string) string {
	return "arn:aws:ec2:" + region + ":" + account + ":instance/"
}

func (g *Generator) newResource(i int) resource {
	n := strconv.Itoa(i)
	hex := strconv.FormatUint(uint64(i)*2654435761%(1<<40), 16)
	r := resource{tags: g.tagsByOwner[i%len(g.tagsByOwner)]}
	switch i % 6 {
	case 0, 3:
		r.typ = "AwsEc2Instance"
		r.id = ResourceIDPrefix(g.Region, g.Account) + "i-0" + hex
		r.details = &types.ResourceDetails{AwsEc2Instance: &types.AwsEc2InstanceDetails{
			Type:          aws.String(instanceTypes[i%len(instanceTypes)]),
			ImageId:       aws.String("ami-0" + strconv.FormatUint(uint64(i)*40503%(1<<36), 16)),
			IpV4Addresses: []string{"10." + strconv.Itoa(i>>16&255) + "." + strconv.Itoa(i>>8&255) + "." + strconv.Itoa(i&255)},
			VpcId:         aws.String("vpc-0" + strconv.FormatUint(uint64(i%17)*97531, 16)),
			SubnetId:      aws.String("subnet-0" + strconv.FormatUint(uint64(i%61)*86421, 16)),
			KeyName:       aws.String("deploy-" + envs[i%len(envs)]),
			LaunchedAt:    g.timestamps[i%len(g.timestamps)],
		}}
	case 1:
		r.typ = "AwsS3Bucket"
		r.id = "arn:aws:s3:::" + teams[i%len(teams)] + "-" + envs[i%len(envs)] + "-data-" + n
		r.details = &types.ResourceDetails{AwsS3Bucket: &types.AwsS3BucketDetails{
			Name:      aws.String(teams[i%len(teams)] + "-" + envs[i%len(envs)] + "-data-" + n),
			OwnerId:   aws.String("79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"),
			OwnerName: aws.String("security-" + envs[i%len(envs)]),
			CreatedAt: g.timestamps[(i*7)%len(g.timestamps)],
			ServerSideEncryptionConfiguration: &types.AwsS3BucketServerSideEncryptionConfiguration{
				Rules: []types.AwsS3BucketServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: &types.AwsS3BucketServerSideEncryptionByDefault{SSEAlgorithm: aws.String("AES256")}}},
			},
		}}
	case 2:
		name := teams[i%len(teams)] + "-" + roles[i%len(roles)] + "-" + n
		r.typ = "AwsIamRole"
		r.id = "arn:aws:iam::" + g.Account + ":role/" + name
		r.details = &types.ResourceDetails{AwsIamRole: &types.AwsIamRoleDetails{
			RoleName:                 aws.String(name),
			RoleId:                   aws.String("AROA" + strconv.FormatUint(uint64(i)*2246822519%(1<<60), 36)),
			Path:                     aws.String("/service-role/"),
			CreateDate:               g.timestamps[(i*13)%len(g.timestamps)],
			MaxSessionDuration:       aws.Int32(3600),
			AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
		}}
	case 4:
		name := teams[i%len(teams)] + "-handler-" + n
		r.typ = "AwsLambdaFunction"
		r.id = "arn:aws:lambda:" + g.Region + ":" + g.Account + ":function:" + name
		r.details = &types.ResourceDetails{AwsLambdaFunction: &types.AwsLambdaFunctionDetails{
			FunctionName: aws.String(name),
			Runtime:      aws.String(runtimes[i%len(runtimes)]),
			Handler:      aws.String("main.handler"),
			MemorySize:   aws.Int32(int32(128 << (i % 4))),
			Timeout:      aws.Int32(30),
			Role:         aws.String("arn:aws:iam::" + g.Account + ":role/" + name + "-exec"),
			LastModified: g.timestamps[(i*11)%len(g.timestamps)],
		}}
	default:
		r.typ = "Container"
		r.id = "registry.example.com/" + teams[i%len(teams)] + "/service-" + n + ":1." + strconv.Itoa(i%20)
		r.details = &types.ResourceDetails{Other: map[string]string{
			"ImageDigest": "sha256:" + hex + "c0ffee" + hex,
			"Registry":    "registry.example.com",
			"Repository":  teams[i%len(teams)] + "/service-" + n,
		}}
	}
	return r
}

func (g *Generator) newRand() {
	g.pcg = rand.NewPCG(0, 0)
	g.rng = rand.New(g.pcg)
	g.zipf = rand.NewZipf(g.rng, 1.1, 4, resourceCount-1)
}

// reseed starts the random stream of finding i, or of a variant of it.
func (g *Generator) reseed(i, variant uint64) {
	g.pcg.Seed(g.seed^splitmix(i), splitmix(i^splitmix(variant^0x9e3779b97f4a7c15)))
}

// splitmix is SplitMix64's finalizer: neighbouring inputs give unrelated
// outputs, so that findings i and i+1 start unrelated random streams.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// Clone returns a generator of the same findings that can be used in
// another goroutine: it shares the read-only parts and has its own random
// state. A clone does not count resource use (see ResourceUse).
func (g *Generator) Clone() *Generator {
	c := *g
	c.used = nil
	c.newRand()
	return &c
}

// Next returns the next finding. Findings share their read-only parts
// (resources, tags, remediation…) with each other: change a copy, not them.
func (g *Generator) Next() types.AwsSecurityFinding {
	var f types.AwsSecurityFinding
	g.fill(&f, g.n, true)
	g.n++
	return f
}

// Generate fills dst with the next len(dst) findings, in place: a finding
// is a large struct, and copying it costs as much as making it.
func (g *Generator) Generate(dst []types.AwsSecurityFinding) {
	for i := range dst {
		g.fill(&dst[i], g.n, true)
		g.n++
	}
}

// At returns finding i (counting from 0), the same that the (i+1)th call
// of Next returns, whatever was generated before.
func (g *Generator) At(i int) types.AwsSecurityFinding {
	var f types.AwsSecurityFinding
	g.fill(&f, i, false)
	return f
}

// Reimport returns finding i as its provider sends it again at updated:
// UpdatedAt and LastObservedAt are updated, and the check's result has
// moved on — most findings still fail (a new Compliance result), some were
// fixed (PASSED and ARCHIVED), some changed severity. The changes depend
// on i and updated. For the import to be applied rather than dropped as
// stale, updated must be later than the finding's stored UpdatedAt.
func (g *Generator) Reimport(i int, updated time.Time) types.AwsSecurityFinding {
	var f types.AwsSecurityFinding
	ri := g.fill(&f, i, false)
	g.reseed(uint64(i), uint64(updated.UnixNano()))
	r := g.rng
	shared := &g.perRule[ri]
	ts := aws.String(updated.UTC().Format("2006-01-02T15:04:05.000Z"))
	f.UpdatedAt, f.LastObservedAt = ts, ts
	switch x := r.IntN(10); {
	case x < 2: // fixed
		f.Compliance = &shared.compliance[0] // PASSED
		f.RecordState = types.RecordStateArchived
	case x < 3: // the provider rated it again
		n := r.IntN(len(g.severities))
		f.Severity = &g.severities[n]
		f.FindingProviderFields = &shared.providerFields[sevIndex(severityOf(n))]
		f.RecordState = types.RecordStateActive
	default: // still failing
		f.Compliance = &shared.compliance[1+r.IntN(3)] // FAILED, FAILED, WARNING
		f.RecordState = types.RecordStateActive
	}
	f.Description = aws.String(truncate(rules[ri].description+" Resource "+aws.ToString(f.Resources[0].Id)+" was evaluated on "+*ts+".", 1024))
	return f
}

// fill makes finding i and returns the index of its rule.
func (g *Generator) fill(f *types.AwsSecurityFinding, i int, count bool) int {
	g.reseed(uint64(i), 0)
	r := g.rng
	ri := r.IntN(len(rules))
	rule := &rules[ri]
	shared := &g.perRule[ri]
	sev := severity(r.IntN(100))

	nres := 1
	if x := r.IntN(10); x >= 6 {
		nres = 2
		if x == 9 {
			nres = 3
		}
	}
	resources := make([]types.Resource, nres)
	var first *resource
	for i := range resources {
		k := int(g.zipf.Uint64())
		if count && g.used != nil {
			g.used[k]++
		}
		res := &g.resources[k]
		if first == nil {
			first = res
		}
		resources[i] = res.wire
	}

	// UpdatedAt is spread evenly over the window; CreatedAt is up to a
	// week before it, and never before the window.
	u := r.IntN(len(g.timestamps))
	c := max(0, u-r.IntN(7*24*60))

	workflow := 0 // NEW
	switch x := r.IntN(100); {
	case x >= 95:
		workflow = 3
	case x >= 85:
		workflow = 2
	case x >= 70:
		workflow = 1
	}
	record := types.RecordStateActive
	if r.IntN(10) == 0 {
		record = types.RecordStateArchived
	}
	normalized := int(sev.normalized) + r.IntN(int(sev.span))

	*f = types.AwsSecurityFinding{
		SchemaVersion:         g.schemaVersion,
		Id:                    aws.String(g.idPrefix + strconv.FormatUint(r.Uint64()>>16, 36) + "-" + strconv.Itoa(i+1)),
		ProductArn:            g.products[weighted(r.IntN(100), productWeights)],
		GeneratorId:           shared.generator,
		AwsAccountId:          g.account,
		Region:                g.region,
		Types:                 rule.types,
		FirstObservedAt:       g.timestamps[c],
		LastObservedAt:        g.timestamps[u],
		CreatedAt:             g.timestamps[c],
		UpdatedAt:             g.timestamps[u],
		Severity:              &g.severities[normalized],
		Confidence:            &g.percents[50+r.IntN(51)],
		Criticality:           &g.percents[r.IntN(101)],
		Title:                 shared.titles[first.kind],
		Description:           aws.String(truncate(rule.description+" Resource "+first.id+" was evaluated on "+*g.timestamps[u]+".", 1024)),
		Remediation:           shared.remediation,
		ProductFields:         shared.productFields[r.IntN(2)],
		Resources:             resources,
		Compliance:            &shared.compliance[r.IntN(len(shared.compliance))],
		FindingProviderFields: &shared.providerFields[sevIndex(sev.label)],
		Workflow:              &g.workflows[workflow],
		RecordState:           record,
	}
	return ri
}

// sharedParts are the parts of findings that depend on the rule only.
type sharedParts struct {
	generator      *string
	titles         [resourceKinds]*string
	remediation    *types.Remediation
	productFields  [2]map[string]string
	compliance     []types.Compliance
	providerFields [5]types.FindingProviderFields
}

func (g *Generator) share() {
	g.schemaVersion = aws.String("2018-10-08")
	g.account = aws.String(g.Account)
	g.region = aws.String(g.Region)
	for i := range g.percents {
		g.percents[i] = int32(i)
	}
	for i := range g.severities {
		label := severityOf(i)
		g.severities[i] = types.Severity{Label: label, Normalized: &g.percents[i], Original: aws.String(string(label))}
	}
	for i, s := range []types.WorkflowStatus{types.WorkflowStatusNew, types.WorkflowStatusNotified, types.WorkflowStatusResolved, types.WorkflowStatusSuppressed} {
		g.workflows[i] = types.Workflow{Status: s}
	}
	g.perRule = make([]sharedParts, len(rules))
	for i := range rules {
		rule := &rules[i]
		p := &g.perRule[i]
		p.generator = aws.String(rule.generator)
		for k, name := range resourceKindNames {
			p.titles[k] = aws.String(truncate(rule.title+" ("+name+")", 256))
		}
		p.remediation = &types.Remediation{Recommendation: &types.Recommendation{Text: aws.String(rule.remediation), Url: aws.String(rule.url)}}
		for v := range p.productFields {
			pf := map[string]string{
				"ProviderName":    rule.provider,
				"ProviderVersion": rule.version,
				"bench/RuleId":    rule.id,
				"bench/Category":  rule.category,
			}
			if v == 1 {
				pf["bench/Check"] = rule.check
			}
			p.productFields[v] = pf
		}
		for _, st := range complianceStatuses {
			p.compliance = append(p.compliance, types.Compliance{
				Status:              st,
				RelatedRequirements: rule.requirements,
				SecurityControlId:   aws.String(rule.control),
				AssociatedStandards: rule.standards,
				StatusReasons:       rule.reasons,
			})
		}
		for s, label := range severityLabels {
			p.providerFields[s] = types.FindingProviderFields{
				Severity: &types.FindingProviderSeverity{Label: label, Original: aws.String(string(label))},
				Types:    rule.types,
			}
		}
	}
}

var severityLabels = []types.SeverityLabel{types.SeverityLabelInformational, types.SeverityLabelLow, types.SeverityLabelMedium, types.SeverityLabelHigh, types.SeverityLabelCritical}

func sevIndex(l types.SeverityLabel) int {
	for i, x := range severityLabels {
		if x == l {
			return i
		}
	}
	return 0
}

// severityOf is the label Security Hub gives a Normalized score.
func severityOf(n int) types.SeverityLabel {
	switch {
	case n == 0:
		return types.SeverityLabelInformational
	case n < 40:
		return types.SeverityLabelLow
	case n < 70:
		return types.SeverityLabelMedium
	case n < 90:
		return types.SeverityLabelHigh
	}
	return types.SeverityLabelCritical
}

// ResourceUse returns the least and the most used resource Ids of the
// findings made so far, so that queries can ask for a rare and a common
// one that exist.
func (g *Generator) ResourceUse() (rare string, common string) {
	best, least := -1, -1
	for i, n := range g.used {
		if n > 0 && (least < 0 || n < g.used[least]) {
			least = i
		}
		if best < 0 || n > g.used[best] {
			best = i
		}
	}
	if least >= 0 {
		rare = g.resources[least].id
	}
	if best >= 0 {
		common = g.resources[best].id
	}
	return rare, common
}

type sevClass struct {
	label      types.SeverityLabel
	normalized int32 // lowest Normalized of the label
	span       int32
}

// severity maps a percentile to a label: most findings are informational
// or low, a few are critical, as in a real account.
func severity(p int) sevClass {
	switch {
	case p < 30:
		return sevClass{types.SeverityLabelInformational, 0, 1}
	case p < 60:
		return sevClass{types.SeverityLabelLow, 1, 39}
	case p < 85:
		return sevClass{types.SeverityLabelMedium, 40, 30}
	case p < 96:
		return sevClass{types.SeverityLabelHigh, 70, 20}
	default:
		return sevClass{types.SeverityLabelCritical, 90, 11}
	}
}

func weighted(p int, weights []int) int {
	for i, w := range weights {
		if p < w {
			return i
		}
		p -= w
	}
	return len(weights) - 1
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

var (
	teams              = []string{"payments", "search", "identity", "platform", "data", "mobile", "ledger", "growth"}
	envs               = []string{"prod", "staging", "dev"}
	roles              = []string{"deployer", "reader", "admin", "ci", "backup"}
	runtimes           = []string{"python3.12", "nodejs20.x", "java21", "provided.al2023"}
	instanceTypes      = []string{"t3.micro", "t3.large", "m6i.xlarge", "c7g.2xlarge", "r6i.large"}
	complianceStatuses = []types.ComplianceStatus{types.ComplianceStatusPassed, types.ComplianceStatusFailed, types.ComplianceStatusFailed, types.ComplianceStatusWarning, types.ComplianceStatusNotAvailable}
)

type rule struct {
	id, provider, version, category, check string
	generator, title, description          string
	remediation, url, control              string
	types, requirements                    []string
	standards                              []types.AssociatedStandard
	reasons                                []types.StatusReason
}

// rules is the catalogue findings are drawn from: checks of the kinds that
// Prowler, Trivy and AWS's own standards report.
var rules = makeRules()

func makeRules() []rule {
	base := []struct {
		provider, category, control, title, text, fix string
		typ                                           string
	}{
		{"Prowler", "encryption", "S3.4", "S3 bucket does not have server-side encryption enabled", "Server-side encryption protects data at rest. The bucket has no default encryption configuration, so objects written without an encryption header are stored unencrypted.", "Enable default encryption with SSE-S3 or SSE-KMS on the bucket and add a bucket policy that denies PutObject requests without encryption.", "Software and Configuration Checks/AWS Security Best Practices"},
		{"Prowler", "logging", "CloudTrail.1", "CloudTrail is not enabled in all regions", "A multi-region trail records API activity in every region, including regions the account does not normally use, which is where an attacker would hide resources.", "Create a multi-region trail that logs management events and delivers them to a dedicated, access-restricted S3 bucket.", "Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark"},
		{"Prowler", "network", "EC2.19", "Security group allows unrestricted access to high-risk ports", "The security group allows inbound traffic from 0.0.0.0/0 to ports such as 22, 3389 or 3306. Exposed administrative and database ports are scanned continuously from the internet.", "Restrict the inbound rules to known address ranges, or use Systems Manager Session Manager instead of opening administrative ports.", "Software and Configuration Checks/AWS Security Best Practices/Network Reachability"},
		{"Prowler", "iam", "IAM.1", "IAM policy allows full administrative privileges", "A customer managed policy grants Action * on Resource *. Principals with this policy can change any resource and any permission in the account.", "Grant least privilege: replace the statement with the specific actions and resources that the principal needs, and review access with IAM Access Analyzer.", "Software and Configuration Checks/AWS Security Best Practices"},
		{"Trivy", "vulnerability", "Inspector.2", "Package has a known vulnerability with a fix available", "The package version installed in the image is affected by a published vulnerability. An attacker able to reach the vulnerable code path may execute code or read memory of the process.", "Upgrade the package to the fixed version listed in the advisory and rebuild the image; redeploy every service that uses it.", "Software and Configuration Checks/Vulnerabilities/CVE"},
		{"Trivy", "secret", "Secrets.1", "Secret found in container image layer", "A file in an image layer contains what looks like a credential. Anyone who can pull the image can read it, even if a later layer deletes the file.", "Rotate the exposed credential now, remove it from the build context and pass secrets at run time through a secrets manager.", "Sensitive Data Identifications/Passwords"},
		{"Cloud Custodian", "tagging", "Config.1", "Resource is missing required tags", "The resource lacks one or more of the tags that the organization requires for cost allocation and ownership, so findings about it cannot be routed to a team.", "Add the team, environment and cost-center tags, and enforce them with a tag policy or a service control policy.", "Software and Configuration Checks/Industry and Regulatory Standards"},
		{"AWS", "monitoring", "GuardDuty.1", "Unusual API activity from an instance credential", "Instance role credentials were used from an address outside AWS. This can mean that the credentials were exfiltrated from the instance metadata service.", "Require IMDSv2 on the instance, rotate the role's sessions, and review CloudTrail for calls made with the credentials.", "TTPs/Initial Access/UnauthorizedAccess:IAMUser-InstanceCredentialExfiltration"},
		{"AWS", "backup", "RDS.11", "Automatic backups are not enabled", "The database has a backup retention period of zero, so a deletion or corruption cannot be recovered from a point in time.", "Set a backup retention period of at least seven days and enable deletion protection on production databases.", "Software and Configuration Checks/AWS Security Best Practices"},
		{"AWS", "lambda", "Lambda.2", "Lambda function uses an unsupported runtime", "The function runs on a runtime that no longer receives security patches from AWS.", "Update the function to a supported runtime and run its tests before deploying.", "Software and Configuration Checks/AWS Security Best Practices"},
	}
	var out []rule
	for i := range 300 {
		b := base[i%len(base)]
		n := strconv.Itoa(i)
		r := rule{
			id:          "bench-" + b.category + "-" + n,
			provider:    b.provider,
			version:     "4." + strconv.Itoa(i%9) + ".0",
			category:    b.category,
			check:       b.category + "_check_" + n,
			generator:   "bench/" + b.category + "/" + b.control + "/" + n,
			title:       b.title,
			description: b.text + " Check " + b.control + " (rule " + n + ") evaluated the resource against the organization baseline and recorded the configuration it found.",
			remediation: b.fix,
			url:         "https://docs.example.com/security/controls/" + b.control + "#rule-" + n,
			control:     b.control,
			types:       []string{b.typ},
			requirements: []string{
				"NIST.800-53.r5 " + []string{"AC-3", "AU-2", "CM-6", "SC-7", "SI-2"}[i%5],
				"PCI DSS v3.2.1/" + strconv.Itoa(1+i%12) + "." + strconv.Itoa(1+i%5),
			},
		}
		if i%4 == 0 {
			r.types = append(r.types, "Effects/Data Exposure")
		}
		r.standards = []types.AssociatedStandard{{StandardsId: aws.String("standards/aws-foundational-security-best-practices/v/1.0.0")}}
		if i%3 == 0 {
			r.standards = append(r.standards, types.AssociatedStandard{StandardsId: aws.String("standards/nist-800-53/v/5.0.0")})
		}
		r.reasons = []types.StatusReason{{
			ReasonCode:  aws.String([]string{"CONFIG_EVALUATIONS_EMPTY", "CONFIG_RECORDER_DISABLED", "CONFIG_ACCESS_DENIED"}[i%3]),
			Description: aws.String("The evaluation of " + b.control + " used the configuration recorded by the last scan; resources changed since then are evaluated on the next one."),
		}}
		out = append(out, r)
	}
	return out
}
