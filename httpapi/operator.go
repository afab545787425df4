package httpapi

import (
	"bytes"
	"io"
	"net/http"

	"github.com/go-json-experiment/json"

	"github.com/muster-hub/muster"
)

// operatorPrefix starts the paths of Muster's own operator endpoints,
// which no Security Hub route uses. They are signed with SigV4 like every
// request and authorized as muster:ACTION, so the same IAM policies that
// guard the Security Hub API decide who may operate the server.
const operatorPrefix = "/muster/v1/"

// serveOperator serves the operator endpoints:
//
//	POST /muster/v1/products   register a product (body: muster.Product JSON)
func (s *Server) serveOperator(w http.ResponseWriter, r *http.Request, fail func(error)) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodySize+1))
	if err != nil || len(body) > MaxBodySize {
		fail(muster.Errorf(muster.InvalidInput, "The request body is unreadable or larger than 6 MB"))
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	ident, err := s.verifier.Verify(r, body)
	if err != nil {
		fail(err)
		return
	}
	caller, err := s.identify(ident, r)
	if err != nil {
		fail(err)
		return
	}
	switch r.Method + " " + r.URL.Path {
	case "POST " + operatorPrefix + "products":
		var p muster.Product
		if err := json.Unmarshal(body, &p); err != nil {
			fail(muster.Errorf(muster.InvalidInput, "The manifest is not valid JSON: %s", jsonError(err)))
			return
		}
		arn := p.ARN(caller.Region)
		if err := s.service.AuthorizeOperator(caller, "muster:RegisterProduct", arn); err != nil {
			fail(err)
			return
		}
		if err := s.service.RegisterProduct(r.Context(), &p); err != nil {
			fail(err)
			return
		}
		s.writeJSON(w, map[string]string{"ProductArn": arn})
	default:
		fail(muster.Errorf(muster.UnknownOperation, "No operator endpoint matches %s %s", r.Method, r.URL.Path))
	}
}

func (s *Server) writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}
