package delivery

import (
	"context"
	"errors"
	"hash/maphash"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/eventpattern"
)

// Route is one target and the patterns of the rules that send to it. Its
// Name keys the target's progress through the outbox, so it must stay the
// same across restarts for delivery to resume where it stopped.
type Route struct {
	Name     string
	Target   Target
	Patterns []*eventpattern.Pattern
}

// Observer hears how delivery goes, for metrics.
type Observer interface {
	// Delivered is called for each event a target took, lag after the
	// event happened.
	Delivered(target string, lag time.Duration)
	// Failed is called for each failed attempt.
	Failed(target string)
	// DeadLettered is called when a target gives up on an event.
	DeadLettered(target string)
	// Backlog reports how many outbox events a target has still to look
	// at.
	Backlog(target string, events int64)
}

type nopObserver struct{}

func (nopObserver) Delivered(string, time.Duration) {}
func (nopObserver) Failed(string)                   {}
func (nopObserver) DeadLettered(string)             {}
func (nopObserver) Backlog(string, int64)           {}

// Options configure a Dispatcher. Zero values take the defaults.
type Options struct {
	Store muster.EventStore
	// Attempts is how many times an event is tried before it is
	// dead-lettered (default 8).
	Attempts int
	// Backoff is the wait after the first failed attempt, doubling
	// after each further one up to MaxBackoff (defaults 200ms and 1m).
	Backoff, MaxBackoff time.Duration
	// Timeout bounds one attempt (default 30s); targets have their own,
	// shorter ones.
	Timeout time.Duration
	// Lanes is how many deliveries to one target run at once (default
	// 16). Events of one key always take the same lane, so they arrive
	// in order.
	Lanes int
	// Batch is how many outbox events a target reads at a time (default
	// 512).
	Batch int
	// Poll is how often targets look at the outbox when nothing
	// notifies them (default 1s): a safety net, since Notify wakes them
	// after every write.
	Poll     time.Duration
	Observer Observer
	Logger   *slog.Logger
}

// Dispatcher delivers the outbox's events to its routes.
type Dispatcher struct {
	o       Options
	mu      sync.Mutex
	workers map[string]*worker
	seed    maphash.Seed
	ctx     context.Context
	cancel  context.CancelFunc
	trimmed chan struct{}
	flats   flatCache
	batches batchCache
	// wanted is whether routes exist, read by every import without the
	// lock. SetRoutes changes it only once the new routes run, so that
	// imports during a reload still write the events the kept routes
	// will read.
	wanted atomic.Bool
}

// batchCache keeps the last full batches read from the outbox, by the
// sequence number they start after: targets that keep up read the same
// batches, and a full batch never changes, since sequence numbers are
// given in commit order by the one writer.
type batchCache struct {
	mu   sync.Mutex
	keys [8]int64
	vals [8][]*muster.Event
	next int
}

func (c *batchCache) get(after int64) []*muster.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, k := range c.keys {
		if k == after && c.vals[i] != nil {
			return c.vals[i]
		}
	}
	return nil
}

func (c *batchCache) put(after int64, events []*muster.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.keys[c.next], c.vals[c.next] = after, events
	c.next = (c.next + 1) % len(c.keys)
}

// events reads the batch after a sequence number, sharing full batches
// between targets.
func (d *Dispatcher) events(ctx context.Context, after int64) ([]*muster.Event, error) {
	if b := d.batches.get(after); b != nil {
		return b, nil
	}
	b, err := d.o.Store.Events(ctx, after, d.o.Batch)
	if err == nil && len(b) == d.o.Batch {
		d.batches.put(after, b)
	}
	return b, err
}

// flatCache keeps the flattened form of recent events, so that targets
// reading the same events match them without each decoding them again.
type flatCache struct {
	mu   sync.Mutex
	m    map[int64]*eventpattern.Flat
	ring []int64
	next int
}

const flatCacheSize = 8192

