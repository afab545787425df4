package muster

import (
	"context"
	"encoding/json"
	"time"
)

// Detail types of the events Security Hub sends to EventBridge.
const (
	FindingsImported     = "Security Hub Findings - Imported"
	FindingsCustomAction = "Security Hub Findings - Custom Action"
	InsightResults       = "Security Hub Insight Results"
)

// EventSource is the source of every Security Hub event.
const EventSource = "aws.securityhub"

// Event is one event in the shape EventBridge delivers: Muster writes it
// to its outbox in the transaction that makes it true, and delivers it to
// the targets of every rule whose pattern it matches.
type Event struct {
	// Seq orders the outbox; the store assigns it.
	Seq        int64
	ID         string
	DetailType string
	Account    string
	Region     string
	Time       time.Time
	Resources  []string
	// Detail is the event's detail object, JSON.
	Detail json.RawMessage
	// Key is what delivery keeps order by: events of one key reach each
	// target in Seq order (a finding's key, or an action's ARN).
	Key string
	// JSON is the event as EventBridge delivers it, when it is already
	// encoded: read from the outbox, delivery sends these bytes as they
	// were written; encoded by the hub on the request's goroutine, the
	// store's one writer only copies them. Detail may then be nil.
	JSON []byte
}

// eventJSON is the EventBridge envelope, members in EventBridge's order.
type eventJSON struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       string          `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// MarshalJSON writes the event as EventBridge delivers it.
func (e *Event) MarshalJSON() ([]byte, error) {
	if e.JSON != nil {
		return e.JSON, nil
	}
	return e.AppendJSON(nil), nil
}

// AppendJSON appends the event as EventBridge delivers it to dst. The
// envelope is written by hand and Detail appended as it is, which must be
// valid JSON: imports write an event per finding, and encoding/json would
// scan the finding three times over to validate and compact it.
func (e *Event) AppendJSON(dst []byte) []byte {
	str := func(s string) {
		b, _ := json.Marshal(s)
		dst = append(dst, b...)
	}
	dst = append(dst, `{"version":"0","id":`...)
	str(e.ID)
	dst = append(dst, `,"detail-type":`...)
	str(e.DetailType)
	dst = append(dst, `,"source":"aws.securityhub","account":`...)
	str(e.Account)
	dst = append(dst, `,"time":"`...)
	dst = e.Time.UTC().AppendFormat(dst, time.RFC3339)
	dst = append(dst, `","region":`...)
	str(e.Region)
	dst = append(dst, `,"resources":[`...)
	for i, r := range e.Resources {
		if i > 0 {
			dst = append(dst, ',')
		}
		str(r)
	}
	dst = append(dst, `],"detail":`...)
	if len(e.Detail) == 0 {
		dst = append(dst, "{}"...)
	} else {
		dst = append(dst, e.Detail...)
	}
	return append(dst, '}')
}

// UnmarshalJSON reads an event written by MarshalJSON.
func (e *Event) UnmarshalJSON(b []byte) error {
	var j eventJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	t, err := time.Parse(time.RFC3339, j.Time)
	if err != nil {
		return err
	}
	e.ID, e.DetailType, e.Account, e.Region, e.Time, e.Resources, e.Detail = j.ID, j.DetailType, j.Account, j.Region, t, j.Resources, j.Detail
	e.JSON = nil
	return nil
}

// DeadLetter is an event a target did not take after every attempt, kept
// for an operator to look at and replay.
type DeadLetter struct {
	ID       int64
	Target   string
	Event    *Event
	Reason   string
	Attempts int
	At       time.Time
}

// EventStore is the outbox and the delivery state of its targets. Events
// are written by UpsertFindings and UpdateFindings with the finding
// changes that cause them (Change.Events), in the same transaction, and by
// AppendEvents for events of no finding write (custom actions).
type EventStore interface {
	// AppendEvents writes events to the outbox, assigning their Seq.
	AppendEvents(ctx context.Context, events []*Event) error
	// Events returns up to limit events with Seq > after, in Seq order.
	Events(ctx context.Context, after int64, limit int) ([]*Event, error)
	// TrimEvents deletes the events with Seq <= through: every target
	// has passed them.
	TrimEvents(ctx context.Context, through int64) error
	// Cursor returns the Seq of the last event target has dealt with
	// (delivered or dead-lettered), or -1 when the target is new.
	Cursor(ctx context.Context, target string) (int64, error)
	// SetCursor records target's progress.
	SetCursor(ctx context.Context, target string, seq int64) error
	// AddDeadLetter keeps an event target gave up on.
	AddDeadLetter(ctx context.Context, d *DeadLetter) error
	// DeadLetters lists target's dead letters (all targets' when target
	// is ""), oldest first.
	DeadLetters(ctx context.Context, target string) ([]*DeadLetter, error)
	// DeleteDeadLetter removes a dead letter and returns it, or fails
	// with ResourceNotFoundException.
	DeleteDeadLetter(ctx context.Context, id int64) (*DeadLetter, error)
	// LastEventSeq returns the highest Seq ever assigned, 0 if none.
	LastEventSeq(ctx context.Context) (int64, error)
}
