package importer

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// progress redraws one line on a terminal while an import runs. The total
// is in bytes, known before reading starts, since the number of findings is
// known only at the end.
type progress struct {
	w     io.Writer
	s     *Summary
	total int64 // bytes of all regular files, 0 when unknown (stdin)
	read  atomic.Int64
	start time.Time
	done  chan struct{}
	wg    sync.WaitGroup
}

// isTerminal tells a terminal from a file or pipe without a terminal
// library: the module has none, and a character device is close enough.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func newProgress(w io.Writer, files []string, s *Summary) *progress {
	if w == nil || !isTerminal(w) {
		return nil
	}
	p := &progress{w: w, s: s, start: time.Now(), done: make(chan struct{})}
	for _, name := range files {
		if name == "-" {
			p.total = 0
			break
		}
		if st, err := os.Stat(name); err == nil && st.Mode().IsRegular() {
			p.total += st.Size()
		}
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(progressInterval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				p.draw()
			case <-p.done:
				return
			}
		}
	}()
	return p
}

// count wraps r so that the bytes read from it move the bar.
func (p *progress) count(r io.Reader) io.Reader {
	if p == nil {
		return r
	}
	return &countingReader{r: r, n: &p.read}
}

func (p *progress) draw() {
	p.s.mu.Lock()
	read, imported, failed := p.s.Read, p.s.Imported, p.s.Failed
	p.s.mu.Unlock()
	rate := float64(imported+failed) / time.Since(p.start).Seconds()
	bar := ""
	if p.total > 0 {
		frac := min(float64(p.read.Load())/float64(p.total), 1)
		const width = 30
		n := int(frac * width)
		bar = fmt.Sprintf("[%s%s] %3.0f%% ", strings.Repeat("=", n), strings.Repeat(" ", width-n), frac*100)
	}
	fmt.Fprintf(p.w, "\r%sread %d  imported %d  failed %d  %.0f/s\x1b[K", bar, read, imported, failed, rate)
}

func (p *progress) stop() {
	if p == nil {
		return
	}
	close(p.done)
	p.wg.Wait()
	p.draw()
	fmt.Fprintln(p.w)
}

type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n.Add(int64(n))
	return n, err
}
