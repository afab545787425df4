package corpus

// Expected lists the corpus findings that AWS would reject even after
// Prepare, keyed "file#index", each with a substring of the error message
// Check must return. Every entry was reviewed against the evidence in
// shared/corpus/PROVENANCE.md and AWS's recorded rejections; the test of
// this package fails when an entry is stale (the finding passes, or fails
// otherwise) or when a finding that is not listed fails.
//
// Deliberately not listed (accepted by AWS, so by Check): empty strings in
// members without a documented minimum (Trivy's Details.Other, GuardDuty's
// ProductFields values), Types that are not in the documented namespaces
// ("IAM", "Software & Configuration Checks/…", "Policy:IAMUser/…"), empty
// Types lists, unknown members (EpssScore), 9-digit fractions and offsets
// in timestamps, and GuardDuty's 53 ProductFields (50 of its own plus the 3
// that Security Hub adds).
var Expected = map[string]string{
	// The CLI reference example has a number in FindingProviderFields.Severity.Original, a string in the model (botocore itself refuses to send it).
	"aws-cli-examples.json#1": "data.FindingProviderFields.Severity.Original should be string",
	// Early (2018–2019) Cloud Custodian findings have no Description, which the model and the guide require.
	"cloud-custodian-placebo-getfindings.json#23": "data should have required property 'Description'",
	"cloud-custodian-placebo-getfindings.json#25": "data should have required property 'Description'",
	"cloud-custodian-placebo-getfindings.json#26": "data should have required property 'Description'",
	"cloud-custodian-placebo-getfindings.json#27": "data should have required property 'Description'",
	"cloud-custodian-placebo-getfindings.json#28": "data should have required property 'Description'",
	"cloud-custodian-placebo-getfindings.json#30": "data should have required property 'Description'",
	"cloud-custodian-placebo-getfindings.json#31": "data should have required property 'Description'",
	"cloud-custodian-placebo-getfindings.json#38": "data should have required property 'Description'",
	"cloud-custodian-placebo-getfindings.json#39": "data should have required property 'Description'",
	"cloud-custodian-placebo-getfindings.json#41": "data should have required property 'Description'",
	"cloud-custodian-placebo-getfindings.json#42": "data should have required property 'Description'",
	"cloud-custodian-placebo-getfindings.json#43": "data should have required property 'Description'",
	// DefectDojo edited these Inspector samples: Cvss[].BaseScore is the string "7.5", a Double in the model.
	"defectdojo-inspector.json#20": "data.Vulnerabilities[0].Cvss[0].BaseScore should be number",
	"defectdojo-inspector.json#21": "data.Vulnerabilities[0].Cvss[0].BaseScore should be number",
	// Prowler 3.3.0 sends Compliance.Status "INFOED", not in the enum (PASSED, WARNING, FAILED, NOT_AVAILABLE).
	"defectdojo-prowler-asff-output.json#34":  "data.Compliance.Status should be equal to one of the allowed values",
	"defectdojo-prowler-asff-output.json#35":  "data.Compliance.Status should be equal to one of the allowed values",
	"defectdojo-prowler-asff-output.json#36":  "data.Compliance.Status should be equal to one of the allowed values",
	"defectdojo-prowler-asff-output.json#713": "data.Compliance.Status should be equal to one of the allowed values",
	// ElectricEye docs samples: an impossible timestamp (hour 122), partition aws-iso (not in the Partition enum), and a nested object in ProductFields.AssetDetails that ElectricEye itself says to remove before BatchImportFindings.
	"electriceye-docs.json#0": "data.FirstObservedAt should match format \"date-time\"",
	"electriceye-docs.json#1": "data.ProductFields.AssetDetails should be string",
	"electriceye-docs.json#2": "data.Resources[0].Partition should be equal to one of the allowed values",
	"electriceye-docs.json#3": "data.ProductFields.AssetDetails should be string",
	"electriceye-docs.json#4": "data.ProductFields.AssetDetails should be string",
	"electriceye-docs.json#5": "data.ProductFields.AssetDetails should be string",
	// A FindingProviderFields.Types entry ending in "/" (an empty classifier), the failure of mitre/heimdall2#2581.
	"heimdall2-saf-hdf-to-asff.json#2": "data.FindingProviderFields.Types[17] should match pattern \"^([^/]+)(/[^/]+){0,2}$\"",
	// Descriptions longer than 1024 characters (the guide's and AWS's observed limit).
	"heimdall2-trivy.json#13": "data.Description should NOT be longer than 1024 characters",
	"heimdall2-trivy.json#16": "data.Description should NOT be longer than 1024 characters",
	"heimdall2-trivy.json#17": "data.Description should NOT be longer than 1024 characters",
	"heimdall2-trivy.json#22": "data.Description should NOT be longer than 1024 characters",
	"heimdall2-trivy.json#25": "data.Description should NOT be longer than 1024 characters",
	"heimdall2-trivy.json#26": "data.Description should NOT be longer than 1024 characters",
	// No GeneratorId, which the model requires.
	"rapid7-insightconnect-aws-securityhub.json#1": "data should have required property 'GeneratorId'",
	// Empty Description: the guide documents a minimum length of 1 (AWS rejects empty strings where a minimum is documented, e.g. Remediation.Recommendation.Text in aquasecurity/kube-bench#903).
	"trivy-golden.json#21":  "data.Description should NOT be shorter than 1 characters",
	"trivy-golden.json#103": "data.Description should NOT be shorter than 1 characters",
	"trivy-golden.json#112": "data.Description should NOT be shorter than 1 characters",
	"trivy-golden.json#114": "data.Description should NOT be shorter than 1 characters",
	"trivy-golden.json#117": "data.Description should NOT be shorter than 1 characters",
}
