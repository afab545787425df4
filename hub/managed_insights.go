package hub

import (
	"strconv"
	"strings"

	"github.com/go-json-experiment/json"
)

// managedInsight is one of the insights AWS manages: readable by every
// account in every Region, never updated or deleted.
type managedInsight struct {
	n       int // the number in its ARN
	name    string
	groupBy string
	filters string // AwsSecurityFindingFilters JSON
}

// managedInsightPrefix is the ARN of managed insight N without N. Managed
// insight ARNs carry neither Region nor account.
const managedInsightPrefix = "arn:aws:securityhub:::insight/securityhub/default/"

func (m *managedInsight) arn() string { return managedInsightPrefix + strconv.Itoa(m.n) }

// insightFilter is one attribute of a managed insight's filters: its name,
// comparison and values (OR-ed).
type insightFilter struct {
	attr, op string
	values   []string
}

func eq(attr string, values ...string) insightFilter { return insightFilter{attr, "EQUALS", values} }

func prefix(attr string, values ...string) insightFilter {
	return insightFilter{attr, "PREFIX", values}
}

// withinDays is a DateRange filter: the last n days.
func withinDays(attr string, n int) insightFilter {
	return insightFilter{attr: attr, op: "DAYS", values: []string{strconv.Itoa(n)}}
}

// filtersJSON encodes fs as AwsSecurityFindingFilters.
func filtersJSON(fs ...insightFilter) string {
	m := map[string][]map[string]any{}
	for _, f := range fs {
		for _, v := range f.values {
			if f.op == "DAYS" {
				n, _ := strconv.Atoi(v)
				m[f.attr] = append(m[f.attr], map[string]any{"DateRange": map[string]any{"Value": n, "Unit": "DAYS"}})
				continue
			}
			m[f.attr] = append(m[f.attr], map[string]any{"Value": v, "Comparison": f.op})
		}
	}
	b, err := json.Marshal(m, json.Deterministic(true))
	if err != nil {
		panic(err)
	}
	return string(b)
}

// Types and resource types the managed insights filter on.
const (
	bestPractices = "Software and Configuration Checks/Industry and Regulatory Standards/AWS Security Best Practices"
	reachability  = "Software and Configuration Checks/AWS Security Best Practices/Network Reachability"
	s3Bucket      = "AwsS3Bucket"
	ec2Instance   = "AwsEc2Instance"
)

// managed builds an entry that has, besides fs, the filters every managed
// insight but one has: active findings whose workflow is NEW or NOTIFIED.
func managed(n int, name, groupBy string, fs ...insightFilter) managedInsight {
	fs = append(fs, eq("RecordState", "ACTIVE"), eq("WorkflowStatus", "NEW", "NOTIFIED"))
	return managedInsight{n: n, name: name, groupBy: groupBy, filters: filtersJSON(fs...)}
}

