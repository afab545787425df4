package importer

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
)

// idsShown is how many finding Ids each failure group names: enough to
// find examples in the input, few enough to keep the summary short.
const idsShown = 3

// Print writes the summary for a person: the counts, what could not be
// read or sent as written, and last, the failures grouped by reason with
// the biggest group first, since that is what one fixes first.
func (s *Summary) Print(w io.Writer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	rate := ""
	if secs := s.Duration.Seconds(); secs > 0 && s.Sent > 0 {
		rate = fmt.Sprintf(" (%.0f findings/s)", float64(s.Sent)/secs)
	}
	fmt.Fprintf(tw, "Files:\t%d\n", s.Files)
	fmt.Fprintf(tw, "Read:\t%d\n", s.Read)
	fmt.Fprintf(tw, "Sent:\t%d\tin %d requests, %s%s\n", s.Sent, s.Requests, s.Duration.Round(1e6), rate)
	fmt.Fprintf(tw, "Imported:\t%d\n", s.Imported)
	fmt.Fprintf(tw, "Failed:\t%d\n", s.Failed)
	tw.Flush()

	if len(s.FileErrors) > 0 {
		fmt.Fprintf(w, "\nInput errors:\n")
		for _, err := range s.FileErrors {
			fmt.Fprintf(w, "  %v\n", err)
		}
	}
	printPaths(w, "\nWarning: members that the SDK cannot carry were dropped, not sent:\n", s.Dropped)
	printPaths(w, "\nWarning: members spelt in another case were sent under ASFF's name:\n", s.Renamed)

	if len(s.FailuresByError) == 0 {
		return
	}
	fmt.Fprintf(w, "\nFailures by error:\n")
	keys := slices.Collect(maps.Keys(s.FailuresByError))
	slices.SortFunc(keys, func(a, b string) int {
		return cmp.Or(cmp.Compare(len(s.FailuresByError[b]), len(s.FailuresByError[a])), cmp.Compare(a, b))
	})
	for _, k := range keys {
		fs := slices.Clone(s.FailuresByError[k])
		slices.SortFunc(fs, func(a, b Failure) int {
			return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Pos, b.Pos))
		})
		fmt.Fprintf(w, "  %6d  %s\n", len(fs), k)
		for _, f := range fs[:min(idsShown, len(fs))] {
			fmt.Fprintf(w, "          %s\n", f.where())
		}
		if len(fs) > idsShown {
			fmt.Fprintf(w, "          … and %d more\n", len(fs)-idsShown)
		}
	}
}

func (f Failure) where() string {
	id := f.ID
	if id == "" {
		id = "(no Id)"
	}
	if f.File == "" {
		return id
	}
	return fmt.Sprintf("%s (%s #%d)", id, f.File, f.Pos)
}

func printPaths(w io.Writer, title string, paths map[string]int) {
	if len(paths) == 0 {
		return
	}
	fmt.Fprint(w, title)
	keys := slices.Sorted(maps.Keys(paths))
	for _, p := range keys[:min(len(keys), maxWarningPathsReported)] {
		fmt.Fprintf(w, "  %s  (%d %s)\n", p, paths[p], plural(paths[p], "finding"))
	}
	if len(keys) > maxWarningPathsReported {
		fmt.Fprintf(w, "  … and %d more paths\n", len(keys)-maxWarningPathsReported)
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return strings.TrimSuffix(word, "s") + "s"
}
