package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "muster-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "muster")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		panic(fmt.Sprintf("go build: %v\n%s", err, out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// serveProcess starts `muster serve` as a child process and waits until it
// answers /healthz.
func serveProcess(t *testing.T, addr, data string, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	return serveProcessEnv(t, nil, addr, data, args...)
}

// serveProcessEnv is serveProcess with the environment env (nil: the
// test's).
func serveProcessEnv(t *testing.T, env []string, addr, data string, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	cmd := exec.Command(binary, append([]string{"serve", "--addr", addr, "--data", data}, args...)...)
	cmd.Env = env
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return cmd, &logs
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not start: %v\n%s", err, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func sdk(addr string) *securityhub.Client {
	return securityhub.New(securityhub.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String("http://" + addr),
		Credentials:  credentials.NewStaticCredentialsProvider("111111111111", "x", ""),
		// The SDK's default retries stay on: aws-sdk-go-v2 now and then
		// finds its own connection closed under a response and retries it
		// (aws/aws-sdk-go-v2#2737); without retries about 1% of calls in a
		// loop fail, while net/http's client sees no error.
		// A client of its own per server process: connections kept alive
		// to a killed server must not be reused.
		HTTPClient: &http.Client{Transport: &http.Transport{}},
	})
}

func testFinding(id string) types.AwsSecurityFinding {
	return types.AwsSecurityFinding{
		SchemaVersion: aws.String("2018-10-08"),
		Id:            aws.String(id),
		ProductArn:    aws.String("arn:aws:securityhub:us-east-1:111111111111:product/111111111111/default"),
		GeneratorId:   aws.String("g"),
		AwsAccountId:  aws.String("111111111111"),
		Types:         []string{"Software and Configuration Checks"},
		CreatedAt:     aws.String("2024-01-01T00:00:00Z"),
		UpdatedAt:     aws.String("2024-01-01T00:00:00Z"),
		Severity:      &types.Severity{Label: types.SeverityLabelLow},
		Title:         aws.String("t"),
		Description:   aws.String("d"),
		Resources:     []types.Resource{{Type: aws.String("Other"), Id: aws.String("r")}},
	}
}

func countFindings(t *testing.T, c *securityhub.Client) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	p := securityhub.NewGetFindingsPaginator(c, &securityhub.GetFindingsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range page.Findings {
			ids[aws.ToString(f.Id)] = true
		}
	}
	return ids
}

