// Package sqlite is Muster's embedded default store: one SQLite file, written
// by one goroutine, read by a small pool of connections. It uses the pure-Go
// driver modernc.org/sqlite so that Muster stays one static binary.
//
// The layout follows measurements (docs and the research notes): a narrow
// findings table holding the key and the few columns the hot GetFindings
// filters and the default sort need, a separate docs table with the JSON
// document, and an attrs side table with one row per value of the
// multi-valued attributes that filters look up by value (Resources[].Id and
// Resources[].Type). Every other filter is compiled to SQLite's JSON
// functions over the document.
//
// The finding lifecycle adds a retention clock to the narrow table (the
// later of UpdatedAt and ProcessedAt) with one index that DeleteExpired
// walks, a history table appended to in seq order, where each finding's
// records form a chain from findings.last_seq back through prev, and a
// usage table of findings ingested per UTC day, account, region and
// product, which an import adds to once per request. A finding is written
// with its history and metering in one transaction.
//
// Requests are decided outside the writer: UpsertFindings and
// UpdateFindings read their findings from the read pool and call the
// MergeFunc or UpdateFunc on the caller's goroutine; the writer checks
// each finding's version and decides again only those that changed since
// (see plan.go).
//
// # Durability
//
// The database runs in WAL mode with synchronous=NORMAL. A transaction is
// committed when its frames, including the commit frame, have been written to
// the WAL file with write(2); NORMAL skips the fsync at commit and syncs only
// at checkpoints. Written pages are in the operating system's page cache,
// which survives the death of the process, so a commit that has returned
// survives kill -9, an OOM kill or a panic. Only a crash of the operating
// system or a power loss can undo the last transactions, and even then the
// database stays consistent. That is Muster's promise: UpsertFindings returns
// only after COMMIT, so a finding BatchImportFindings acknowledged is not lost
// when the server process is killed right after. Use WithSynchronousFull for
// the stronger promise against power loss, at the cost of an fsync per group
// commit.
package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/muster-hub/muster"
	"modernc.org/sqlite"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is a muster.Store in one SQLite file.
type DB struct {
	path string
	cfg  config

	rdb *sql.DB // read-only pool
	wdb *sql.DB // the writer's single connection
	cdb *sql.DB // the checkpointer's connection
	// file is the database file, which the checkpointer syncs.
	file *os.File

	w *writer
	// groups is the in-memory index of insight results (groups.go).
	groups *groupIndex

	scopeMu sync.RWMutex
	scopes  map[scopeKey]int64 // (region, account) -> sid, committed rows only

	hubs   hubCache
	recent recentEvents // the newest committed outbox events
}

var _ muster.Store = (*DB)(nil)

type scopeKey struct{ region, account string }

type config struct {
	busyTimeout  time.Duration
	cacheKiB     int
	mmapBytes    int64
	readConns    int
	maxBatch     int
	syncFull     bool
	analyzeEvery int
	observe      func(WriteStats)
	observeCkpt  func(CheckpointStats)
	// observeMigration, if set, is told of each migration applied.
	observeMigration func(name string, took time.Duration)
	walLimit         int64 // frames; see writer.run
	// ckptEvery is how often the checkpointer runs; afterPass, if set,
	// is called after each of its passes (for tests).
	ckptEvery time.Duration
	afterPass func()
	// probeLimit and sortLimit bound the selective filters that GetFindings
	// starts from (see planHint); tests lower them to 0 to walk the sort
	// index always.
	probeLimit, sortLimit int
}

// Option changes how Open sets up the database.
type Option func(*config)

// WriteStats tells where one write request's time went, for the operator's
// metrics: the writer's latency is most of an import's and of a
// BatchUpdateFindings call's.
type WriteStats struct {
	// Urgent is true for customer updates (UpdateFindings), which go ahead
	// of waiting imports.
	Urgent bool
	// Wait is from the request's arrival to the start of its statements:
	// the queue and the groups before it. Run is its statements. Commit is
	// its group's COMMIT, which writes the group's pages to the WAL.
	Wait, Run, Commit time.Duration
}

