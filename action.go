package muster

import "context"

// ActionTarget is a custom action: a name under which a customer sends
// chosen findings or insight results to its event rules.
type ActionTarget struct {
	Scope
	ID          string
	Name        string
	Description string
}

// ARN returns the action's ARN.
func (a *ActionTarget) ARN() string {
	return "arn:aws:securityhub:" + a.Region + ":" + a.Account + ":action/custom/" + a.ID
}

// ActionStore keeps custom actions.
type ActionStore interface {
	// CreateActionTarget stores a, failing with ResourceConflictException
	// when its scope has an action of that id, and with
	// LimitExceededException when the scope already has max actions.
	CreateActionTarget(ctx context.Context, a *ActionTarget, max int) error
	// ActionTargets returns scope's actions ordered by id.
	ActionTargets(ctx context.Context, scope Scope) ([]*ActionTarget, error)
	// UpdateActionTarget replaces the name and description of an
	// action, or fails with ResourceNotFoundException.
	UpdateActionTarget(ctx context.Context, a *ActionTarget) error
	// DeleteActionTarget removes an action, or fails with
	// ResourceNotFoundException.
	DeleteActionTarget(ctx context.Context, scope Scope, id string) error
}