// TestKillNineLosesNothingAcknowledged imports from several clients, kills
// the server with SIGKILL mid-stream, restarts it on the same data and
// requires every finding whose import was acknowledged, and its Imported
// event delivered to a rule's file target at least once.
func TestKillNineLosesNothingAcknowledged(t *testing.T) {
	addr, data := freeAddr(t), t.TempDir()
	cmd, _ := serveProcess(t, addr, data)
	events := filepath.Join(t.TempDir(), "events.jsonl")
	rule := filepath.Join(t.TempDir(), "rule.yaml")
	os.WriteFile(rule, []byte("pattern: {detail-type: [Security Hub Findings - Imported]}\ntargets: [{type: file, path: "+events+"}]\n"), 0o644)
	if out, err := operate(t, addr, "rules", "put", "imported", rule); err != nil {
		t.Fatalf("rules put: %v\n%s", err, out)
	}
	c := sdk(addr)
	if _, err := c.EnableSecurityHub(context.Background(), &securityhub.EnableSecurityHubInput{}); err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		acked []string
		wg    sync.WaitGroup
	)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := 0; ; b++ {
				var batch []types.AwsSecurityFinding
				var ids []string
				for i := range 50 {
					id := fmt.Sprintf("w%d-b%d-%d", w, b, i)
					ids = append(ids, id)
					batch = append(batch, testFinding(id))
				}
				out, err := c.BatchImportFindings(context.Background(), &securityhub.BatchImportFindingsInput{Findings: batch})
				if err != nil {
					return // the server is gone
				}
				if aws.ToInt32(out.SuccessCount) != 50 {
					t.Errorf("import: %+v", out)
					return
				}
				mu.Lock()
				acked = append(acked, ids...)
				mu.Unlock()
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	cmd.Wait()
	if len(acked) == 0 {
		t.Fatal("nothing was acknowledged before the kill")
	}

	_, logs2 := serveProcess(t, addr, data)
	defer func() { t.Log(logs2.String()) }()
	stored := countFindings(t, sdk(addr))
	for _, id := range acked {
		if !stored[id] {
			t.Fatalf("acknowledged finding %s lost after kill -9 (%d acked, %d stored)", id, len(acked), len(stored))
		}
	}
	t.Logf("%d acknowledged findings all present after kill -9", len(acked))
	deadline := time.Now().Add(30 * time.Second)
	for {
		delivered := eventFindings(t, events)
		missing := 0
		for _, id := range acked {
			if !delivered[id] {
				missing++
			}
		}
		if missing == 0 {
			t.Logf("and their %d events delivered", len(acked))
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d acknowledged imports have no delivered event after the restart", missing, len(acked))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// operate runs the binary's operator commands against addr, signed as
// account 111111111111 (open mode).
func operate(t *testing.T, addr string, args ...string) (string, error) {
	t.Helper()
	// The flags go after "rules put" or "action send ARN", before the
	// positional arguments that follow.
	n := 2
	if args[0] == "action" {
		n = 3
	}
	full := append(append(append([]string{}, args[:n]...), "--endpoint", "http://"+addr), args[n:]...)
	cmd := exec.Command(binary, full...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=111111111111", "AWS_SECRET_ACCESS_KEY=x", "AWS_SESSION_TOKEN=",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PROFILE=", "AWS_REGION=us-east-1")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// eventFindings returns the finding ids of the events in a JSON-lines file.
func eventFindings(t *testing.T, path string) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	b, err := os.ReadFile(path)
	if err != nil {
		return ids
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var e struct {
			Detail struct{ Findings []struct{ Id string } } `json:"detail"`
		}
		if json.Unmarshal([]byte(line), &e) == nil {
			for _, f := range e.Detail.Findings {
				ids[f.Id] = true
			}
		}
	}
	return ids
}

// TestSIGTERMDrainsAndCloses stops the server with SIGTERM while requests
// are in flight: it exits cleanly, in-flight requests complete, and the data
// is there after a restart.
func TestSIGTERMDrainsAndCloses(t *testing.T) {
	addr, data := freeAddr(t), t.TempDir()
	cmd, logs := serveProcess(t, addr, data, "--log-format", "json")
	c := sdk(addr)
	if _, err := c.EnableSecurityHub(context.Background(), &securityhub.EnableSecurityHubInput{}); err != nil {
		t.Fatal(err)
	}
	var batch []types.AwsSecurityFinding
	for i := range 100 {
		batch = append(batch, testFinding(fmt.Sprint("term-", i)))
	}
	done := make(chan error, 1)
	go func() {
		_, err := c.BatchImportFindings(context.Background(), &securityhub.BatchImportFindingsInput{Findings: batch})
		done <- err
	}()
	time.Sleep(5 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	importErr := <-done
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, logs.String())
	}
	if !strings.Contains(logs.String(), `"msg":"shutting down: draining requests"`) {
		t.Errorf("no structured shutdown log:\n%s", logs.String())
	}
	serveProcess(t, addr, data)
	stored := countFindings(t, sdk(addr))
	if importErr == nil && len(stored) != 100 {
		t.Fatalf("acknowledged import of 100 but %d stored", len(stored))
	}
	if importErr != nil && len(stored) != 0 && len(stored) != 100 {
		t.Fatalf("half-written import: %d stored", len(stored))
	}
}

func TestVersionAndUsage(t *testing.T) {
	out, err := exec.Command(binary, "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "muster ") {
		t.Fatalf("version: %v %s", err, out)
	}
	out, err = exec.Command(binary, "nonsense").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "unknown command") {
		t.Fatalf("unknown command: %v %s", err, out)
	}
	cfg := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(cfg, []byte("accounts:\n  \"12345\":\n    users: {}\n"), 0o644)
	out, err = exec.Command(binary, "serve", "--addr", freeAddr(t), "--data", t.TempDir(), "--config", cfg).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "bad.yaml:2") || !strings.Contains(string(out), "12 digits") {
		t.Fatalf("bad config: %v %s", err, out)
	}
}

