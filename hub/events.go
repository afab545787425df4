package hub

import (
	"time"

	"github.com/muster-hub/muster"
)

// EventSink is where the hub's events go after the store has written them
// to its outbox: the delivery dispatcher.
type EventSink interface {
	// Wanted reports whether any rule would receive events; when none
	// would, the hub writes none.
	Wanted() bool
	// Notify says the outbox has new events.
	Notify()
}

type noEvents struct{}

func (noEvents) Wanted() bool { return false }
func (noEvents) Notify()      {}

// findingEventKey keeps a finding's events in order per target.
func findingEventKey(region string, k muster.FindingKey) string {
	return region + "\x00" + k.Account + "\x00" + k.ProductARN + "\x00" + k.ID
}

// importedEvent is the "Security Hub Findings - Imported" event of a
// finding as stored: AWS sends one for every finding created or changed,
// whether by an import or by a customer's update, with the finding in
// detail.findings and its FindingId in resources.
func importedEvent(f *muster.Finding, at time.Time) *muster.Event {
	detail := make([]byte, 0, len(f.Doc)+16)
	detail = append(detail, `{"findings":[`...)
	detail = append(detail, f.Doc...)
	detail = append(detail, "]}"...)
	e := &muster.Event{
		ID:         muster.NewUUID(),
		DetailType: muster.FindingsImported,
		Account:    f.Account,
		Region:     f.Region,
		Time:       at.UTC(),
		Resources:  []string{f.ProductARN + "/" + f.ID},
		Key:        findingEventKey(f.Region, f.FindingKey),
	}
	// Encoded here, on the request's goroutine, so that the store's one
	// writer only copies the bytes.
	e.Detail = detail
	e.JSON = e.AppendJSON(make([]byte, 0, len(detail)+256))
	e.Detail = nil
	return e
}

// withEvent adds the Imported event to the changes of merge, when events
// are wanted, so that the store writes it in the transaction of the change.
func (s *Service) withEvent(merge muster.MergeFunc) muster.MergeFunc {
	if !s.Events.Wanted() {
		return merge
	}
	return func(stored, incoming *muster.Finding) (*muster.Change, error) {
		ch, err := merge(stored, incoming)
		if ch != nil && err == nil {
			ch.Events = append(ch.Events[:0:0], importedEvent(ch.Finding, ch.Finding.ProcessedAt))
		}
		return ch, err
	}
}

// updateWithEvent is withEvent for an UpdateFunc.
func (s *Service) updateWithEvent(update muster.UpdateFunc) muster.UpdateFunc {
	if !s.Events.Wanted() {
		return update
	}
	return func(stored *muster.Finding) (*muster.Change, error) {
		ch, err := update(stored)
		if ch != nil && err == nil {
			ch.Events = append(ch.Events[:0:0], importedEvent(ch.Finding, ch.Finding.ProcessedAt))
		}
		return ch, err
	}
}
