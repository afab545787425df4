package server_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// boto3Script drives the server with boto3 as a Python user would, and
// prints OK when every check holds.
const boto3Script = `
import os, sys, boto3, botocore
sh = boto3.client("securityhub", endpoint_url=os.environ["MUSTER_URL"], region_name="eu-central-1",
                  aws_access_key_id="222222222222", aws_secret_access_key="x",
                  config=botocore.config.Config(retries={"max_attempts": 1}))
try:
    sh.get_findings()
    sys.exit("get_findings without a hub succeeded")
except sh.exceptions.InvalidAccessException as e:
    assert "not subscribed" in str(e), e
sh.enable_security_hub(EnableDefaultStandards=False)
try:
    sh.enable_security_hub()
    sys.exit("second enable succeeded")
except sh.exceptions.ResourceConflictException:
    pass
arn = "arn:aws:securityhub:eu-central-1:222222222222:product/222222222222/default"
def finding(i, label):
    return {"SchemaVersion": "2018-10-08", "Id": "boto-%d" % i, "ProductArn": arn, "GeneratorId": "g",
            "AwsAccountId": "222222222222", "Types": ["Effects/Data Exposure"],
            "CreatedAt": "2024-06-01T00:00:00.000Z", "UpdatedAt": "2024-06-01T00:00:%02d.000Z" % (i % 60),
            "Severity": {"Normalized": label}, "Title": "t", "Description": "d",
            "Resources": [{"Type": "AwsIamRole", "Id": "arn:aws:iam::222222222222:role/r%d" % (i % 3),
                           "Tags": {"env": "prod" if i % 2 else "dev"}}]}
out = sh.batch_import_findings(Findings=[finding(i, 95 if i % 4 == 0 else 10) for i in range(100)])
assert out["SuccessCount"] == 100 and out["FailedCount"] == 0 and out["FailedFindings"] == [], out
pages = sh.get_paginator("get_findings").paginate(
    Filters={"SeverityLabel": [{"Value": "CRITICAL", "Comparison": "EQUALS"}],
             "ResourceTags": [{"Key": "env", "Value": "dev", "Comparison": "EQUALS"}]},
    PaginationConfig={"PageSize": 4})
got = [f for p in pages for f in p["Findings"]]
assert len(got) == 25, len(got)
assert all(f["Severity"]["Label"] == "CRITICAL" and f["Severity"]["Normalized"] == 95 for f in got)
assert len({f["Id"] for f in got}) == 25
try:
    sh.get_findings(MaxResults=100, Filters={"SeverityLabel": [{"Value": "LOW", "Comparison": "SOMETIMES"}]})
    sys.exit("bad comparison accepted")
except sh.exceptions.InvalidInputException:
    pass
# Triage with batch_update_findings, then read the history back.
ids = [{"Id": "boto-0", "ProductArn": arn}, {"Id": "boto-missing", "ProductArn": arn}]
out = sh.batch_update_findings(FindingIdentifiers=ids, Workflow={"Status": "RESOLVED"},
                               Note={"Text": "fixed in 1.2", "UpdatedBy": "ops"}, Severity={"Label": "LOW"})
assert out["ProcessedFindings"] == [ids[0]], out
assert out["UnprocessedFindings"] == [{"FindingIdentifier": ids[1], "ErrorCode": "FindingNotFound",
                                       "ErrorMessage": "Finding Not Found"}], out
f = sh.get_findings(Filters={"Id": [{"Value": "boto-0", "Comparison": "EQUALS"}]})["Findings"][0]
assert f["Workflow"]["Status"] == "RESOLVED" and f["Note"]["Text"] == "fixed in 1.2", f
assert f["Severity"]["Label"] == "LOW" and f["FindingProviderFields"]["Severity"]["Label"] == "CRITICAL", f
recs = sh.get_finding_history(FindingIdentifier=ids[0])["Records"]
assert len(recs) == 2 and recs[1]["FindingCreated"] and not recs[0]["FindingCreated"], recs
assert recs[0]["UpdateSource"] == {"Type": "BATCH_UPDATE_FINDINGS", "Identity": "arn:aws:iam::222222222222:root"}, recs[0]
assert {"UpdatedField": "Workflow.Status", "OldValue": "NEW", "NewValue": "RESOLVED"} in recs[0]["Updates"], recs[0]
assert recs[0]["UpdateTime"] >= recs[1]["UpdateTime"], recs
try:
    sh.batch_update_findings(FindingIdentifiers=ids, Confidence=101)
    sys.exit("Confidence 101 accepted")
except sh.exceptions.InvalidInputException:
    pass
sh.update_findings(Filters={"Id": [{"Value": "boto-1", "Comparison": "EQUALS"}]}, RecordState="ARCHIVED")
f = sh.get_findings(Filters={"Id": [{"Value": "boto-1", "Comparison": "EQUALS"}]})["Findings"][0]
assert f["RecordState"] == "ARCHIVED", f
print("OK")
`

// python returns a Python that has boto3: the one on PATH, or Debian's,
// which scripts/test-deps.sh installs python3-boto3 for.
func python(t *testing.T) string {
	for _, p := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(p, "-c", "import boto3").Run() == nil {
			return p
		}
	}
	t.Fatal("no python3 with boto3 (scripts/test-deps.sh installs python3-boto3)")
	return ""
}

func TestBoto3(t *testing.T) {
	s := start(t, nil)
	cmd := exec.Command(python(t), "-c", boto3Script)
	cmd.Env = append(os.Environ(), "MUSTER_URL="+s.URL(), "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "OK") {
		t.Fatalf("boto3: %v\n%s", err, out)
	}
}