// TestBenchFlags checks the bench's flags without running a bench.
func TestBenchFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--workload", "soak"}, `--workload "soak"`},
		{[]string{"--workload", "retention", "--endpoint", "http://127.0.0.1:1"}, "cannot use --endpoint"},
		{[]string{"--workload", "mixed", "--reimport", "1.5"}, "--reimport 1.5"},
		{[]string{"--workload", "mixed", "extra"}, "no arguments"},
		{[]string{"--duration", "soon"}, "invalid value"},
	} {
		var stderr bytes.Buffer
		err := run(context.Background(), append([]string{"bench"}, tc.args...), io.Discard, &stderr)
		if err == nil || !strings.Contains(err.Error()+stderr.String(), tc.want) {
			t.Errorf("bench %v: err %v, want %q\n%s", tc.args, err, tc.want, stderr.String())
		}
	}
	var stderr bytes.Buffer
	run(context.Background(), []string{"bench", "-h"}, io.Discard, &stderr)
	for _, want := range []string{"-workload", "mixed ", "retention ", "-duration", "-updaters", "-reimport", "-import-rate", "-update-rate", "-query-rate", "-compare-findings", "-baseline", "-retention-timeout", "--clock-offset 91d"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("bench -h lacks %q:\n%s", want, stderr.String())
		}
	}
}

// TestClockOffsetRetentionAndUsage imports a finding, restarts the server
// with its clock 91 days ahead so that the retention job deletes the
// finding, and reads the metered usage with `muster usage` while the
// server runs on the same data.
func TestClockOffsetRetentionAndUsage(t *testing.T) {
	data := t.TempDir()
	addr := freeAddr(t)
	srv, _ := serveProcess(t, addr, data)
	c := sdk(addr)
	ctx := context.Background()
	if _, err := c.EnableSecurityHub(ctx, &securityhub.EnableSecurityHubInput{}); err != nil {
		t.Fatal(err)
	}
	f := testFinding("aging")
	f.UpdatedAt = aws.String(time.Now().UTC().Format(time.RFC3339))
	if out, err := c.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: []types.AwsSecurityFinding{f}}); err != nil || aws.ToInt32(out.FailedCount) != 0 {
		t.Fatalf("import: %v %+v", err, out)
	}
	srv.Process.Signal(syscall.SIGTERM)
	srv.Wait()

	addr = freeAddr(t)
	_, logs := serveProcess(t, addr, data, "--clock-offset", "91d", "--retention-interval", "100ms")
	c = sdk(addr)
	deadline := time.Now().Add(20 * time.Second)
	for len(countFindings(t, c)) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the finding did not age out 91 days later; server log:\n%s", logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	today := time.Now().UTC().Format(time.DateOnly)
	var out, errOut bytes.Buffer
	if err := run(ctx, []string{"usage", "--data", data, "--from", today, "--to", today, "--format", "json"}, &out, &errOut); err != nil {
		t.Fatalf("usage: %v\n%s", err, errOut.String())
	}
	want := `"product_arn": "arn:aws:securityhub:us-east-1:111111111111:product/111111111111/default",` + "\n    \"findings\": 1"
	if !strings.Contains(out.String(), want) || !strings.Contains(out.String(), `"day": "`+today+`"`) {
		t.Errorf("usage output:\n%s", out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"usage", "--data", data, "--from", today, "--to", today}, &out, &errOut); err != nil || !strings.Contains(out.String(), "TOTAL") {
		t.Errorf("usage table: %v\n%s", err, out.String())
	}
	if err := run(ctx, []string{"usage", "--data", filepath.Join(data, "nope")}, &out, &errOut); err == nil {
		t.Error("usage of a directory without data succeeded")
	}
}

// TestServeGC checks the garbage collector's settings of the server: its
// own unless GOGC or GOMEMLIMIT give them, as /metrics reports them.
func TestServeGC(t *testing.T) {
	var base []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOGC=") && !strings.HasPrefix(kv, "GOMEMLIMIT=") {
			base = append(base, kv)
		}
	}
	for _, c := range []struct {
		env          []string
		gogc, memory string
	}{
		{nil, "400", "5.36870912e+08"},
		{[]string{"GOGC=150"}, "150", "5.36870912e+08"},
		{[]string{"GOMEMLIMIT=1GiB"}, "400", "1.073741824e+09"},
	} {
		addr := freeAddr(t)
		cmd, _ := serveProcessEnv(t, append(slices.Clone(base), c.env...), addr, t.TempDir())
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, want := range []string{"go_gc_gogc_percent " + c.gogc + "\n", "go_gc_gomemlimit_bytes " + c.memory + "\n"} {
			if !strings.Contains(string(body), want) {
				t.Errorf("env %v: /metrics lacks %q", c.env, want)
			}
		}
		cmd.Process.Kill()
		cmd.Wait()
	}
}