func (c *flatCache) get(e *muster.Event, body []byte) (*eventpattern.Flat, error) {
	c.mu.Lock()
	f, ok := c.m[e.Seq]
	c.mu.Unlock()
	if ok {
		return f, nil
	}
	f, err := eventpattern.Flatten(body)
	if err != nil || e.Seq == 0 {
		return f, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m, c.ring = map[int64]*eventpattern.Flat{}, make([]int64, flatCacheSize)
	}
	if old := c.ring[c.next]; old != 0 {
		delete(c.m, old)
	}
	c.ring[c.next], c.m[e.Seq] = e.Seq, f
	c.next = (c.next + 1) % flatCacheSize
	return f, nil
}

// New returns a Dispatcher with no routes; SetRoutes gives it some.
func New(o Options) *Dispatcher {
	if o.Attempts <= 0 {
		o.Attempts = 8
	}
	if o.Backoff <= 0 {
		o.Backoff = 200 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = time.Minute
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Lanes <= 0 {
		o.Lanes = 16
	}
	if o.Batch <= 0 {
		o.Batch = 512
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Observer == nil {
		o.Observer = nopObserver{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &Dispatcher{o: o, workers: map[string]*worker{}, seed: maphash.MakeSeed(), ctx: ctx, cancel: cancel, trimmed: make(chan struct{})}
	go d.trim()
	return d
}

// Wanted reports whether any route exists: without one, nobody would
// receive an event, so the hub writes none.
func (d *Dispatcher) Wanted() bool { return d.wanted.Load() }

// Notify tells every target that the outbox has new events.
func (d *Dispatcher) Notify() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, w := range d.workers {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

// SetRoutes replaces the routes, closing the targets of the old ones. A
// route whose name was known before keeps its progress; a new one starts
// with the events written from now on, as an EventBridge rule sees only
// events after it is created.
func (d *Dispatcher) SetRoutes(ctx context.Context, routes []Route) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	errs := []error{d.stopWorkers()}
	for _, r := range routes {
		cursor, err := d.o.Store.Cursor(ctx, r.Name)
		if err == nil && cursor < 0 {
			if cursor, err = d.o.Store.LastEventSeq(ctx); err == nil {
				err = d.o.Store.SetCursor(ctx, r.Name, cursor)
			}
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		w := &worker{d: d, route: r, cursor: cursor, wake: make(chan struct{}, 1), done: make(chan struct{})}
		wctx, cancel := context.WithCancel(d.ctx)
		w.cancel = cancel
		d.workers[r.Name] = w
		go w.run(wctx)
	}
	d.wanted.Store(len(d.workers) > 0)
	return errors.Join(errs...)
}

// Close stops delivery and closes every target. Events not yet delivered
// stay in the outbox for the next start.
func (d *Dispatcher) Close() error {
	d.cancel()
	<-d.trimmed
	d.mu.Lock()
	defer d.mu.Unlock()
	d.wanted.Store(false)
	return d.stopWorkers()
}

// stopWorkers stops every worker and closes its target; d.mu is held.
func (d *Dispatcher) stopWorkers() error {
	var errs []error
	for name, w := range d.workers {
		w.stop()
		if err := w.route.Target.Close(); err != nil {
			errs = append(errs, err)
		}
		delete(d.workers, name)
	}
	return errors.Join(errs...)
}

// Replay delivers a dead letter again, once, to its target, and removes it
// when the target takes it.
func (d *Dispatcher) Replay(ctx context.Context, id int64) error {
	letters, err := d.o.Store.DeadLetters(ctx, "")
	if err != nil {
		return err
	}
	var dl *muster.DeadLetter
	for _, l := range letters {
		if l.ID == id {
			dl = l
		}
	}
	if dl == nil {
		return muster.Errorf(muster.ResourceNotFound, "Dead letter %d does not exist", id)
	}
	d.mu.Lock()
	w := d.workers[dl.Target]
	d.mu.Unlock()
	if w == nil {
		return muster.Errorf(muster.InvalidInput, "Dead letter %d is for target %s, which no rule has now", id, dl.Target)
	}
	body, err := dl.Event.MarshalJSON()
	if err != nil {
		return err
	}
	actx, cancel := context.WithTimeout(ctx, d.o.Timeout)
	defer cancel()
	if err := w.route.Target.Deliver(actx, dl.Event, body); err != nil {
		d.o.Observer.Failed(dl.Target)
		return muster.Errorf(muster.InvalidInput, "Replaying dead letter %d to %s failed: %v", id, dl.Target, err)
	}
	d.o.Observer.Delivered(dl.Target, time.Since(dl.Event.Time))
	_, err = d.o.Store.DeleteDeadLetter(ctx, id)
	return err
}

// trim deletes the outbox events every target has passed.
func (d *Dispatcher) trim() {
	defer close(d.trimmed)
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-d.ctx.Done():
			return
		case <-t.C:
		}
		d.mu.Lock()
		low := int64(-1)
		for _, w := range d.workers {
			if c := w.position(); low < 0 || c < low {
				low = c
			}
		}
		d.mu.Unlock()
		if low < 0 {
			last, err := d.o.Store.LastEventSeq(d.ctx)
			if err != nil {
				continue
			}
			low = last
		}
		if err := d.o.Store.TrimEvents(d.ctx, low); err != nil && d.ctx.Err() == nil {
			d.o.Logger.Warn("trimming the event outbox", "err", err)
		}
	}
}

// worker delivers the outbox to one route.
type worker struct {
	d      *Dispatcher
	route  Route
	wake   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}

	mu       sync.Mutex
	cursor   int64
	reported time.Time // when the backlog was last reported
}

func (w *worker) stop() {
	w.cancel()
	<-w.done
}

func (w *worker) position() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.cursor
}

// maxInflight bounds the events a target has read but not yet finished,
// and so the memory a slow target holds.
const maxInflight = 4096

// run reads the outbox and feeds the lanes without waiting for a batch to
// finish: each lane delivers its events in order and reports them done,
// and the cursor advances past every event up to the oldest one still
// under way. A slow delivery holds back only its own lane, and the saved
// cursor.
func (w *worker) run(ctx context.Context) {
	defer close(w.done)
	o := &w.d.o
	done := make(chan int64, maxInflight)
	lanes := make([]chan delivery, o.Lanes)
	var wg sync.WaitGroup
	for i := range lanes {
		lanes[i] = make(chan delivery, 64)
		wg.Add(1)
		go func(ch chan delivery) {
			defer wg.Done()
			for dv := range ch {
				if !w.deliver(ctx, dv) {
					return // stopped: the cursor stays before this event
				}
				select {
				case done <- dv.e.Seq:
				case <-ctx.Done():
					return
				}
			}
		}(lanes[i])
	}
	defer func() {
		for _, ch := range lanes {
			close(ch)
		}
		wg.Wait()
	}()

	poll := time.NewTicker(o.Poll)
	defer poll.Stop()
	var (
		read     = w.position() // the last event read
		pending  []int64        // events sent to lanes and not done, in order
		finished = map[int64]bool{}
		saved    = read
		savedAt  time.Time
	)
	mark := func(seq int64) { finished[seq] = true }
	// advance moves the cursor past everything done.
	advance := func() {
		for len(pending) > 0 && finished[pending[0]] {
			delete(finished, pending[0])
			pending = pending[1:]
		}
		next := read
		if len(pending) > 0 {
			next = pending[0] - 1
		}
		w.mu.Lock()
		w.cursor = next
		w.mu.Unlock()
		if next != saved && (time.Since(savedAt) > 200*time.Millisecond || len(pending) == 0) {
			if err := o.Store.SetCursor(ctx, w.route.Name, next); err != nil {
				if ctx.Err() == nil {
					o.Logger.Warn("saving delivery progress", "target", w.route.Name, "err", err)
				}
				return
			}
			saved, savedAt = next, time.Now()
		}
	}
	needRead := true // woken to look at the outbox, or more is there
	for ctx.Err() == nil {
		if needRead && len(pending) < maxInflight {
			needRead = false
			events, err := w.d.events(ctx, read)
			if err != nil {
				if ctx.Err() == nil {
					o.Logger.Warn("reading the event outbox", "target", w.route.Name, "err", err)
				}
			}
			if time.Since(w.reported) > time.Second {
				// The backlog gauge needs no more than a reading a second.
				if last, err := o.Store.LastEventSeq(ctx); err == nil {
					o.Observer.Backlog(w.route.Name, last-w.position())
					w.reported = time.Now()
				}
			}
			for _, e := range events {
				body, err := e.MarshalJSON()
				if err != nil || !w.matches(e, body) {
					continue
				}
				pending = append(pending, e.Seq)
				lane := lanes[maphash.String(w.d.seed, e.Key)%uint64(o.Lanes)]
				for sent := false; !sent; {
					select {
					case lane <- delivery{e, body}:
						sent = true
					case seq := <-done:
						mark(seq)
					case <-ctx.Done():
						return
					}
				}
			}
			if len(events) > 0 {
				read = events[len(events)-1].Seq
				needRead = len(events) == o.Batch
			}
			if err != nil {
				needRead = false // wait for the poll before trying again
			}
		}
		advance()
		if needRead && len(pending) < maxInflight {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case seq := <-done:
			mark(seq)
		case <-w.wake:
			needRead = true
		case <-poll.C:
			needRead = true
		}
		// Take every completion waiting, then go round again.
		for drained := false; !drained; {
			select {
			case seq := <-done:
				mark(seq)
			default:
				drained = true
			}
		}
	}
}

type delivery struct {
	e    *muster.Event
	body []byte
}

func (w *worker) matches(e *muster.Event, body []byte) bool {
	if len(w.route.Patterns) == 0 {
		return false
	}
	flat, err := w.d.flats.get(e, body)
	if err != nil {
		return false
	}
	for _, p := range w.route.Patterns {
		if p.MatchFlat(flat) {
			return true
		}
	}
	return false
}

// permanent is implemented by target errors that no retry can fix (a
// webhook's 410 Gone, say): those are dead-lettered at once.
type permanent interface{ Permanent() bool }

// deliver tries one event until it is delivered or dead-lettered, and
// reports false only when stopped.
func (w *worker) deliver(ctx context.Context, dv delivery) bool {
	o := &w.d.o
	wait := o.Backoff
	var err error
	attempts := 0
	for attempts < o.Attempts {
		attempts++
		actx, cancel := context.WithTimeout(ctx, o.Timeout)
		err = w.route.Target.Deliver(actx, dv.e, dv.body)
		cancel()
		if err == nil {
			o.Observer.Delivered(w.route.Name, time.Since(dv.e.Time))
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		o.Observer.Failed(w.route.Name)
		var p permanent
		if errors.As(err, &p) && p.Permanent() {
			break
		}
		if attempts == o.Attempts {
			break
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(wait):
		}
		wait = min(2*wait, o.MaxBackoff)
	}
	dl := &muster.DeadLetter{Target: w.route.Name, Event: dv.e, Reason: err.Error(), Attempts: attempts, At: time.Now().UTC()}
	if derr := o.Store.AddDeadLetter(ctx, dl); derr != nil {
		if ctx.Err() != nil {
			return false
		}
		o.Logger.Error("dead-lettering an event", "target", w.route.Name, "id", dv.e.ID, "err", derr)
	}
	o.Observer.DeadLettered(w.route.Name)
	o.Logger.Warn("event dead-lettered", "target", w.route.Name, "id", dv.e.ID, "attempts", attempts, "err", err)
	return true
}