// managedInsights is the library of AWS's managed insights, in the order
// of the Security Hub user guide's list, with its names, ARNs and filters.
// The guide describes the group-by attribute in words; each is the filter
// attribute those words name ("Resource identifier" is ResourceId, "EC2
// instance image ID" ResourceAwsEc2InstanceImageId). Where the guide is
// silent or ambiguous Muster decides:
//   - 26 ("Threat Intel indicators with the most hits") names no group-by:
//     ThreatIntelIndicatorValue, the indicators its name counts.
//   - 28 ("Top products") and 35 ("Top integrations") are both "Product
//     ARN" in the guide: 28 groups by ProductName, so that the two differ
//     and 28 lists products by the names the console shows, and 35 by
//     ProductArn.
//
// The product-manifest default insights are not part of it.
var managedInsights = []managedInsight{
	managed(1, "AWS resources with the most findings", "ResourceId"),
	managed(10, "S3 buckets with public write or read permissions", "ResourceId",
		prefix("Type", "Effects/Data Exposure"), eq("ResourceType", s3Bucket)),
	managed(3, "AMIs that are generating the most findings", "ResourceAwsEc2InstanceImageId",
		eq("ResourceType", ec2Instance)),
	managed(14, "EC2 instances involved in known Tactics, Techniques, and Procedures (TTPs)", "ResourceId",
		prefix("Type", "TTPs"), eq("ResourceType", ec2Instance)),
	managed(9, "AWS principals with suspicious access key activity", "ResourceAwsIamAccessKeyPrincipalName",
		eq("ResourceType", "AwsIamAccessKey")),
	managed(6, "AWS resources instances that don't meet security standards / best practices", "ResourceId",
		eq("Type", bestPractices)),
	managed(7, "AWS resources associated with potential data exfiltration", "ResourceId",
		prefix("Type", "Effects/Data Exfiltration/")),
	managed(8, "AWS resources associated with unauthorized resource consumption", "ResourceId",
		prefix("Type", "Effects/Resource Consumption")),
	managed(11, "S3 buckets that don't meet security standards / best practice", "ResourceId",
		eq("ResourceType", s3Bucket), eq("Type", bestPractices)),
	managed(12, "S3 buckets with sensitive data", "ResourceId",
		eq("ResourceType", s3Bucket), prefix("Type", "Sensitive Data Identifications/")),
	managed(13, "Credentials that may have leaked", "ResourceId",
		prefix("Type", "Sensitive Data Identifications/Passwords/")),
	managed(16, "EC2 instances that have missing security patches for important vulnerabilities", "ResourceId",
		prefix("Type", "Software and Configuration Checks/Vulnerabilities/CVE"), eq("ResourceType", ec2Instance)),
	managed(17, "EC2 instances with general unusual behavior", "ResourceId",
		prefix("Type", "Unusual Behaviors"), eq("ResourceType", ec2Instance)),
	managed(18, "EC2 instances that have ports accessible from the Internet", "ResourceId",
		prefix("Type", reachability), eq("ResourceType", ec2Instance)),
	managed(19, "EC2 instances that don't meet security standards / best practices", "ResourceId",
		prefix("Type", "Software and Configuration Checks/Industry and Regulatory Standards/", "Software and Configuration Checks/AWS Security Best Practices"),
		eq("ResourceType", ec2Instance)),
	managed(21, "EC2 instances that are open to the Internet", "ResourceId",
		prefix("Type", reachability), eq("ResourceType", ec2Instance)),
	managed(22, "EC2 instances associated with adversary reconnaissance", "ResourceId",
		prefix("Type", "TTPs/Discovery/Recon"), eq("ResourceType", ec2Instance)),
	managed(23, "AWS resources that are associated with malware", "ResourceId",
		prefix("Type", "Effects/Data Exfiltration/Trojan", "TTPs/Initial Access/Trojan", "TTPs/Command and Control/Backdoor",
			"TTPs/Command and Control/Trojan", "Software and Configuration Checks/Backdoor", "Unusual Behaviors/VM/Backdoor")),
	managed(24, "AWS resources associated with cryptocurrency issues", "ResourceId",
		prefix("Type", "Effects/Resource Consumption/Cryptocurrency", "TTPs/Command and Control/CryptoCurrency")),
	managed(25, "AWS resources with unauthorized access attempts", "ResourceId",
		prefix("Type", "TTPs/Command and Control/UnauthorizedAccess", "TTPs/Initial Access/UnauthorizedAccess",
			"Effects/Data Exfiltration/UnauthorizedAccess", "Unusual Behaviors/User/UnauthorizedAccess",
			"Effects/Resource Consumption/UnauthorizedAccess")),
	// The one managed insight without the RecordState and WorkflowStatus
	// filters: the guide lists "Created within the last 7 days" alone.
	{n: 26, name: "Threat Intel indicators with the most hits in the last week", groupBy: "ThreatIntelIndicatorValue",
		filters: filtersJSON(withinDays("CreatedAt", 7))},
	managed(27, "Top accounts by counts of findings", "AwsAccountId"),
	managed(28, "Top products by counts of findings", "ProductName"),
	managed(29, "Severity by counts of findings", "SeverityLabel"),
	managed(30, "Top S3 buckets by counts of findings", "ResourceId", eq("ResourceType", s3Bucket)),
	managed(31, "Top EC2 instances by counts of findings", "ResourceId", eq("ResourceType", ec2Instance)),
	managed(32, "Top AMIs by counts of findings", "ResourceAwsEc2InstanceImageId", eq("ResourceType", ec2Instance)),
	managed(33, "Top IAM users by counts of findings", "ResourceAwsIamAccessKeyUserName", eq("ResourceType", "AwsIamAccessKey")),
	managed(34, "Top resources by counts of failed CIS checks", "ResourceId",
		prefix("GeneratorId", "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule"),
		withinDays("UpdatedAt", 1), eq("ComplianceStatus", "FAILED")),
	managed(35, "Top integrations by counts of findings", "ProductArn"),
	managed(36, "Resources with the most failed security checks", "ResourceId",
		withinDays("UpdatedAt", 1), eq("ComplianceStatus", "FAILED")),
	managed(37, "IAM users with suspicious activity", "ResourceAwsIamUserUserName", eq("ResourceType", "AwsIamUser")),
}

// lookupManaged returns the managed insight of arn, or nil.
func lookupManaged(arn string) *managedInsight {
	rest, ok := strings.CutPrefix(arn, managedInsightPrefix)
	if !ok {
		return nil
	}
	for i := range managedInsights {
		if m := &managedInsights[i]; strconv.Itoa(m.n) == rest {
			return m
		}
	}
	return nil
}

// isManagedARN reports whether arn has the form of an insight of the
// library — AWS's managed insights and products' default insights —
// which no account owns, so none may update or delete.
func isManagedARN(arn string) bool { return strings.HasPrefix(arn, libraryPrefix) }