// Kind names the request's kind, as metrics and CPU profiles label it:
// "update" for urgent requests, "write" for the others.
func (s WriteStats) Kind() string { return kindOf(s.Urgent) }

func kindOf(urgent bool) string {
	if urgent {
		return "update"
	}
	return "write"
}

// WithWriteObserver has f called once each write request has committed or
// failed; f runs on the writer's goroutine and must be quick.
func WithWriteObserver(f func(WriteStats)) Option { return func(c *config) { c.observe = f } }

// CheckpointStats describes a checkpoint the writer ran itself, between
// groups, so that the WAL could start over. SQLite starts it over only at
// a transaction that begins when it is wholly copied and no reader uses
// it; under sustained writes a commit nearly always comes between the
// background checkpoint that copied it and that moment, so it grows.
// Every write waits meanwhile, most of it for the fsync of the pages
// copied into the database file since it was last synced (SQLite syncs
// the file only after a checkpoint that reaches the end with no commit
// meanwhile). Left to SQLite, that was every page the background
// checkpoints had copied since the WAL last started over: at 1M findings
// under the bench's mixed workload, 300-400 ms every second or two on a
// slow disk. The checkpointer therefore syncs the file itself as the WAL
// grows, and in passes back to back once it is over the limit (see
// writer.checkpoint), which leaves the writer's checkpoint the pages of
// the last pass.
type CheckpointStats struct {
	Took time.Duration
	// Frames is the WAL's length, in pages, when the checkpoint ran.
	Frames int64
	// Synced is how many of those frames had been copied into the
	// database file and synced there before.
	Synced int64
}

// WithCheckpointObserver has f called after each checkpoint the writer
// runs itself; f runs on the writer's goroutine and must be quick.
func WithCheckpointObserver(f func(CheckpointStats)) Option {
	return func(c *config) { c.observeCkpt = f }
}

// WithMigrationObserver has f called after each migration Open applies,
// with the migration's file name and how long it took: on a large store a
// migration that rewrites an index or a table takes seconds, during which
// Open does not return.
func WithMigrationObserver(f func(name string, took time.Duration)) Option {
	return func(c *config) { c.observeMigration = f }
}

// WithBusyTimeout sets how long a connection waits for a lock held by another
// process (a backup tool, the sqlite3 shell) before failing. Within one DB
// there is a single writer, so it matters only across processes.
func WithBusyTimeout(d time.Duration) Option { return func(c *config) { c.busyTimeout = d } }

// WithCacheSize sets SQLite's page cache per connection in KiB. The writer
// benefits most: index pages that stay cached make upserts cheaper.
func WithCacheSize(kib int) Option { return func(c *config) { c.cacheKiB = kib } }

// WithMmapSize sets how much of the file readers map into memory; mapped
// reads skip a copy per page. 0 turns it off.
func WithMmapSize(bytes int64) Option { return func(c *config) { c.mmapBytes = bytes } }

// WithReadConns sets the size of the read pool, that is how many queries run
// at once. Writes never wait for reads in WAL mode.
func WithReadConns(n int) Option { return func(c *config) { c.readConns = n } }

// WithMaxBatch sets how many findings the writer puts into one group commit
// at most. Larger groups amortize the commit and the index page writes;
// smaller ones bound the latency a caller waits behind others.
func WithMaxBatch(n int) Option { return func(c *config) { c.maxBatch = n } }

// WithSynchronousFull makes every commit fsync the WAL, so that acknowledged
// findings survive power loss as well as a killed process.
func WithSynchronousFull() Option { return func(c *config) { c.syncFull = true } }

