package hub

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/filter"
)

// Custom action limits, as the Security Hub user guide gives them.
const (
	maxActionTargets  = 50
	maxActionName     = 20
	maxActionDesc     = 256
	maxActionFindings = 20
)

var actionID = regexp.MustCompile(`^[A-Za-z0-9]{1,20}$`)

// CreateActionTargetInput is the input of CreateActionTarget.
type CreateActionTargetInput struct {
	Name, Description, Id string
}

// CreateActionTarget creates a custom action of the caller.
func (s *Service) CreateActionTarget(ctx context.Context, c Caller, in CreateActionTargetInput) (string, error) {
	if _, err := s.hub(ctx, c); err != nil {
		return "", err
	}
	if !actionID.MatchString(in.Id) {
		return "", muster.Errorf(muster.InvalidInput, "Invalid Id %q: a custom action id is 1 to 20 letters and digits", in.Id)
	}
	a := &muster.ActionTarget{Scope: c.Scope(), ID: in.Id, Name: in.Name, Description: in.Description}
	if err := checkAction(a); err != nil {
		return "", err
	}
	if err := s.store.CreateActionTarget(ctx, a, maxActionTargets); err != nil {
		return "", err
	}
	return a.ARN(), nil
}

func checkAction(a *muster.ActionTarget) error {
	if n := len([]rune(a.Name)); n == 0 || n > maxActionName {
		return muster.Errorf(muster.InvalidInput, "Invalid Name: a custom action's name is 1 to %d characters", maxActionName)
	}
	if n := len([]rune(a.Description)); n == 0 || n > maxActionDesc {
		return muster.Errorf(muster.InvalidInput, "Invalid Description: a custom action's description is 1 to %d characters", maxActionDesc)
	}
	return nil
}

// ActionTargetOutput is one entry of DescribeActionTargets.
type ActionTargetOutput struct {
	ActionTargetArn, Name, Description string
}

// DescribeActionTargetsInput is the input of DescribeActionTargets.
type DescribeActionTargetsInput struct {
	ActionTargetArns []string
	NextToken        string
	MaxResults       int
}

// DescribeActionTargetsOutput is the output of DescribeActionTargets.
type DescribeActionTargetsOutput struct {
	ActionTargets []ActionTargetOutput
	NextToken     string `json:",omitempty"`
}

// DescribeActionTargets lists the caller's custom actions, or those named.
func (s *Service) DescribeActionTargets(ctx context.Context, c Caller, in DescribeActionTargetsInput) (*DescribeActionTargetsOutput, error) {
	if _, err := s.hub(ctx, c); err != nil {
		return nil, err
	}
	binding := "actions:" + strings.Join(in.ActionTargetArns, ",")
	after, limit, err := s.pageStart(c, in.NextToken, in.MaxResults, binding)
	if err != nil {
		return nil, err
	}
	all, err := s.store.ActionTargets(ctx, c.Scope())
	if err != nil {
		return nil, err
	}
	byARN := map[string]*muster.ActionTarget{}
	for _, a := range all {
		byARN[a.ARN()] = a
	}
	for _, arn := range in.ActionTargetArns {
		if byARN[arn] == nil {
			return nil, muster.Errorf(muster.ResourceNotFound, "The custom action %s does not exist", arn)
		}
	}
	var listed []*muster.ActionTarget
	for _, a := range all {
		if len(in.ActionTargetArns) == 0 || slices.Contains(in.ActionTargetArns, a.ARN()) {
			listed = append(listed, a)
		}
	}
	page, next, err := pageOf(s, c, binding, listed, (*muster.ActionTarget).ARN, after, limit)
	if err != nil {
		return nil, err
	}
	out := &DescribeActionTargetsOutput{ActionTargets: make([]ActionTargetOutput, len(page)), NextToken: next}
	for i, a := range page {
		out.ActionTargets[i] = ActionTargetOutput{a.ARN(), a.Name, a.Description}
	}
	return out, nil
}

// actionOf returns the caller's action of arn.
func (s *Service) actionOf(ctx context.Context, c Caller, arn string) (*muster.ActionTarget, error) {
	all, err := s.store.ActionTargets(ctx, c.Scope())
	if err != nil {
		return nil, err
	}
	for _, a := range all {
		if a.ARN() == arn {
			return a, nil
		}
	}
	return nil, muster.Errorf(muster.ResourceNotFound, "The custom action %s does not exist", arn)
}

// UpdateActionTargetInput is the input of UpdateActionTarget.
type UpdateActionTargetInput struct {
	ActionTargetArn, Name, Description string
}

// UpdateActionTarget changes a custom action's name or description.
func (s *Service) UpdateActionTarget(ctx context.Context, c Caller, in UpdateActionTargetInput) error {
	if _, err := s.hub(ctx, c); err != nil {
		return err
	}
	a, err := s.actionOf(ctx, c, in.ActionTargetArn)
	if err != nil {
		return err
	}
	if in.Name != "" {
		a.Name = in.Name
	}
	if in.Description != "" {
		a.Description = in.Description
	}
	if err := checkAction(a); err != nil {
		return err
	}
	return s.store.UpdateActionTarget(ctx, a)
}

