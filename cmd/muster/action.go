package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
)

// stringList is a repeatable flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// actionCmd sends a custom action, as the AWS console's "Actions" menu
// does:
//
//	muster action send ACTION-ARN --finding ID [--finding ID]... [--product-arn ARN]
//	muster action send ACTION-ARN --insight INSIGHT-ARN
func actionCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	usage := func() {
		fmt.Fprintln(stderr, `usage: muster action send ACTION-ARN (--finding ID... [--product-arn ARN] | --insight INSIGHT-ARN) [flags]

Emits "Security Hub Findings - Custom Action" events (one per finding) or a
"Security Hub Insight Results" event to the rules that match them. A
finding is ID (of the account's default product unless --product-arn is
given) or PRODUCT-ARN/ID... given as --finding 'ID@PRODUCT-ARN'. The request
is signed for the action ARN's region unless --region says otherwise.`)
	}
	if len(args) < 2 || args[0] != "send" {
		usage()
		return fmt.Errorf("usage: muster action send ACTION-ARN (--finding ID | --insight ARN)")
	}
	arn := args[1]
	fs := flag.NewFlagSet("action send", flag.ContinueOnError)
	fs.SetOutput(stderr)
	of := addOperatorFlags(fs)
	product := fs.String("product-arn", "", "ProductArn of the findings (default: the account's default product)")
	insight := fs.String("insight", "", "send this insight's results instead of findings")
	var findings stringList
	fs.Var(&findings, "finding", "a finding Id, or ID@PRODUCT-ARN (repeat for several, at most 20)")
	fs.Usage = usage
	if err := fs.Parse(args[2:]); err != nil {
		return err
	}
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || !strings.HasPrefix(parts[5], "action/custom/") {
		return fmt.Errorf("%q is not a custom action ARN (arn:aws:securityhub:REGION:ACCOUNT:action/custom/ID)", arn)
	}
	if *of.region == "" {
		*of.region = parts[3] // the action's own region
	}
	if *product == "" {
		*product = "arn:aws:securityhub:" + parts[3] + ":" + parts[4] + ":product/" + parts[4] + "/default"
	}
	type key struct{ Id, ProductArn string }
	in := struct {
		ActionTargetArn    string
		FindingIdentifiers []key  `json:",omitempty"`
		InsightArn         string `json:",omitempty"`
	}{ActionTargetArn: arn, InsightArn: *insight}
	for _, f := range findings {
		id, p, ok := strings.Cut(f, "@")
		if !ok {
			p = *product
		}
		in.FindingIdentifiers = append(in.FindingIdentifiers, key{id, p})
	}
	c, err := of.client(ctx)
	if err != nil {
		return err
	}
	var out struct {
		EventIds []string
		Routed   bool
	}
	if err := c.call(ctx, "POST", "/muster/v1/actions/send", in, &out); err != nil {
		return err
	}
	if !out.Routed {
		fmt.Fprintln(stdout, "no rule receives events: nothing was sent")
		return nil
	}
	for _, id := range out.EventIds {
		fmt.Fprintln(stdout, "sent event", id)
	}
	return nil
}
