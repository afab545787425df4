package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/config"
)

const rulesUsage = `usage: muster rules <command> [flags]

  list                       the rules and their targets
  put NAME FILE              create or replace rule NAME from FILE (YAML or
                             JSON: pattern, targets, enabled — as in the
                             config file's rules)
  delete NAME                delete rule NAME
  dead-letters [--target T]  events targets gave up on
  replay ID                  deliver dead letter ID again

Flags (every command): --endpoint URL (env MUSTER_ENDPOINT), --region,
--profile. Requests are signed with the AWS credential chain and
authorized as muster:ListRules, muster:PutRule, muster:DeleteRule,
muster:ListDeadLetters and muster:ReplayDeadLetter.
`

// rulesCmd manages event rules and dead letters on a running server.
func rulesCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, rulesUsage)
		return fmt.Errorf("a rules command is needed")
	}
	fs := flag.NewFlagSet("rules "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	of := addOperatorFlags(fs)
	target := fs.String("target", "", "dead-letters: only this target's")
	fs.Usage = func() { fmt.Fprint(stderr, rulesUsage) }
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	c, err := of.client(ctx)
	if err != nil {
		return err
	}
	want := func(n int) error {
		if fs.NArg() != n {
			fs.Usage()
			return fmt.Errorf("rules %s takes %d arguments", args[0], n)
		}
		return nil
	}
	switch args[0] {
	case "list":
		var out struct{ Rules []*muster.Rule }
		if err := c.call(ctx, "GET", "/muster/v1/rules", nil, &out); err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "RULE\tSTATE\tFROM\tTARGET\tTYPE\tWHERE\tPATTERN")
		for _, r := range out.Rules {
			state, from := "enabled", "api"
			if r.Disabled {
				state = "disabled"
			}
			if r.Config {
				from = "config"
			}
			for _, t := range r.Targets {
				where := t.URL
				if t.Type == muster.TargetNATS {
					where = t.URL + " " + t.Subject
				} else if t.Type == muster.TargetFile {
					where = t.Path
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, state, from, t.Name, t.Type, where, r.Pattern)
			}
		}
		return tw.Flush()
	case "put":
		if err := want(2); err != nil {
			return err
		}
		data, err := os.ReadFile(fs.Arg(1))
		if err != nil {
			return err
		}
		r, err := config.ParseRule(fs.Arg(1), data, fs.Arg(0))
		if err != nil {
			return err
		}
		var out struct{ RuleArn string }
		if err := c.call(ctx, "PUT", "/muster/v1/rules/"+url.PathEscape(r.Name), r, &out); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "rule %s: %d targets\n", r.Name, len(r.Targets))
		return nil
	case "delete":
		if err := want(1); err != nil {
			return err
		}
		return c.call(ctx, "DELETE", "/muster/v1/rules/"+url.PathEscape(fs.Arg(0)), nil, nil)
	case "dead-letters":
		if err := want(0); err != nil {
			return err
		}
		var out struct{ DeadLetters []*muster.DeadLetter }
		if err := c.call(ctx, "GET", "/muster/v1/dead-letters?target="+url.QueryEscape(*target), nil, &out); err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tTARGET\tWHEN\tATTEMPTS\tEVENT\tTYPE\tREASON")
		for _, d := range out.DeadLetters {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\t%s\n", d.ID, d.Target, d.At.Format(time.RFC3339), d.Attempts, d.Event.ID, d.Event.DetailType, d.Reason)
		}
		return tw.Flush()
	case "replay":
		if err := want(1); err != nil {
			return err
		}
		id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
		if err != nil {
			return fmt.Errorf("a dead letter id is a number, not %q", fs.Arg(0))
		}
		if err := c.call(ctx, "POST", "/muster/v1/dead-letters/"+strconv.FormatInt(id, 10)+"/replay", nil, nil); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "dead letter %d delivered\n", id)
		return nil
	}
	fs.Usage()
	return fmt.Errorf("unknown rules command %q", args[0])
}