// DeleteActionTarget deletes a custom action.
func (s *Service) DeleteActionTarget(ctx context.Context, c Caller, arn string) error {
	if _, err := s.hub(ctx, c); err != nil {
		return err
	}
	a, err := s.actionOf(ctx, c, arn)
	if err != nil {
		return err
	}
	return s.store.DeleteActionTarget(ctx, c.Scope(), a.ID)
}

// SendActionInput is what a custom action is sent with: findings, or an
// insight whose results to send.
type SendActionInput struct {
	ActionTargetArn    string
	FindingIdentifiers []struct{ Id, ProductArn string }
	InsightArn         string
}

// SendActionOutput says what a custom action sent.
type SendActionOutput struct {
	// EventIds are the events written, one per finding or one for the
	// insight's results.
	EventIds []string
	// Routed is false when no rule would receive the events, in which
	// case none were written.
	Routed bool
}

// SendCustomAction does what choosing a custom action in AWS's console
// does: it emits "Security Hub Findings - Custom Action" events, one per
// finding, or a "Security Hub Insight Results" event with an insight's
// results, to the rules that match them.
func (s *Service) SendCustomAction(ctx context.Context, c Caller, in SendActionInput) (*SendActionOutput, error) {
	if _, err := s.hub(ctx, c); err != nil {
		return nil, err
	}
	a, err := s.actionOf(ctx, c, in.ActionTargetArn)
	if err != nil {
		return nil, err
	}
	if (len(in.FindingIdentifiers) == 0) == (in.InsightArn == "") {
		return nil, muster.Errorf(muster.InvalidInput, "Send a custom action with findings or with an insight, one of the two")
	}
	if len(in.FindingIdentifiers) > maxActionFindings {
		return nil, muster.Errorf(muster.InvalidInput, "A custom action takes at most %d findings at a time, as in the console; got %d", maxActionFindings, len(in.FindingIdentifiers))
	}
	now := s.Now().UTC()
	var events []*muster.Event
	if in.InsightArn != "" {
		ins, err := s.insight(ctx, c, in.InsightArn)
		if err != nil {
			return nil, err
		}
		res, err := s.GetInsightResults(ctx, c, in.InsightArn)
		if err != nil {
			return nil, err
		}
		results := make([]map[string]int64, len(res.InsightResults.ResultValues))
		for i, v := range res.InsightResults.ResultValues {
			results[i] = map[string]int64{v.GroupByAttributeValue: v.Count}
		}
		detail, err := json.Marshal(map[string]any{
			"actionName": a.Name, "actionDescription": a.Description,
			"insightArn": in.InsightArn, "insightName": ins.Name,
			"resultType": res.InsightResults.GroupByAttribute, "number of results": len(results),
			"insightResults": results,
		})
		if err != nil {
			return nil, err
		}
		events = append(events, actionEvent(c, a, muster.InsightResults, detail, now))
	} else {
		found, err := s.findingsByKey(ctx, c, in.FindingIdentifiers)
		if err != nil {
			return nil, err
		}
		head := map[string]string{"actionName": a.Name, "actionDescription": a.Description}
		for _, f := range found {
			events = append(events, actionEvent(c, a, muster.FindingsCustomAction, findingsDetail(head, f.Doc), now))
		}
	}
	out := &SendActionOutput{EventIds: []string{}, Routed: s.Events.Wanted()}
	if !out.Routed {
		return out, nil
	}
	if err := s.store.AppendEvents(ctx, events); err != nil {
		return nil, err
	}
	s.Events.Notify()
	for _, e := range events {
		out.EventIds = append(out.EventIds, e.ID)
	}
	return out, nil
}

func actionEvent(c Caller, a *muster.ActionTarget, detailType string, detail []byte, at time.Time) *muster.Event {
	return &muster.Event{
		ID: muster.NewUUID(), DetailType: detailType, Account: c.Account, Region: c.Region, Time: at,
		Resources: []string{a.ARN()}, Detail: detail, Key: a.ARN(),
	}
}

// findingsByKey returns the caller's findings of the identifiers, in
// their order, failing with ResourceNotFoundException for one that does
// not exist.
func (s *Service) findingsByKey(ctx context.Context, c Caller, ids []struct{ Id, ProductArn string }) ([]*muster.Finding, error) {
	type cond struct{ Value, Comparison string }
	var idc, pc []cond
	for _, k := range ids {
		idc = append(idc, cond{k.Id, "EQUALS"})
		pc = append(pc, cond{k.ProductArn, "EQUALS"})
	}
	raw, err := json.Marshal(map[string][]cond{"Id": idc, "ProductArn": pc})
	if err != nil {
		return nil, err
	}
	flt, err := filter.Parse(raw, s.Now().UTC())
	if err != nil {
		return nil, err
	}
	page, err := s.store.QueryFindings(ctx, muster.FindingQuery{Region: c.Region, Accounts: []string{c.Account}, Filter: flt, Limit: 1000})
	if err != nil {
		return nil, err
	}
	byKey := map[[2]string]*muster.Finding{}
	for _, f := range page {
		byKey[[2]string{f.ID, f.ProductARN}] = f
	}
	out := make([]*muster.Finding, 0, len(ids))
	for _, k := range ids {
		f := byKey[[2]string{k.Id, k.ProductArn}]
		if f == nil {
			return nil, muster.Errorf(muster.ResourceNotFound, "Finding %s of %s does not exist", k.Id, k.ProductArn)
		}
		out = append(out, f)
	}
	return out, nil
}
