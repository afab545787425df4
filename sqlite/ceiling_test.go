package sqlite

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// BenchmarkCeiling measures SQLite alone on this machine: one connection
// with the store's pragmas, transactions of 1,000 rows of a 2.8 KB
// document each, no HTTP, validation or completion. It bounds what any
// design on this store can ingest, so the import target of the foundation
// issue can be checked against it (docs/performance.md); ns/op is the
// writer's time per row:
//
//	go test -run XXX -bench Ceiling -benchtime 100000x ./sqlite
func BenchmarkCeiling(b *testing.B) {
	for _, layout := range []struct {
		name   string
		schema []string
		hashed bool
	}{
		{"documents", nil, false},
		{"documents+key", []string{`CREATE UNIQUE INDEX k ON f (sid, product_arn, id)`}, false},
		{"documents+hashed key", []string{`CREATE INDEX k ON f (sid, kh)`}, true},
	} {
		b.Run(layout.name, func(b *testing.B) {
			db := sql.OpenDB(&connector{path: filepath.Join(b.TempDir(), "c.db"), cfg: &config{busyTimeout: time.Second, cacheKiB: 64 << 10, mmapBytes: 256 << 20}, write: true})
			defer db.Close()
			db.SetMaxOpenConns(1)
			stmts := []string{`PRAGMA page_size = 4096`, `PRAGMA journal_mode = WAL`, `PRAGMA synchronous = NORMAL`,
				`CREATE TABLE d (rid INTEGER PRIMARY KEY, doc BLOB NOT NULL)`}
			if layout.schema != nil {
				stmts = append(stmts, `CREATE TABLE f (rid INTEGER PRIMARY KEY, sid INTEGER, product_arn TEXT, id TEXT, kh INTEGER)`)
			}
			for _, s := range append(stmts, layout.schema...) {
				if _, err := db.Exec(s); err != nil {
					b.Fatal(err)
				}
			}
			doc := []byte(strings.Repeat("x", 2800))
			const product = "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default"
			ids := make([]string, b.N)
			for i := range ids {
				ids[i] = fmt.Sprintf("arn:aws:ec2:us-east-1:123456789012:instance/i-%016x/check-%d", rand.Uint64(), i)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i += 1000 {
				tx, err := db.Begin()
				if err != nil {
					b.Fatal(err)
				}
				insD, _ := tx.Prepare(`INSERT INTO d (rid, doc) VALUES (?, ?)`)
				insF, _ := tx.Prepare(`INSERT INTO f (rid, sid, product_arn, id, kh) VALUES (?, 1, ?, ?, ?)`)
				for j := i; j < min(i+1000, b.N); j++ {
					doc[0] = byte(j)
					if _, err := insD.Exec(j+1, doc); err != nil {
						b.Fatal(err)
					}
					if layout.schema == nil {
						continue
					}
					var kh any
					if layout.hashed {
						kh = keyHash(product, ids[j])
					}
					if _, err := insF.Exec(j+1, product, ids[j], kh); err != nil {
						b.Fatal(err)
					}
				}
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
