package webhook_test

import (
	"io"
	"log"
	"net/http"
	"sync"
	"time"

	"github.com/muster-hub/muster/delivery/webhook"
)

// A receiver checks each request with the secret it shares with the
// target, and drops the events it has seen: a retry carries the same event
// id.
func ExampleVerify() {
	var (
		mu   sync.Mutex
		seen = make(map[string]bool) // a real receiver keeps this in its database
	)
	http.HandleFunc("POST /muster", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
			return
		}
		if err := webhook.Verify("s3cret", r.Header, body, 5*time.Minute, time.Now()); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		id := r.Header.Get(webhook.HeaderEventID)
		mu.Lock()
		dup := seen[id]
		seen[id] = true
		mu.Unlock()
		if !dup {
			log.Printf("%s: %s", r.Header.Get(webhook.HeaderEventType), body)
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
