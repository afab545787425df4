package muster

import (
	"context"
	"encoding/json"
	"time"
)

// Rule routes the events that match its EventBridge event pattern to its
// targets, as an EventBridge rule does for Security Hub's events.
type Rule struct {
	Name string
	// Pattern is the event pattern, JSON.
	Pattern json.RawMessage
	Targets []*TargetSpec
	// Disabled rules keep their place but route nothing.
	Disabled bool
	// Config marks rules from the configuration file, which only the
	// file changes.
	Config bool
}

// Target types.
const (
	TargetWebhook = "webhook"
	TargetNATS    = "nats"
	TargetFile    = "file"
)

// TargetSpec says where a rule sends events.
type TargetSpec struct {
	// Name keys the target's progress through the outbox; by default
	// RULE/N for the rule's Nth target.
	Name string
	Type string
	// Webhook: URL, Secret (signs each delivery) and Timeout.
	URL     string
	Secret  string
	Timeout time.Duration
	// NATS JetStream: URL, Subject and, optionally, Stream, created if
	// missing.
	Subject string
	Stream  string
	// JSON-lines file: Path.
	Path string
}

// RuleStore keeps the rules managed through the operator endpoint; the
// configuration file's rules are not stored.
type RuleStore interface {
	// PutRule stores r, replacing a rule of the same name.
	PutRule(ctx context.Context, r *Rule) error
	// DeleteRule removes a rule, or fails with ResourceNotFoundException.
	DeleteRule(ctx context.Context, name string) error
	// Rules returns the stored rules ordered by name.
	Rules(ctx context.Context) ([]*Rule, error)
}
