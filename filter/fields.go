package filter

import (
	"strconv"
	"strings"
)

// Fields lists every member of AwsSecurityFindingFilters, in the order of
// the API model, with the place in an ASFF finding that it reads. It is the
// one table both the in-memory matcher and the SQL compiler work from, so a
// field cannot mean one thing in memory and another in a store. Multi is
// derived from Path when the package is initialised.
var Fields = []Field{
	{Name: "ProductArn", Type: String, Path: "ProductArn"},
	{Name: "AwsAccountId", Type: String, Path: "AwsAccountId"},
	{Name: "Id", Type: String, Path: "Id"},
	{Name: "GeneratorId", Type: String, Path: "GeneratorId"},
	{Name: "Region", Type: String, Path: "Region"},
	{Name: "Type", Type: String, Path: "Types[]"},
	{Name: "FirstObservedAt", Type: Date, Path: "FirstObservedAt"},
	{Name: "LastObservedAt", Type: Date, Path: "LastObservedAt"},
	{Name: "CreatedAt", Type: Date, Path: "CreatedAt"},
	{Name: "UpdatedAt", Type: Date, Path: "UpdatedAt"},
	{Name: "SeverityProduct", Type: Number, Path: "Severity.Product", Deprecated: true},
	{Name: "SeverityNormalized", Type: Number, Path: "Severity.Normalized", Deprecated: true},
	{Name: "SeverityLabel", Type: String, Path: "Severity.Label"},
	{Name: "Confidence", Type: Number, Path: "Confidence"},
	{Name: "Criticality", Type: Number, Path: "Criticality"},
	{Name: "Title", Type: String, Path: "Title"},
	{Name: "Description", Type: String, Path: "Description"},
	{Name: "RecommendationText", Type: String, Path: "Remediation.Recommendation.Text"},
	{Name: "SourceUrl", Type: String, Path: "SourceUrl"},
	{Name: "ProductFields", Type: Map, Path: "ProductFields"},
	{Name: "ProductName", Type: String, Path: "ProductName"},
	{Name: "CompanyName", Type: String, Path: "CompanyName"},
	{Name: "UserDefinedFields", Type: Map, Path: "UserDefinedFields"},
	{Name: "MalwareName", Type: String, Path: "Malware[].Name"},
	{Name: "MalwareType", Type: String, Path: "Malware[].Type"},
	{Name: "MalwarePath", Type: String, Path: "Malware[].Path"},
	{Name: "MalwareState", Type: String, Path: "Malware[].State"},
	{Name: "NetworkDirection", Type: String, Path: "Network.Direction"},
	{Name: "NetworkProtocol", Type: String, Path: "Network.Protocol"},
	{Name: "NetworkSourceIpV4", Type: IP, Path: "Network.SourceIpV4"},
	{Name: "NetworkSourceIpV6", Type: IP, Path: "Network.SourceIpV6"},
	{Name: "NetworkSourcePort", Type: Number, Path: "Network.SourcePort"},
	{Name: "NetworkSourceDomain", Type: String, Path: "Network.SourceDomain"},
	{Name: "NetworkSourceMac", Type: String, Path: "Network.SourceMac"},
	{Name: "NetworkDestinationIpV4", Type: IP, Path: "Network.DestinationIpV4"},
	{Name: "NetworkDestinationIpV6", Type: IP, Path: "Network.DestinationIpV6"},
	{Name: "NetworkDestinationPort", Type: Number, Path: "Network.DestinationPort"},
	{Name: "NetworkDestinationDomain", Type: String, Path: "Network.DestinationDomain"},
	{Name: "ProcessName", Type: String, Path: "Process.Name"},
	{Name: "ProcessPath", Type: String, Path: "Process.Path"},
	{Name: "ProcessPid", Type: Number, Path: "Process.Pid"},
	{Name: "ProcessParentPid", Type: Number, Path: "Process.ParentPid"},
	{Name: "ProcessLaunchedAt", Type: Date, Path: "Process.LaunchedAt"},
	{Name: "ProcessTerminatedAt", Type: Date, Path: "Process.TerminatedAt"},
	{Name: "ThreatIntelIndicatorType", Type: String, Path: "ThreatIntelIndicators[].Type"},
	{Name: "ThreatIntelIndicatorValue", Type: String, Path: "ThreatIntelIndicators[].Value"},
	{Name: "ThreatIntelIndicatorCategory", Type: String, Path: "ThreatIntelIndicators[].Category"},
	{Name: "ThreatIntelIndicatorLastObservedAt", Type: Date, Path: "ThreatIntelIndicators[].LastObservedAt"},
	{Name: "ThreatIntelIndicatorSource", Type: String, Path: "ThreatIntelIndicators[].Source"},
	{Name: "ThreatIntelIndicatorSourceUrl", Type: String, Path: "ThreatIntelIndicators[].SourceUrl"},
	{Name: "ResourceType", Type: String, Path: "Resources[].Type"},
	{Name: "ResourceId", Type: String, Path: "Resources[].Id"},
	{Name: "ResourcePartition", Type: String, Path: "Resources[].Partition"},
	{Name: "ResourceRegion", Type: String, Path: "Resources[].Region"},
	{Name: "ResourceTags", Type: Map, Path: "Resources[].Tags"},
	{Name: "ResourceAwsEc2InstanceType", Type: String, Path: "Resources[].Details.AwsEc2Instance.Type"},
	{Name: "ResourceAwsEc2InstanceImageId", Type: String, Path: "Resources[].Details.AwsEc2Instance.ImageId"},
	{Name: "ResourceAwsEc2InstanceIpV4Addresses", Type: IP, Path: "Resources[].Details.AwsEc2Instance.IpV4Addresses[]"},
	{Name: "ResourceAwsEc2InstanceIpV6Addresses", Type: IP, Path: "Resources[].Details.AwsEc2Instance.IpV6Addresses[]"},
	{Name: "ResourceAwsEc2InstanceKeyName", Type: String, Path: "Resources[].Details.AwsEc2Instance.KeyName"},
	{Name: "ResourceAwsEc2InstanceIamInstanceProfileArn", Type: String, Path: "Resources[].Details.AwsEc2Instance.IamInstanceProfileArn"},
	{Name: "ResourceAwsEc2InstanceVpcId", Type: String, Path: "Resources[].Details.AwsEc2Instance.VpcId"},
	{Name: "ResourceAwsEc2InstanceSubnetId", Type: String, Path: "Resources[].Details.AwsEc2Instance.SubnetId"},
	{Name: "ResourceAwsEc2InstanceLaunchedAt", Type: Date, Path: "Resources[].Details.AwsEc2Instance.LaunchedAt"},
	{Name: "ResourceAwsS3BucketOwnerId", Type: String, Path: "Resources[].Details.AwsS3Bucket.OwnerId"},
	{Name: "ResourceAwsS3BucketOwnerName", Type: String, Path: "Resources[].Details.AwsS3Bucket.OwnerName"},
	{Name: "ResourceAwsIamAccessKeyUserName", Type: String, Path: "Resources[].Details.AwsIamAccessKey.UserName", Deprecated: true},
	{Name: "ResourceAwsIamAccessKeyPrincipalName", Type: String, Path: "Resources[].Details.AwsIamAccessKey.PrincipalName"},
	{Name: "ResourceAwsIamAccessKeyStatus", Type: String, Path: "Resources[].Details.AwsIamAccessKey.Status"},
	{Name: "ResourceAwsIamAccessKeyCreatedAt", Type: Date, Path: "Resources[].Details.AwsIamAccessKey.CreatedAt"},
	{Name: "ResourceAwsIamUserUserName", Type: String, Path: "Resources[].Details.AwsIamUser.UserName"},
	{Name: "ResourceContainerName", Type: String, Path: "Resources[].Details.Container.Name"},
	{Name: "ResourceContainerImageId", Type: String, Path: "Resources[].Details.Container.ImageId"},
	{Name: "ResourceContainerImageName", Type: String, Path: "Resources[].Details.Container.ImageName"},
	{Name: "ResourceContainerLaunchedAt", Type: Date, Path: "Resources[].Details.Container.LaunchedAt"},
	{Name: "ResourceDetailsOther", Type: Map, Path: "Resources[].Details.Other"},
	{Name: "ComplianceStatus", Type: String, Path: "Compliance.Status"},
	{Name: "VerificationState", Type: String, Path: "VerificationState"},
	{Name: "WorkflowState", Type: String, Path: "WorkflowState"},
	{Name: "WorkflowStatus", Type: String, Path: "Workflow.Status"},
	{Name: "RecordState", Type: String, Path: "RecordState"},
	{Name: "RelatedFindingsProductArn", Type: String, Path: "RelatedFindings[].ProductArn"},
	{Name: "RelatedFindingsId", Type: String, Path: "RelatedFindings[].Id"},
	{Name: "NoteText", Type: String, Path: "Note.Text"},
	{Name: "NoteUpdatedAt", Type: Date, Path: "Note.UpdatedAt"},
	{Name: "NoteUpdatedBy", Type: String, Path: "Note.UpdatedBy"},
	{Name: "Keyword", Type: Keyword, Deprecated: true},
	{Name: "FindingProviderFieldsConfidence", Type: Number, Path: "FindingProviderFields.Confidence"},
	{Name: "FindingProviderFieldsCriticality", Type: Number, Path: "FindingProviderFields.Criticality"},
	{Name: "FindingProviderFieldsRelatedFindingsId", Type: String, Path: "FindingProviderFields.RelatedFindings[].Id"},
	{Name: "FindingProviderFieldsRelatedFindingsProductArn", Type: String, Path: "FindingProviderFields.RelatedFindings[].ProductArn"},
	{Name: "FindingProviderFieldsSeverityLabel", Type: String, Path: "FindingProviderFields.Severity.Label"},
	{Name: "FindingProviderFieldsSeverityOriginal", Type: String, Path: "FindingProviderFields.Severity.Original"},
	{Name: "FindingProviderFieldsTypes", Type: String, Path: "FindingProviderFields.Types[]"},
	{Name: "Sample", Type: Boolean, Path: "Sample"},
	{Name: "ComplianceSecurityControlId", Type: String, Path: "Compliance.SecurityControlId"},
	{Name: "ComplianceAssociatedStandardsId", Type: String, Path: "Compliance.AssociatedStandards[].StandardsId"},
	{Name: "VulnerabilitiesExploitAvailable", Type: String, Path: "Vulnerabilities[].ExploitAvailable"},
	{Name: "VulnerabilitiesFixAvailable", Type: String, Path: "Vulnerabilities[].FixAvailable"},
	{Name: "ComplianceSecurityControlParametersName", Type: String, Path: "Compliance.SecurityControlParameters[].Name"},
	{Name: "ComplianceSecurityControlParametersValue", Type: String, Path: "Compliance.SecurityControlParameters[].Value[]"},
	{Name: "AwsAccountName", Type: String, Path: "AwsAccountName"},
	{Name: "ResourceApplicationName", Type: String, Path: "Resources[].ApplicationName"},
	{Name: "ResourceApplicationArn", Type: String, Path: "Resources[].ApplicationArn"},
}

