// Package delivery routes Muster's events to the targets of the rules they
// match: it reads the outbox in order, matches each event against the rules'
// event patterns, and delivers it to each target at least once, in order
// per key, retrying with exponential backoff and dead-lettering what keeps
// failing, so that a failing target slows neither imports nor the other
// targets. The targets themselves are adapters in sub-packages.
package delivery

import (
	"context"

	"github.com/muster-hub/muster"
)

// Target is where a rule sends events: a webhook, a NATS JetStream
// subject, a JSON-lines file.
type Target interface {
	// Deliver sends one event. body is the event as EventBridge delivers
	// it (e.MarshalJSON). An error means not delivered: the dispatcher
	// retries it. Deliver must return by ctx's deadline.
	Deliver(ctx context.Context, e *muster.Event, body []byte) error
	// Close releases the target's connections and files.
	Close() error
}
