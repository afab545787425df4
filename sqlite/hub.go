package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"maps"
	"sync"
	"time"

	"github.com/muster-hub/muster"
)

func notSubscribed(account string) error {
	return muster.Errorf(muster.InvalidAccess, "Account %s is not subscribed to AWS Security Hub", account)
}

// hubCache keeps the hub rows that every import request looks up. Writes
// to a hub invalidate its entry after they commit; a read that raced with
// one is not cached, which the generation tells.
type hubCache struct {
	mu  sync.Mutex
	gen uint64
	m   map[muster.Scope]muster.Hub
}

func (c *hubCache) get(scope muster.Scope) (*muster.Hub, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.m[scope]
	if !ok {
		return nil, c.gen, false
	}
	h.Tags = maps.Clone(h.Tags) // callers change tags and write the hub back
	return &h, c.gen, true
}

func (c *hubCache) put(h *muster.Hub, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.m == nil {
		c.m = map[muster.Scope]muster.Hub{}
	}
	v := *h
	v.Tags = maps.Clone(h.Tags)
	c.m[h.Scope] = v
}

func (c *hubCache) invalidate(scope muster.Scope) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.m, scope)
}

// GetHub reads the hub from the cache, or else from the read pool.
func (db *DB) GetHub(ctx context.Context, scope muster.Scope) (*muster.Hub, error) {
	h, gen, ok := db.hubs.get(scope)
	if ok {
		return h, nil
	}
	h, err := db.readHub(ctx, scope)
	if err == nil {
		db.hubs.put(h, gen)
	}
	return h, err
}

func (db *DB) readHub(ctx context.Context, scope muster.Scope) (*muster.Hub, error) {
	var (
		at   int64
		auto bool
		gen  string
		tags string
	)
	err := db.rdb.QueryRowContext(ctx, `SELECT subscribed_at, auto_enable_controls, control_finding_generator, tags
		FROM hubs WHERE account = ? AND region = ?`, scope.Account, scope.Region).Scan(&at, &auto, &gen, &tags)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notSubscribed(scope.Account)
	}
	if err != nil {
		return nil, err
	}
	h := &muster.Hub{
		Scope:                   scope,
		SubscribedAt:            time.Unix(0, at).UTC(),
		AutoEnableControls:      auto,
		ControlFindingGenerator: gen,
	}
	if err := json.Unmarshal([]byte(tags), &h.Tags); err != nil {
		return nil, err
	}
	return h, nil
}

// CreateHub goes through the writer like every write, so that it never
// waits for a lock. Hub writes wait for their commit even when ctx ends,
// so that the cache is invalidated after the row changed, not before.
func (db *DB) CreateHub(ctx context.Context, hub *muster.Hub) error {
	tags, err := hubTags(hub)
	if err != nil {
		return err
	}
	defer db.hubs.invalidate(hub.Scope)
	return db.exec(context.WithoutCancel(ctx), muster.Errorf(muster.ResourceConflict, "Account is already subscribed to Security Hub"),
		`INSERT INTO hubs (account, region, subscribed_at, auto_enable_controls, control_finding_generator, tags)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		hub.Account, hub.Region, hub.SubscribedAt.UnixNano(), hub.AutoEnableControls, hub.ControlFindingGenerator, tags)
}

// UpdateHub fails like GetHub when the scope has no hub.
func (db *DB) UpdateHub(ctx context.Context, hub *muster.Hub) error {
	tags, err := hubTags(hub)
	if err != nil {
		return err
	}
	defer db.hubs.invalidate(hub.Scope)
	return db.exec(context.WithoutCancel(ctx), notSubscribed(hub.Account),
		`UPDATE hubs SET subscribed_at = ?, auto_enable_controls = ?, control_finding_generator = ?, tags = ?
		WHERE account = ? AND region = ?`,
		hub.SubscribedAt.UnixNano(), hub.AutoEnableControls, hub.ControlFindingGenerator, tags, hub.Account, hub.Region)
}

// DeleteHub fails like GetHub when the scope has no hub.
func (db *DB) DeleteHub(ctx context.Context, scope muster.Scope) error {
	defer db.hubs.invalidate(scope)
	return db.exec(context.WithoutCancel(ctx), notSubscribed(scope.Account), `DELETE FROM hubs WHERE account = ? AND region = ?`, scope.Account, scope.Region)
}

func hubTags(h *muster.Hub) (string, error) {
	tags := h.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	b, err := json.Marshal(tags)
	return string(b), err
}

// single marks the errors of a write that is one statement as clean: SQLite
// undoes a failed statement, so the group's transaction can go on.
func single(fn func(context.Context, *sql.Conn) error) func(context.Context, *sql.Conn) error {
	return func(ctx context.Context, c *sql.Conn) error {
		if err := fn(ctx, c); err != nil {
			return cleanError{err}
		}
		return nil
	}
}
