// Package natsjs delivers events to a NATS JetStream subject.
//
// Each event is one message: the event as EventBridge delivers it, with the
// headers Nats-Msg-Id (the event's id) and Muster-Event-Type (its
// detail-type). Deliver returns once the stream has acknowledged the
// message, so a delivered event is stored in the stream. The message id
// lets JetStream drop the copies a retry sends within the stream's
// duplicate window (two minutes unless the stream says otherwise); a retry
// later than that is stored twice, so consumers should still tolerate
// duplicates.
//
// The connection reconnects on its own, forever. While it is down, Deliver
// fails at once rather than buffering: the dispatcher keeps the event and
// retries it.
package natsjs

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/muster-hub/muster"
)

// HeaderEventType carries the event's detail-type, so consumers can
// filter without parsing the body.
const HeaderEventType = "Muster-Event-Type"

// DefaultTimeout bounds connecting and one delivery when Config.Timeout is
// zero.
const DefaultTimeout = 5 * time.Second

// Config configures a JetStream target.
type Config struct {
	// URL is the NATS server, or several separated by commas; credentials
	// may be given in it (nats://user:password@host:4222).
	URL string
	// Subject is what events are published to. A stream must capture it.
	Subject string
	// Stream, if set, is the stream that must store the events: New creates
	// it (capturing Subject, stored in files) if it does not exist, and a
	// publish that another stream captured fails.
	Stream string
	// Timeout bounds connecting, setting up the stream and each delivery;
	// a shorter deadline on Deliver's context wins. Zero means
	// DefaultTimeout.
	Timeout time.Duration
}

// Target publishes events to JetStream. It is safe for concurrent use.
type Target struct {
	nc      *nats.Conn
	js      jetstream.JetStream
	subject string
	timeout time.Duration
	opts    []jetstream.PublishOpt
}

// New connects to c.URL and, if c.Stream is set, makes sure the stream
// exists, within ctx. It fails if the server cannot be reached: only an
// established connection is kept alive.
func New(ctx context.Context, c Config) (*Target, error) {
	if c.URL == "" {
		return nil, errors.New("natsjs: URL is required")
	}
	if c.Subject == "" {
		return nil, errors.New("natsjs: Subject is required")
	}
	if c.Timeout < 0 {
		return nil, fmt.Errorf("natsjs: negative Timeout %v", c.Timeout)
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	nc, err := nats.Connect(c.URL,
		nats.Name("muster"),
		nats.Timeout(c.Timeout),
		// A target lives as long as the server: never give up on it.
		nats.MaxReconnects(-1),
		// No buffer while reconnecting: a publish then fails at once
		// instead of waiting for an ack until its deadline, and nothing is
		// sent twice from a buffer the dispatcher has already retried.
		nats.ReconnectBufSize(-1),
	)
	if err != nil {
		return nil, fmt.Errorf("natsjs: connecting to %s: %w", redact(c.URL), err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("natsjs: %w", err)
	}
	t := &Target{nc: nc, js: js, subject: c.Subject, timeout: c.Timeout}
	if c.Stream != "" {
		if err := t.ensureStream(ctx, c.Stream); err != nil {
			nc.Close()
			return nil, err
		}
		t.opts = append(t.opts, jetstream.WithExpectStream(c.Stream))
	}
	return t, nil
}

// ensureStream creates the stream if it does not exist; an existing
// stream is left as its owner configured it.
func (t *Target) ensureStream(ctx context.Context, name string) error {
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	_, err := t.js.Stream(ctx, name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		_, err = t.js.CreateStream(ctx, jetstream.StreamConfig{
			Name:     name,
			Subjects: []string{t.subject},
			Storage:  jetstream.FileStorage,
		})
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			// Another Muster created it in between.
			err = nil
		}
	}
	if err != nil {
		return fmt.Errorf("natsjs: stream %s: %w", name, err)
	}
	return nil
}

// redact hides the credentials in a list of URLs given to nats.Connect:
// the user part may be a token.
func redact(urls string) string {
	list := strings.Split(urls, ",")
	for i, s := range list {
		if u, err := url.Parse(strings.TrimSpace(s)); err == nil && u.User != nil {
			u.User = url.User("REDACTED")
			list[i] = u.String()
		}
	}
	return strings.Join(list, ",")
}

// Deliver publishes body once and waits for the stream's ack.
func (t *Target) Deliver(ctx context.Context, e *muster.Event, body []byte) error {
	// nats.go would queue the publish until the connection is back, which
	// may be long after the deadline.
	if s := t.nc.Status(); s != nats.CONNECTED {
		return fmt.Errorf("natsjs: not connected to NATS (%v)", s)
	}
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	m := &nats.Msg{
		Subject: t.subject,
		Data:    body,
		Header:  nats.Header{HeaderEventType: {e.DetailType}},
	}
	opts := append([]jetstream.PublishOpt{
		jetstream.WithMsgID(e.ID),
		// The dispatcher does the retrying, with backoff.
		jetstream.WithRetryAttempts(0),
	}, t.opts...)
	if _, err := t.js.PublishMsg(ctx, m, opts...); err != nil {
		if errors.Is(err, nats.ErrMaxPayload) {
			return &permanentError{fmt.Errorf("natsjs: event %s of %d bytes is larger than the server's max_payload: %w", e.ID, len(body), err)}
		}
		if errors.Is(err, jetstream.ErrNoStreamResponse) {
			return fmt.Errorf("natsjs: publishing to %s: no stream captures the subject", t.subject)
		}
		return fmt.Errorf("natsjs: publishing to %s: %w", t.subject, err)
	}
	return nil
}

// permanentError is an error no retry can fix. It has the Permanent
// method the dispatcher looks for, so that the event is dead-lettered at
// once.
type permanentError struct{ err error }

func (e *permanentError) Error() string   { return e.err.Error() }
func (e *permanentError) Unwrap() error   { return e.err }
func (e *permanentError) Permanent() bool { return true }

// Close closes the connection; deliveries in flight fail.
func (t *Target) Close() error {
	t.nc.Close()
	return nil
}
