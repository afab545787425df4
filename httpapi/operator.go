package httpapi

import (
	"context"
	stdjson "encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json"

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
	authorize := func(action, resource string) bool {
		if err := s.service.AuthorizeOperator(caller, action, resource); err != nil {
			fail(err)
			return false
		}
		return true
	}
	if s.Operator != nil {
		switch {
		case r.Method == http.MethodGet && rest == "rules":
			if !authorize("muster:ListRules", ruleARN("*")) {
				return
			}
			rules, err := s.Operator.Rules(ctx)
			if err != nil {
				fail(err)
				return
			}
			for _, rl := range rules {
				for _, t := range rl.Targets {
					if t.Secret != "" {
						t.Secret = "(redacted)"
					}
				}
			}
			s.writeStd(w, map[string]any{"Rules": rules})
			return
		case strings.HasPrefix(rest, "rules/") && (r.Method == http.MethodPut || r.Method == http.MethodDelete):
			name := strings.TrimPrefix(rest, "rules/")
			if r.Method == http.MethodDelete {
				if !authorize("muster:DeleteRule", ruleARN(name)) {
					return
				}
				if err := s.Operator.DeleteRule(ctx, name); err != nil {
					fail(err)
					return
				}
				s.writeStd(w, map[string]string{})
				return
			}
			if !authorize("muster:PutRule", ruleARN(name)) {
				return
			}
			var rl muster.Rule
			if err := stdjson.Unmarshal(body, &rl); err != nil {
				fail(muster.Errorf(muster.InvalidInput, "The rule is not valid JSON: %v", err))
				return
			}
			rl.Name = name
			if err := s.Operator.PutRule(ctx, &rl); err != nil {
				fail(err)
				return
			}
			s.writeStd(w, map[string]string{"RuleArn": ruleARN(name)})
			return
		case r.Method == http.MethodGet && rest == "dead-letters":
			if !authorize("muster:ListDeadLetters", ruleARN("*")) {
				return
			}
			dl, err := s.Operator.DeadLetters(ctx, r.URL.Query().Get("target"))
			if err != nil {
				fail(err)
				return
			}
			if dl == nil {
				dl = []*muster.DeadLetter{}
			}
			s.writeStd(w, map[string]any{"DeadLetters": dl})
			return
		case r.Method == http.MethodPost && strings.HasPrefix(rest, "dead-letters/") && strings.HasSuffix(rest, "/replay"):
			id, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(rest, "dead-letters/"), "/replay"), 10, 64)
			if err != nil {
				fail(muster.Errorf(muster.InvalidInput, "A dead letter id is a number"))
				return
			}
			if !authorize("muster:ReplayDeadLetter", ruleARN("*")) {
				return
			}
			if err := s.Operator.Replay(ctx, id); err != nil {
				fail(err)
				return
			}
			s.writeStd(w, map[string]string{})
			return
		}
	}
	switch r.Method + " " + r.URL.Path {
	case "POST " + operatorPrefix + "actions/send":
		var in hub.SendActionInput
		if err := json.Unmarshal(body, &in); err != nil {
			fail(muster.Errorf(muster.InvalidInput, "The request is not valid JSON: %s", jsonError(err)))
			return
		}
		// The permission-only actions AWS checks when its console sends
		// a custom action.
		action := "securityhub:SendFindingEvents"
		if in.InsightArn != "" {
			action = "securityhub:SendInsightEvents"
		}
		if !authorize(action, in.ActionTargetArn) {
			return
		}
		out, err := s.service.SendCustomAction(ctx, caller, in)
		if err != nil {
			fail(err)
			return
		}
		s.writeJSON(w, out)
	case "POST " + operatorPrefix + "products":
		var p muster.Product
		if err := json.Unmarshal(body, &p); err != nil {
			fail(muster.Errorf(muster.InvalidInput, "The manifest is not valid JSON: %s", jsonError(err)))
			return
		}
		arn := p.ARN(caller.Region)
		if err := s.service.AuthorizeOperator(caller, "muster:RegisterProduct", arn); err != nil {
			fail(err)
			return
		}
		if err := s.service.RegisterProduct(r.Context(), &p); err != nil {
			fail(err)
			return
		}
		s.writeJSON(w, map[string]string{"ProductArn": arn})
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

func (s *Server) writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}
