package delivery

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/eventpattern"
)

var ruleName = regexp.MustCompile(`^[\w.-]{1,64}$`)

// CheckRule checks a rule as EventBridge's PutRule and PutTargets would,
// fills in its targets' default names, and returns its compiled pattern.
// Errors are InvalidInputException with what is wrong.
func CheckRule(r *muster.Rule) (*eventpattern.Pattern, error) {
	bad := func(format string, args ...any) error {
		return muster.Errorf(muster.InvalidInput, "rule %s: "+format, append([]any{r.Name}, args...)...)
	}
	if !ruleName.MatchString(r.Name) {
		return nil, muster.Errorf(muster.InvalidInput, "rule name %q must be 1 to 64 letters, digits, '.', '-' or '_'", r.Name)
	}
	if len(r.Pattern) == 0 {
		return nil, bad("an event pattern is required")
	}
	p, err := eventpattern.Parse(r.Pattern)
	if err != nil {
		return nil, bad("event pattern: %v", err)
	}
	if len(r.Targets) == 0 {
		return nil, bad("at least one target is required")
	}
	if len(r.Targets) > 5 {
		// EventBridge allows 5 targets per rule.
		return nil, bad("at most 5 targets, as on EventBridge; it has %d", len(r.Targets))
	}
	seen := map[string]bool{}
	for i, t := range r.Targets {
		if t == nil {
			return nil, bad("target %d is empty", i+1)
		}
		if t.Name == "" {
			t.Name = r.Name + "/" + strconv.Itoa(i+1)
		}
		if seen[t.Name] {
			return nil, bad("target name %s is used twice", t.Name)
		}
		seen[t.Name] = true
		switch t.Type {
		case muster.TargetWebhook:
			u, err := url.Parse(t.URL)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return nil, bad("target %s: a webhook needs an http or https url, not %q", t.Name, t.URL)
			}
			if t.Secret == "" {
				return nil, bad("target %s: a webhook needs a secret to sign deliveries with", t.Name)
			}
		case muster.TargetNATS:
			if t.URL == "" || t.Subject == "" {
				return nil, bad("target %s: a nats target needs url and subject", t.Name)
			}
		case muster.TargetFile:
			if t.Path == "" {
				return nil, bad("target %s: a file target needs a path", t.Name)
			}
		default:
			return nil, bad("target %s: type %q is not one of %s, %s, %s", t.Name, t.Type, muster.TargetWebhook, muster.TargetNATS, muster.TargetFile)
		}
		if t.Timeout < 0 {
			return nil, bad("target %s: a timeout cannot be negative", t.Name)
		}
	}
	return p, nil
}

// Opener makes the Target of a spec: the adapters live in sub-packages,
// which the server knows.
type Opener func(t *muster.TargetSpec) (Target, error)

// BuildRoutes turns rules into routes, one per target name: a target
// shared by several rules (by naming it the same) gets each event once.
// Disabled rules route nothing.
func BuildRoutes(rules []*muster.Rule, open Opener) ([]Route, error) {
	var (
		routes []Route
		index  = map[string]int{}
	)
	fail := func(err error) ([]Route, error) {
		for _, r := range routes {
			r.Target.Close()
		}
		return nil, err
	}
	for _, r := range rules {
		if r.Disabled {
			continue
		}
		p, err := CheckRule(r)
		if err != nil {
			return fail(err)
		}
		for _, t := range r.Targets {
			if i, ok := index[t.Name]; ok {
				routes[i].Patterns = append(routes[i].Patterns, p)
				continue
			}
			tg, err := open(t)
			if err != nil {
				return fail(fmt.Errorf("rule %s, target %s: %w", r.Name, t.Name, err))
			}
			index[t.Name] = len(routes)
			routes = append(routes, Route{Name: t.Name, Target: tg, Patterns: []*eventpattern.Pattern{p}})
		}
	}
	return routes, nil
}
