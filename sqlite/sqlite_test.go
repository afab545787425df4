package sqlite

import (
	"bufio"
	"context"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/filter"
	"github.com/muster-hub/muster/storetest"
)

func openTemp(t *testing.T) *DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "muster.db"))
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// TestOpenFails: Open fails on a file that is not a database, and on a
// database whose migrations fail, closing every descriptor it opened; the
// same path opens once the file is a database again.
func TestOpenFails(t *testing.T) {
	fds := func() int {
		des, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Skip("no /proc/self/fd to count descriptors:", err)
		}
		return len(des)
	}
	for name, spoil := range map[string]func(t *testing.T, path string){
		"not a database": func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte(strings.Repeat("not a database ", 1000)), 0o600); err != nil {
				t.Fatal(err)
			}
		},
		// The first migration, run again, creates a table that exists.
		"migrations fail": func(t *testing.T, path string) {
			db, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.w.conn.ExecContext(context.Background(), `DELETE FROM schema_migrations`); err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "muster.db")
			spoil(t, path)
			before := fds()
			if db, err := Open(path); err == nil {
				db.Close()
				t.Fatal("Open succeeded")
			}
			if after := fds(); after != before {
				t.Errorf("%d descriptors open after the failed Open, %d before", after, before)
			}
			for _, f := range []string{path, path + "-wal", path + "-shm"} {
				if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
					t.Fatal(err)
				}
			}
			db, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) muster.Store { return openTemp(t) })
}

// TestMigrationObserver: Open tells the observer of every migration it
// applies to a new store, in order, and of none when the store has them.
func TestMigrationObserver(t *testing.T) {
	path := filepath.Join(t.TempDir(), "muster.db")
	var got []string
	observe := WithMigrationObserver(func(name string, took time.Duration) {
		if took <= 0 {
			t.Errorf("%s took %v", name, took)
		}
		got = append(got, name)
	})
	db, err := Open(path, observe)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	want, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		want[i] = strings.TrimPrefix(want[i], "migrations/")
	}
	if !slices.Equal(got, want) || len(want) < 9 {
		t.Fatalf("applied %v; want %v", got, want)
	}
	got = nil
	if db, err = Open(path, observe); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if len(got) != 0 {
		t.Errorf("reopening applied %v", got)
	}
}

func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "muster.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	f := storetest.NewFinding("us-east-1", filter.Doc{"Id": "x", "ProductArn": "p", "AwsAccountId": "1", "UpdatedAt": "2025-01-01T00:00:00Z"})
	if _, err := db.UpsertFindings(context.Background(), []*muster.Finding{f}, keepIncoming); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ps int
	if err := db.rdb.QueryRow("PRAGMA page_size").Scan(&ps); err != nil || ps != 4096 {
		t.Errorf("page_size = %d, %v; want 4096", ps, err)
	}
	fs, err := db.QueryFindings(context.Background(), muster.FindingQuery{Region: "us-east-1", Accounts: []string{"1"}})
	if err != nil || len(fs) != 1 {
		t.Fatalf("after reopen: %d findings, %v", len(fs), err)
	}
	if _, err := db.UpsertFindings(context.Background(), []*muster.Finding{f}, keepIncoming); err != nil {
		t.Fatal(err)
	}
}

func keepIncoming(_, in *muster.Finding) (*muster.Change, error) {
	return &muster.Change{Finding: in}, nil
}

const childEnv = "MUSTER_SQLITE_DURABILITY_CHILD"

// TestDurability kills a writing process with SIGKILL and checks that every
// finding whose UpsertFindings returned is in the reopened database.
func TestDurability(t *testing.T) {
	if path := os.Getenv(childEnv); path != "" {
		durabilityChild(path)
		return
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "muster.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestDurability$", "-test.v")
	cmd.Env = append(os.Environ(), childEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := 0
	sc := bufio.NewScanner(out)
	deadline := time.Now().Add(20 * time.Second)
	for sc.Scan() {
		line := sc.Text()
		if n, ok := strings.CutPrefix(line, "acked "); ok {
			acked, _ = strconv.Atoi(n)
			if acked >= 30 || time.Now().After(deadline) {
				break
			}
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if acked == 0 {
		t.Fatal("child acknowledged nothing")
	}
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n, err := db.CountFindings(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Batches are numbered from 0; acked N means batches 0..N-1 returned.
	for b := range acked {
		for i := range durBatch {
			id := fmt.Sprintf("b%d-%d", b, i)
			fl := &filter.Filters{Conds: []filter.Condition{{Field: filter.LookupField("Id"), Strings: []filter.StringCond{{Op: filter.Equals, Value: id}}}}}
			fs, err := db.QueryFindings(context.Background(), muster.FindingQuery{Region: "us-east-1", Accounts: []string{"111111111111"}, Filter: fl, Limit: 1})
			if err != nil {
				t.Fatal(err)
			}
			if len(fs) != 1 {
				t.Fatalf("finding %s of acknowledged batch %d lost after kill -9 (%d stored, %d batches acked)", id, b, n, acked)
			}
		}
	}
	t.Logf("%d batches acknowledged before kill -9, %d findings stored after reopen", acked, n)
}

const durBatch = 100

func durabilityChild(path string) {
	db, err := Open(path)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	pad := strings.Repeat("x", 2000)
	for b := 0; ; b++ {
		fs := make([]*muster.Finding, durBatch)
		for i := range fs {
			fs[i] = storetest.NewFinding("us-east-1", filter.Doc{
				"Id": fmt.Sprintf("b%d-%d", b, i), "ProductArn": "arn:aws:securityhub:us-east-1::product/aws/guardduty",
				"AwsAccountId": "111111111111", "UpdatedAt": "2025-01-01T00:00:00.000Z", "Description": pad,
			})
		}
		if _, err := db.UpsertFindings(context.Background(), fs, keepIncoming); err != nil {
			fmt.Println("upsert:", err)
			os.Exit(1)
		}
		fmt.Printf("acked %d\n", b+1)
	}
}

// TestKeyHashStable pins keyHash: stored databases hold its values in
// findings.kh, so a change to it would make every stored finding unfindable.
func TestKeyHashStable(t *testing.T) {
	got := keyHash("arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default", "finding-1")
	if got != 3315935785821427863 {
		t.Errorf("keyHash = %d; the stored hashes would no longer match", got)
	}
	if keyHash("a", "bc") == keyHash("ab", "c") {
		t.Error("keyHash does not separate the product ARN from the Id")
	}
}

// TestKeyHashIsFNV1a holds keyHash to the standard FNV-1a of its input.
func TestKeyHashIsFNV1a(t *testing.T) {
	for _, k := range [][2]string{{"", ""}, {"p", "i"}, {"arn:aws:securityhub:us-east-1:1:product/1/default", "x/ü/1"}} {
		h := fnv.New64a()
		h.Write([]byte(k[0] + "\x00" + k[1]))
		if got, want := keyHash(k[0], k[1]), int64(h.Sum64()); got != want {
			t.Errorf("keyHash(%q, %q) = %d, want %d", k[0], k[1], got, want)
		}
	}
}