// Open opens or creates the database at path (its directory must exist),
// applies the embedded migrations and starts the writer. The caller must
// Close it to stop the writer and checkpoint the WAL.
func Open(path string, opts ...Option) (*DB, error) {
	cfg := config{
		busyTimeout: 10 * time.Second,
		cacheKiB:    64 << 10,
		// Mapped pages count toward the process's resident memory; 256 MiB
		// keeps a server with a million findings under 1 GiB of RSS.
		mmapBytes:    256 << 20,
		readConns:    max(4, runtime.GOMAXPROCS(0)),
		maxBatch:     2000,
		analyzeEvery: 50000,
		walLimit:     walLimit,
		ckptEvery:    ckptEvery,
		probeLimit:   probeLimit,
		sortLimit:    sortLimit,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if strings.ContainsAny(path, "?#") || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("sqlite: unsupported database path %q", path)
	}
	db := &DB{path: path, cfg: cfg, scopes: map[scopeKey]int64{}}
	// undo closes what Open has opened so far, newest first, should a
	// later step fail.
	var opened []func() error
	undo := func() {
		for i := len(opened) - 1; i >= 0; i-- {
			opened[i]()
		}
	}

	// The writer connection is opened first: page_size must be set before
	// the first table exists and before the file switches to WAL.
	db.wdb = sql.OpenDB(&connector{path: path, cfg: &db.cfg, write: true})
	db.wdb.SetMaxOpenConns(1)
	db.wdb.SetMaxIdleConns(1)
	db.wdb.SetConnMaxLifetime(0)
	db.wdb.SetConnMaxIdleTime(0)
	opened = append(opened, db.wdb.Close)
	ctx := context.Background()
	wconn, err := db.wdb.Conn(ctx)
	if err != nil {
		undo()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	opened = append(opened, wconn.Close)
	if err := migrate(ctx, wconn, cfg.observeMigration); err != nil {
		undo()
		return nil, fmt.Errorf("sqlite: migrate %s: %w", path, err)
	}

	db.rdb = sql.OpenDB(&connector{path: path, cfg: &db.cfg})
	db.rdb.SetMaxOpenConns(cfg.readConns)
	db.rdb.SetMaxIdleConns(cfg.readConns)
	db.rdb.SetConnMaxIdleTime(0)
	db.rdb.SetConnMaxLifetime(0)
	opened = append(opened, db.rdb.Close)

	db.cdb = sql.OpenDB(&connector{path: path, cfg: &db.cfg, write: true})
	db.cdb.SetMaxOpenConns(1)
	opened = append(opened, db.cdb.Close)

	// A descriptor of the database file for the checkpointer's syncs
	// (see writer.pass). It stays open until every connection
	// has closed: closing a descriptor of a file drops the process's
	// POSIX locks on it, SQLite's among them.
	if db.file, err = os.OpenFile(path, os.O_RDWR, 0); err != nil {
		undo()
		return nil, err
	}
	// First in the list, so that undo closes it last.
	opened = slices.Insert(opened, 0, db.file.Close)
	db.groups = newGroupIndex(db)
	if db.w, err = newWriter(db, wconn); err != nil {
		undo()
		return nil, err
	}
	return db, nil
}

// Close stops accepting writes, waits for the writer to commit what it has
// accepted, checkpoints the WAL into the main file and closes the database.
func (db *DB) Close() error {
	db.groups.close()
	err := db.w.close()
	err = errors.Join(err, db.rdb.Close(), db.wdb.Close(), db.cdb.Close())
	return errors.Join(err, db.file.Close())
}

// connector opens connections of the package's private driver and applies
// the connection pragmas in the order SQLite needs them, which the DSN's
// _pragma list (sorted by name) cannot guarantee.
type connector struct {
	path  string
	cfg   *config
	write bool
}

func (c *connector) Driver() driver.Driver { return drv }

func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	conn, err := drv.Open(c.path)
	if err != nil {
		return nil, err
	}
	sync := "NORMAL"
	if c.cfg.syncFull {
		sync = "FULL"
	}
	pragmas := []string{
		fmt.Sprintf("PRAGMA busy_timeout = %d", c.cfg.busyTimeout.Milliseconds()),
	}
	if c.write {
		// No-op once the file has tables; otherwise fixes the page size
		// before journal_mode writes the header. 4 KiB rather than 8: a
		// re-import or triage update dirties a handful of pages at random
		// places, and each goes to the WAL whole, so smaller pages write
		// half the bytes; at 1M findings re-imports ran 14% and
		// BatchUpdateFindings 27% faster, fresh imports 6% (see
		// docs/performance.md). Databases created with 8 KiB keep it.
		// The writer never checkpoints on commit; the checkpointer does,
		// on its own connection (see checkpointer).
		pragmas = append(pragmas, "PRAGMA page_size = 4096", "PRAGMA journal_mode = WAL",
			"PRAGMA wal_autocheckpoint = 0", "PRAGMA journal_size_limit = 67108864")
	}
	pragmas = append(pragmas,
		"PRAGMA synchronous = "+sync,
		fmt.Sprintf("PRAGMA cache_size = %d", -c.cfg.cacheKiB),
		"PRAGMA temp_store = MEMORY",
		fmt.Sprintf("PRAGMA mmap_size = %d", c.cfg.mmapBytes),
	)
	if !c.write {
		pragmas = append(pragmas, "PRAGMA query_only = 1")
	}
	ex := conn.(driver.ExecerContext)
	for _, p := range pragmas {
		if _, err := ex.ExecContext(ctx, p, nil); err != nil {
			conn.Close()
			return nil, fmt.Errorf("%s: %w", p, err)
		}
	}
	return conn, nil
}

