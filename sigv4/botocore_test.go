package sigv4

import (
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"testing"
)

// botocoreSign signs requests to base with botocore (the signer behind
// boto3 and the AWS CLI) and prints them as JSON, one per request, in the
// order: header-signed POST with a greedy ARN label and an unsorted query,
// header-signed GET with a path botocore normalizes, presigned GET.
const botocoreSign = `
import json, sys
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

base, key, secret, token = sys.argv[1:5]
creds = Credentials(key, secret, token)
out = []

r = AWSRequest(method="POST",
    url=base + "/insights/results/arn%3Aaws%3Asecurityhub%3A%3A%3Ainsight%2Fsecurityhub%2Fdefault%2F1?tagKeys=b&tagKeys=a&MaxResults=5",
    data=b'{"Filters":{}}', headers={"Content-Type": "application/json"})
SigV4Auth(creds, "securityhub", "us-west-2").add_auth(r)
out.append({"method": r.method, "url": r.url, "headers": dict(r.headers.items()), "body": '{"Filters":{}}'})

r = AWSRequest(method="GET", url=base + "/members//x/./y")
SigV4Auth(creds, "securityhub", "us-west-2").add_auth(r)
out.append({"method": r.method, "url": r.url, "headers": dict(r.headers.items()), "body": ""})

r = AWSRequest(method="GET", url=base + "/products?NextToken=a%2Bb%3D&MaxResults=3")
SigV4QueryAuth(creds, "securityhub", "eu-central-1", expires=300).add_auth(r)
out.append({"method": r.method, "url": r.url, "headers": dict(r.headers.items()), "body": ""})

print(json.dumps(out))
`

// TestBotocore verifies requests signed by botocore, whose canonical
// request differs from the Go SDK's in path normalization and in leaving
// the query as sent.
func TestBotocore(t *testing.T) {
	// botocore comes with boto3, which scripts/test-deps.sh installs: the
	// test fails rather than skips without it, so that it cannot silently
	// stop running.
	py := ""
	for _, p := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(p, "-c", "import botocore").Run() == nil {
			py = p
			break
		}
	}
	if py == "" {
		t.Fatal("no python3 with botocore (scripts/test-deps.sh installs python3-boto3)")
	}
	h := newHarness(t, &Verifier{Service: "securityhub", Secret: testSecrets})
	out, err := exec.Command(py, "-c", botocoreSign, h.srv.URL, tempKey, tempSecret, tempToken).Output()
	if err != nil {
		t.Fatalf("botocore: %v", err)
	}
	var reqs []struct {
		Method, URL, Body string
		Headers           map[string]string
	}
	if err := json.Unmarshal(out, &reqs); err != nil {
		t.Fatalf("botocore output %q: %v", out, err)
	}
	if len(reqs) != 3 {
		t.Fatalf("got %d requests from botocore", len(reqs))
	}
	for i, br := range reqs {
		req, err := http.NewRequest(br.Method, br.URL, strings.NewReader(br.Body))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range br.Headers {
			req.Header.Set(k, v)
		}
		id, err := h.send(t, req)
		if err != nil {
			t.Errorf("request %d (%s %s): %v", i, br.Method, br.URL, err)
			continue
		}
		if id.AccessKeyID != tempKey || id.SessionToken != tempToken || id.Presigned != (i == 2) {
			t.Errorf("request %d: identity = %+v", i, id)
		}

		// The same request with its body or path changed must fail.
		req, _ = http.NewRequest(br.Method, strings.Replace(br.URL, "/insights/", "/insightz/", 1)+"&x=1", strings.NewReader(br.Body+" "))
		for k, v := range br.Headers {
			req.Header.Set(k, v)
		}
		if _, err := h.send(t, req); err == nil {
			t.Errorf("request %d tampered: accepted", i)
		}
	}
}