// KeywordPaths are the members that the Keyword filter searches. The model
// gives KeywordFilter no place in a finding and AWS documents no meaning for
// it (the member is deprecated; it was the console's free-text box), so
// Muster reads it as a case-sensitive substring search of the finding's
// human-readable text: Title and Description. Case-sensitive like every
// other Security Hub filter value, and a plain substring so that a store can
// express it as instr(column, value) > 0.
var KeywordPaths = []string{"Title", "Description"}

// step is one segment of a Field.Path: a member name, and whether the
// member is an array whose elements the path continues into.
type step struct {
	name  string
	array bool
}

var (
	byName   = map[string]*Field{}
	byPath   = map[string]*Field{}
	fieldIdx = map[string]int{}
	keywordS [][]step
)

func init() {
	for i := range Fields {
		f := &Fields[i]
		f.steps = parsePath(f.Path)
		f.Multi = strings.Contains(f.Path, "[]")
		byName[f.Name] = f
		fieldIdx[f.Name] = i
		if f.Path != "" {
			byPath[f.Path] = f
		}
	}
	for _, p := range KeywordPaths {
		keywordS = append(keywordS, parsePath(p))
	}
}

func parsePath(p string) []step {
	if p == "" {
		return nil
	}
	parts := strings.Split(p, ".")
	steps := make([]step, len(parts))
	for i, s := range parts {
		name, arr := strings.CutSuffix(s, "[]")
		steps[i] = step{name: name, array: arr}
	}
	return steps
}

// LookupField returns the field of the filter attribute called name (as
// spelt in AwsSecurityFindingFilters, case-sensitive), or nil. The pointer
// is into Fields, so conditions and sorts can compare fields by identity.
func LookupField(name string) *Field {
	return byName[name]
}

// lookupPath returns the field whose ASFF path is p, for sort criteria that
// name a field as a finding's member rather than as a filter attribute.
func lookupPath(p string) *Field {
	return byPath[p]
}

// String returns the model's name of the filter list shape, so that
// messages and test failures name types as the API reference does.
func (t Type) String() string {
	switch t {
	case String:
		return "StringFilterList"
	case Number:
		return "NumberFilterList"
	case Date:
		return "DateFilterList"
	case Map:
		return "MapFilterList"
	case Boolean:
		return "BooleanFilterList"
	case IP:
		return "IpFilterList"
	case Keyword:
		return "KeywordFilterList"
	}
	return "Type(" + strconv.Itoa(int(t)) + ")"
}