// migrate applies the embedded migrations that schema_migrations does not
// list, in name order, each in its own transaction, and tells observe, if
// set, of each one applied.
func migrate(ctx context.Context, conn *sql.Conn, observe func(string, time.Duration)) error {
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return err
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		start := time.Now()
		applied, err := migrateOne(ctx, conn, name)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if applied && observe != nil {
			observe(path.Base(name), time.Since(start))
		}
	}
	return nil
}

// migrateOne applies the migration name unless schema_migrations lists it,
// and reports whether it did.
func migrateOne(ctx context.Context, conn *sql.Conn, name string) (bool, error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE name = ?`, name).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	body, err := fs.ReadFile(migrations, name)
	if err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)`, name, time.Now().Unix()); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

// sids returns the scope ids of accounts in region that have findings, in
// no particular order, with the account of each.
func (db *DB) sids(ctx context.Context, region string, accounts []string) (map[int64]string, error) {
	out := make(map[int64]string, len(accounts))
	var missing []string
	db.scopeMu.RLock()
	for _, a := range accounts {
		if sid, ok := db.scopes[scopeKey{region, a}]; ok {
			out[sid] = a
		} else {
			missing = append(missing, a)
		}
	}
	db.scopeMu.RUnlock()
	for _, a := range missing {
		var sid int64
		err := db.rdb.QueryRowContext(ctx, `SELECT sid FROM scopes WHERE region = ? AND account = ?`, region, a).Scan(&sid)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, err
		}
		db.scopeMu.Lock()
		db.scopes[scopeKey{region, a}] = sid
		db.scopeMu.Unlock()
		out[sid] = a
	}
	return out, nil
}

// CountFindings counts the rows of the narrow table's smallest index.
func (db *DB) CountFindings(ctx context.Context) (int64, error) {
	var n int64
	err := db.rdb.QueryRowContext(ctx, `SELECT count(*) FROM findings`).Scan(&n)
	return n, err
}

// drv is a private driver so that the functions registered below reach only
// this package's connections and cannot clash with another package's.
var drv = func() *sqlite.Driver {
	d := &sqlite.Driver{}
	registerFuncs(d)
	return d
}()
