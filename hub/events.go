package hub

import (
	"encoding/json"

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
func importedEvent(f *muster.Finding) *muster.Event {
	e := &muster.Event{
		ID:         muster.NewUUID(),
		DetailType: muster.FindingsImported,
		Account:    f.Account,
		Region:     f.Region,
		Time:       f.ProcessedAt.UTC(),
		Resources:  []string{f.ProductARN + "/" + f.ID},
		Detail:     findingsDetail(nil, f.Doc),
		Key:        findingEventKey(f.Region, f.FindingKey),
	}
	// Encoded here, on the request's goroutine, so that the store's one
	// writer only copies the bytes.
	e.JSON = e.AppendJSON(make([]byte, 0, len(e.Detail)+256))
	e.Detail = nil
	return e
}

// findingsDetail is the detail of an event that carries one finding: the
// members of head, then "findings" with the document as stored, which goes
// in without being encoded again.
func findingsDetail(head map[string]string, doc []byte) []byte {
	detail := make([]byte, 0, len(doc)+128)
	detail = append(detail, '{')
	if len(head) > 0 {
		b, _ := json.Marshal(head)
		detail = append(detail, b[1:len(b)-1]...)
		detail = append(detail, ',')
	}
	detail = append(detail, `"findings":[`...)
	detail = append(detail, doc...)
	return append(detail, "]}"...)
}

// withImported adds the Imported event of a change to it, so that the
// store writes the event in the transaction of the change.
func withImported(ch *muster.Change, err error) (*muster.Change, error) {
	if ch != nil && err == nil {
		ch.Events = append(ch.Events[:0:0], importedEvent(ch.Finding))
	}
	return ch, err
}

// withEvent makes merge's changes carry their Imported events, when
// events are wanted.
func (s *Service) withEvent(merge muster.MergeFunc) muster.MergeFunc {
	if !s.Events.Wanted() {
		return merge
	}
	return func(stored, incoming *muster.Finding) (*muster.Change, error) {
		return withImported(merge(stored, incoming))
	}
}

// updateWithEvent is withEvent for an UpdateFunc.
func (s *Service) updateWithEvent(update muster.UpdateFunc) muster.UpdateFunc {
	if !s.Events.Wanted() {
		return update
	}
	return func(stored *muster.Finding) (*muster.Change, error) {
		return withImported(update(stored))
	}
}
