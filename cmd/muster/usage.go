package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/sqlite"
)

// usageCmd prints the findings ingested per account, product and day: what
// AWS would bill as finding ingestion events. It reads the data directory
// directly; SQLite's locking makes that safe while a server runs on it.
func usageCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("usage", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", envOr("MUSTER_DATA", "./muster-data"), "data directory of the server (env MUSTER_DATA)")
	today := time.Now().UTC().Format(time.DateOnly)
	from := fs.String("from", time.Now().UTC().AddDate(0, 0, -29).Format(time.DateOnly), "first day, YYYY-MM-DD (UTC)")
	to := fs.String("to", today, "last day, YYYY-MM-DD (UTC)")
	format := fs.String("format", "table", "output format: table or json")
	if err := fs.Parse(args); err != nil {
		return err
	}
	f, err := time.Parse(time.DateOnly, *from)
	if err != nil {
		return fmt.Errorf("--from %q: want a date as YYYY-MM-DD", *from)
	}
	t, err := time.Parse(time.DateOnly, *to)
	if err != nil {
		return fmt.Errorf("--to %q: want a date as YYYY-MM-DD", *to)
	}
	if t.Before(f) {
		return fmt.Errorf("--to %s is before --from %s", *to, *from)
	}
	path := filepath.Join(*data, "muster.db")
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("no Muster data at %s: %w", *data, err)
	}
	store, err := sqlite.Open(path)
	if err != nil {
		return err
	}
	defer store.Close()
	rows, err := store.Usage(ctx, f, t)
	if err != nil {
		return err
	}
	return printUsage(stdout, *format, rows)
}

func printUsage(w io.Writer, format string, rows []muster.Usage) error {
	switch format {
	case "json":
		type row struct {
			Day        string `json:"day"`
			Account    string `json:"account"`
			Region     string `json:"region"`
			ProductArn string `json:"product_arn"`
			Findings   int64  `json:"findings"`
		}
		out := make([]row, len(rows))
		for i, r := range rows {
			out[i] = row{r.Day.Format(time.DateOnly), r.Account, r.Region, r.ProductARN, r.Findings}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	case "table":
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "DAY\tACCOUNT\tREGION\tPRODUCT\tFINDINGS")
		var total int64
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\n", r.Day.Format(time.DateOnly), r.Account, r.Region, r.ProductARN, r.Findings)
			total += r.Findings
		}
		fmt.Fprintf(tw, "TOTAL\t\t\t\t%d\n", total)
		return tw.Flush()
	}
	return fmt.Errorf("--format %q: want table or json", format)
}
