package httpapi

import (
	"context"
	stdjson "encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/hub"
)

// operatorPrefix starts the paths of Muster's own operator endpoints,
// which no Security Hub route uses. They are signed with SigV4 like every
// request and authorized as muster:ACTION, so the same IAM policies that
// guard the Security Hub API decide who may operate the server.
const operatorPrefix = "/muster/v1/"

// Operator is what the operator endpoints manage beyond the hub service:
// event rules and dead letters.
type Operator interface {
	Rules(ctx context.Context) ([]*muster.Rule, error)
	PutRule(ctx context.Context, r *muster.Rule) error
	DeleteRule(ctx context.Context, name string) error
	DeadLetters(ctx context.Context, target string) ([]*muster.DeadLetter, error)
	Replay(ctx context.Context, id int64) error
}

// ruleARN names a rule in IAM policies; rules are the server's, not an
// account's, so the ARN has neither region nor account.
func ruleARN(name string) string { return "arn:muster:events:::rule/" + name }

// serveOperator serves the operator endpoints:
//
//	POST   /muster/v1/products                 register a product (body: muster.Product JSON)
//	GET    /muster/v1/rules                    list the event rules (secrets redacted)
//	PUT    /muster/v1/rules/NAME               create or replace a rule (body: muster.Rule JSON)
//	DELETE /muster/v1/rules/NAME               delete a rule
//	GET    /muster/v1/dead-letters[?target=T]  list dead letters
//	POST   /muster/v1/dead-letters/ID/replay   deliver a dead letter again
//	POST   /muster/v1/actions/send             send a custom action (body: hub.SendActionInput)
func (s *Server) serveOperator(w http.ResponseWriter, r *http.Request, fail func(error)) {
	caller, body, err := s.authenticate(r)
	if err != nil {
		fail(err)
		return
	}
	ctx := r.Context()
	rest := strings.TrimPrefix(r.URL.Path, operatorPrefix)
	// do authorizes action on resource and answers with what run returns.
	do := func(action, resource string, run func() (any, error)) {
		if err := s.service.AuthorizeOperator(caller, action, resource); err != nil {
			fail(err)
			return
		}
		out, err := run()
		if err != nil {
			fail(err)
			return
		}
		s.writeStd(w, out)
	}
	// decode reads the body into v, as encoding/json reads the domain's
	// json.RawMessage and time.Duration members.
	decode := func(v any, what string) error {
		if err := stdjson.Unmarshal(body, v); err != nil {
			return muster.Errorf(muster.InvalidInput, "The %s is not valid JSON: %v", what, err)
		}
		return nil
	}
	name, isRule := strings.CutPrefix(rest, "rules/")
	id, isReplay := strings.CutSuffix(strings.TrimPrefix(rest, "dead-letters/"), "/replay")
	isReplay = isReplay && strings.HasPrefix(rest, "dead-letters/")
	switch {
	case r.Method == http.MethodPost && rest == "products":
		var p muster.Product
		if err := decode(&p, "manifest"); err != nil {
			fail(err)
			return
		}
		arn := p.ARN(caller.Region)
		do("muster:RegisterProduct", arn, func() (any, error) {
			return map[string]string{"ProductArn": arn}, s.service.RegisterProduct(ctx, &p)
		})
	case r.Method == http.MethodPost && rest == "actions/send":
		var in hub.SendActionInput
		if err := decode(&in, "request"); err != nil {
			fail(err)
			return
		}
		// The permission-only actions AWS checks when its console sends
		// a custom action.
		action := "securityhub:SendFindingEvents"
		if in.InsightArn != "" {
			action = "securityhub:SendInsightEvents"
		}
		do(action, in.ActionTargetArn, func() (any, error) { return s.service.SendCustomAction(ctx, caller, in) })
	case s.Operator == nil:
		fail(muster.Errorf(muster.UnknownOperation, "No operator endpoint matches %s %s", r.Method, r.URL.Path))
	case r.Method == http.MethodGet && rest == "rules":
		do("muster:ListRules", ruleARN("*"), func() (any, error) {
			rules, err := s.Operator.Rules(ctx)
			for _, rl := range rules {
				for _, t := range rl.Targets {
					if t.Secret != "" {
						t.Secret = "(redacted)"
					}
				}
			}
			return map[string]any{"Rules": rules}, err
		})
	case r.Method == http.MethodPut && isRule:
		do("muster:PutRule", ruleARN(name), func() (any, error) {
			var rl muster.Rule
			if err := decode(&rl, "rule"); err != nil {
				return nil, err
			}
			rl.Name = name
			return map[string]string{"RuleArn": ruleARN(name)}, s.Operator.PutRule(ctx, &rl)
		})
	case r.Method == http.MethodDelete && isRule:
		do("muster:DeleteRule", ruleARN(name), func() (any, error) { return map[string]string{}, s.Operator.DeleteRule(ctx, name) })
	case r.Method == http.MethodGet && rest == "dead-letters":
		do("muster:ListDeadLetters", ruleARN("*"), func() (any, error) {
			dl, err := s.Operator.DeadLetters(ctx, r.URL.Query().Get("target"))
			if dl == nil {
				dl = []*muster.DeadLetter{}
			}
			return map[string]any{"DeadLetters": dl}, err
		})
	case r.Method == http.MethodPost && isReplay:
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			fail(muster.Errorf(muster.InvalidInput, "A dead letter id is a number"))
			return
		}
		do("muster:ReplayDeadLetter", ruleARN("*"), func() (any, error) { return map[string]string{}, s.Operator.Replay(ctx, n) })
	default:
		fail(muster.Errorf(muster.UnknownOperation, "No operator endpoint matches %s %s", r.Method, r.URL.Path))
	}
}

// writeStd writes v with encoding/json, whose encoding of the domain's
// json.RawMessage and time.Duration members the CLI reads back.
func (s *Server) writeStd(w http.ResponseWriter, v any) {
	b, err := stdjson.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}
