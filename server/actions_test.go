package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/muster-hub/muster/server"
)

// startJetStream runs an embedded NATS server with JetStream for the test,
// so that the tests need no NATS on the machine.
func startJetStream(t *testing.T) *natsserver.Server {
	t.Helper()
	ns, err := natsserver.NewServer(&natsserver.Options{JetStream: true, StoreDir: t.TempDir(), Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS is not ready")
	}
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	return ns
}

// TestCustomActionsToNATS creates custom actions with the SDK, sends one
// with findings and one with an insight's results, and reads the events
// from a NATS JetStream stream, checking their detail against AWS's
// sample events.
func TestCustomActionsToNATS(t *testing.T) {
	ns := startJetStream(t)
	s := startWith(t, server.Options{Config: eventsConfig(t, `rules:
  - name: actions
    pattern: {source: [aws.securityhub], detail-type: [Security Hub Findings - Custom Action, Security Hub Insight Results]}
    targets: [{type: nats, url: `+ns.ClientURL()+`, subject: securityhub.actions, stream: SECURITYHUB}]
`)})
	c := client(s, "AKIAALICE0000000001", "alice-secret", "us-east-1")
	enable(t, c)
	ctx := context.Background()

	out, err := c.CreateActionTarget(ctx, &securityhub.CreateActionTargetInput{Id: aws.String("ticket"), Name: aws.String("Open ticket"), Description: aws.String("Opens a ticket")})
	if err != nil || aws.ToString(out.ActionTargetArn) != "arn:aws:securityhub:us-east-1:111111111111:action/custom/ticket" {
		t.Fatalf("CreateActionTarget: %v %v", out, err)
	}
	arn := aws.ToString(out.ActionTargetArn)
	_, err = c.CreateActionTarget(ctx, &securityhub.CreateActionTargetInput{Id: aws.String("ticket"), Name: aws.String("x"), Description: aws.String("y")})
	wantCode(t, err, "ResourceConflictException")
	_, err = c.CreateActionTarget(ctx, &securityhub.CreateActionTargetInput{Id: aws.String("bad-id"), Name: aws.String("x"), Description: aws.String("y")})
	wantCode(t, err, "InvalidInputException")
	_, err = c.CreateActionTarget(ctx, &securityhub.CreateActionTargetInput{Id: aws.String("long"), Name: aws.String("a name longer than 20"), Description: aws.String("y")})
	wantCode(t, err, "InvalidInputException")
	if _, err := c.UpdateActionTarget(ctx, &securityhub.UpdateActionTargetInput{ActionTargetArn: aws.String(arn), Description: aws.String("Opens a Jira ticket")}); err != nil {
		t.Fatal(err)
	}
	for i := range 49 {
		if _, err := c.CreateActionTarget(ctx, &securityhub.CreateActionTargetInput{Id: aws.String(fmt.Sprintf("a%d", i)), Name: aws.String("n"), Description: aws.String("d")}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = c.CreateActionTarget(ctx, &securityhub.CreateActionTargetInput{Id: aws.String("onetoomany"), Name: aws.String("n"), Description: aws.String("d")})
	wantCode(t, err, "LimitExceededException")
	var all []types.ActionTarget
	p := securityhub.NewDescribeActionTargetsPaginator(c, &securityhub.DescribeActionTargetsInput{MaxResults: aws.Int32(7)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page.ActionTargets...)
	}
	if len(all) != 50 {
		t.Fatalf("DescribeActionTargets listed %d", len(all))
	}
	one, err := c.DescribeActionTargets(ctx, &securityhub.DescribeActionTargetsInput{ActionTargetArns: []string{arn}})
	if err != nil || len(one.ActionTargets) != 1 || aws.ToString(one.ActionTargets[0].Description) != "Opens a Jira ticket" {
		t.Fatalf("DescribeActionTargets by ARN: %+v %v", one, err)
	}

	sdkImport(t, c, finding(acct, "us-east-1", "a-1"), finding(acct, "us-east-1", "a-2"))
	send := func(body string) rawResponse {
		return signedRequest(t, s, "POST", "/muster/v1/actions/send", body, "AKIAALICE0000000001", "alice-secret", time.Now())
	}
	r := send(`{"ActionTargetArn":"` + arn + `","FindingIdentifiers":[{"Id":"a-1","ProductArn":"` + productARN(acct) + `"},{"Id":"a-2","ProductArn":"` + productARN(acct) + `"}]}`)
	if r.Status != 200 {
		t.Fatalf("send findings: %d %s", r.Status, r.Body)
	}
	if r := send(`{"ActionTargetArn":"` + arn + `","FindingIdentifiers":[{"Id":"nope","ProductArn":"` + productARN(acct) + `"}]}`); r.Status != 404 {
		t.Fatalf("send of a missing finding: %d %s", r.Status, r.Body)
	}
	ins, err := c.CreateInsight(ctx, &securityhub.CreateInsightInput{
		Name: aws.String("By severity"), GroupByAttribute: aws.String("SeverityLabel"),
		Filters: &types.AwsSecurityFindingFilters{RecordState: []types.StringFilter{{Value: aws.String("ACTIVE"), Comparison: types.StringFilterComparisonEquals}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if r := send(`{"ActionTargetArn":"` + arn + `","InsightArn":"` + aws.ToString(ins.InsightArn) + `"}`); r.Status != 200 {
		t.Fatalf("send insight: %d %s", r.Status, r.Body)
	}

	// Read the three events back from the stream.
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	cons, err := js.OrderedConsumer(ctx, "SECURITYHUB", jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var events []map[string]any
	for len(events) < 3 {
		msg, err := cons.Next(jetstream.FetchMaxWait(10 * time.Second))
		if err != nil {
			t.Fatalf("after %d events: %v", len(events), err)
		}
		var e map[string]any
		if err := json.Unmarshal(msg.Data(), &e); err != nil {
			t.Fatal(err)
		}
		events = append(events, e)
	}
	for i, e := range events[:2] {
		d := e["detail"].(map[string]any)
		f := d["findings"].([]any)
		if e["detail-type"] != "Security Hub Findings - Custom Action" || d["actionName"] != "Open ticket" || d["actionDescription"] != "Opens a Jira ticket" ||
			len(f) != 1 || f[0].(map[string]any)["Id"] != fmt.Sprintf("a-%d", i+1) || e["resources"].([]any)[0] != arn || len(d) != 3 {
			t.Errorf("custom action event %d: %v", i, e)
		}
	}
	d := events[2]["detail"].(map[string]any)
	res := d["insightResults"].([]any)
	if events[2]["detail-type"] != "Security Hub Insight Results" || d["insightArn"] != aws.ToString(ins.InsightArn) || d["insightName"] != "By severity" ||
		d["resultType"] != "SeverityLabel" || d["number of results"] != float64(1) || len(res) != 1 || res[0].(map[string]any)["HIGH"] != float64(2) {
		t.Errorf("insight results event: %v", events[2])
	}

	if _, err := c.DeleteActionTarget(ctx, &securityhub.DeleteActionTargetInput{ActionTargetArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteActionTarget(ctx, &securityhub.DeleteActionTargetInput{ActionTargetArn: aws.String(arn)})
	wantCode(t, err, "ResourceNotFoundException")
}
