// Package httpapi serves the Security Hub REST-JSON protocol over HTTP: it
// routes requests by the API model, verifies their SigV4 signatures, binds
// and validates their input against the model, calls the hub service and
// writes its answers and errors in the shapes the AWS SDKs parse.
package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/hub"
	"github.com/muster-hub/muster/model"
	"github.com/muster-hub/muster/sigv4"
)

// MaxBodySize is the largest request body accepted: AWS refuses
// BatchImportFindings requests over 6 MB.
const MaxBodySize = 6 << 20

// Identifier maps a verified signature to the calling principal; r gives
// the facts condition keys read (source address, TLS).
type Identifier func(id *sigv4.Identity, r *http.Request) (hub.Caller, error)

// Server is the HTTP face of a hub Service.
type Server struct {
	service  *hub.Service
	verifier *sigv4.Verifier
	identify Identifier
	logger   *slog.Logger
	metrics  *Metrics
	router   *router
	handlers map[string]handler
	// Operator serves the operator endpoints of rules and dead letters;
	// nil answers them as unknown.
	Operator Operator
	// STS serves AWS Query requests (AssumeRole, GetCallerIdentity) that
	// arrive on the same listener; nil answers them as unknown routes.
	STS http.Handler
}

// handler runs one operation with its bound and validated input and
// returns the value to encode as the response body.
type handler func(ctx context.Context, c hub.Caller, in jsontext.Value) (any, error)

// New returns a Server. metrics may be nil.
func New(service *hub.Service, verifier *sigv4.Verifier, identify Identifier, logger *slog.Logger, metrics *Metrics) *Server {
	s := &Server{
		service:  service,
		verifier: verifier,
		identify: identify,
		logger:   logger,
		metrics:  metrics,
		router:   newRouter(model.Operations()),
	}
	s.handlers = s.operations()
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := muster.NewUUID()
	w.Header().Set("x-amzn-RequestId", id)

	if r.Method == http.MethodGet {
		switch r.URL.Path {
		case "/healthz":
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			io.WriteString(w, "ok\n")
			return
		case "/metrics":
			if s.metrics != nil {
				promhttp.HandlerFor(s.metrics.gatherer, promhttp.HandlerOpts{}).ServeHTTP(w, r)
				return
			}
		}
	}

	if s.STS != nil && isQuery(r) {
		s.STS.ServeHTTP(w, r)
		return
	}

	opName := "unknown"
	code := "200"
	defer func() {
		s.metrics.observe(opName, code, time.Since(start))
	}()
	fail := func(err error) {
		code = s.writeError(w, r, id, opName, err)
	}
	defer func() {
		// A bug must cost one request an InternalException, not the
		// connection.
		if p := recover(); p != nil {
			fail(fmt.Errorf("panic: %v\n%s", p, debug.Stack()))
		}
	}()

	if strings.HasPrefix(r.URL.Path, operatorPrefix) {
		opName = "muster:" + strings.TrimPrefix(r.URL.Path, operatorPrefix)
		s.serveOperator(w, r, fail)
		return
	}

	op, labels, pathKnown := s.router.match(r.Method, r.URL.EscapedPath())
	if op == nil {
		if pathKnown {
			fail(muster.Errorf(muster.UnknownOperation, "No operation accepts %s on %s", r.Method, r.URL.EscapedPath()))
		} else {
			fail(muster.Errorf(muster.UnknownOperation, "No operation matches %s %s", r.Method, r.URL.EscapedPath()))
		}
		return
	}
	opName = op.Name

	caller, body, err := s.authenticate(r)
	if err != nil {
		fail(err)
		return
	}

	in, err := s.input(op, r, labels, body, caller)
	if err != nil {
		fail(err)
		return
	}
	h, ok := s.handlers[op.Name]
	if !ok {
		fail(muster.Errorf(muster.NotImplemented, "Muster does not implement %s yet", op.Name))
		return
	}
	out, err := h(r.Context(), caller, in)
	if err != nil {
		fail(err)
		return
	}
	if out == nil {
		out = struct{}{}
	}
	b, err := json.Marshal(out)
	if err != nil {
		fail(err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

// input binds the operation's input, authorizes the caller for it — the
// resource an operation acts on is named in its input — and validates it.
// Authorization comes before validation, so that a caller without
// permission learns nothing from validation errors, and before the check
// that the operation is built, so that no operation escapes it.
// BatchImportFindings validates only the request's frame here: each
// finding is checked, and authorized, on its own by the service, so that
// one bad finding does not fail the others.
func (s *Server) input(op *model.Operation, r *http.Request, labels map[string]string, body []byte, c hub.Caller) (jsontext.Value, error) {
	if op.Name == "BatchImportFindings" {
		return body, nil // splitFindings checks it, in the same pass
	}
	in, err := bind(op, r, labels, body)
	if err != nil {
		return nil, err
	}
	if err := s.service.Authorize(c, op.Name, members(in)); err != nil {
		return nil, err
	}
	if op.Input >= 0 {
		if err := model.Validate(model.ShapeAt(op.Input), in); err != nil {
			return nil, muster.Errorf(muster.InvalidInput, "Invalid input: %v", err)
		}
	}
	return in, nil
}

// statuses are the HTTP statuses of error codes the model does not declare.
var statuses = map[string]int{
	muster.InvalidSignature:      http.StatusForbidden,
	muster.UnrecognizedClient:    http.StatusForbidden,
	muster.MissingAuthentication: http.StatusForbidden,
	muster.ExpiredToken:          http.StatusForbidden,
	muster.IncompleteSignature:   http.StatusForbidden,
	muster.RequestEntityTooLarge: http.StatusRequestEntityTooLarge,
	muster.NotImplemented:        http.StatusNotImplemented,
	muster.UnknownOperation:      http.StatusNotFound,
}

// writeError writes err in the AWS REST-JSON error shape: the code in the
// x-amzn-ErrorType header and in the body's Code, which must agree because
// aws-sdk-go-v2 reads the header and then lets the body override it.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, requestID, op string, err error) string {
	e, ok := muster.AsError(err)
	if !ok {
		s.logger.Error("internal error", "operation", op, "request_id", requestID, "error", err)
		e = &muster.Error{Code: muster.Internal, Message: "Internal service error (request " + requestID + ")"}
	}
	status, ok := statuses[e.Code]
	if !ok {
		status = http.StatusBadRequest
		if sh := model.Lookup(e.Code); sh != nil && sh.Exception {
			status = sh.HTTPStatus
		}
	}
	if status >= 500 && e.Code != muster.Internal {
		s.logger.Warn("request failed", "operation", op, "request_id", requestID, "code", e.Code, "message", e.Message)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("x-amzn-ErrorType", e.Code)
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"Code": e.Code, "Message": e.Message})
	w.Write(b)
	return e.Code
}

// authenticate reads r's body (at most 6 MB) and verifies its signature,
// and returns the caller and the body; r.Body is left readable again.
func (s *Server) authenticate(r *http.Request) (hub.Caller, []byte, error) {
	if r.ContentLength > MaxBodySize {
		return hub.Caller{}, nil, muster.Errorf(muster.RequestEntityTooLarge, "Request body of %d bytes exceeds the limit of 6 MB", r.ContentLength)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodySize+1))
	if err != nil {
		return hub.Caller{}, nil, muster.Errorf(muster.InvalidInput, "Reading the request body: %v", err)
	}
	if len(body) > MaxBodySize {
		return hub.Caller{}, nil, muster.Errorf(muster.RequestEntityTooLarge, "Request body exceeds the limit of 6 MB")
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	ident, err := s.verifier.Verify(r, body)
	if err != nil {
		return hub.Caller{}, nil, err
	}
	caller, err := s.identify(ident, r)
	return caller, body, err
}

// members returns a lookup of the top-level members of a bound
// input, decoded only if asked: open mode never asks.
func members(in jsontext.Value) func(string) any {
	var m map[string]any
	return func(name string) any {
		if m == nil {
			m = map[string]any{}
			_ = json.Unmarshal(in, &m)
		}
		return m[name]
	}
}

// isQuery reports whether r is an AWS Query request (STS): those go to "/"
// with an Action, which no Security Hub route does.
func isQuery(r *http.Request) bool {
	if r.URL.Path != "/" {
		return false
	}
	return r.Method == http.MethodPost || r.URL.Query().Get("Action") != ""
}

// splitFindings returns the elements of a BatchImportFindings body's
// Findings array, each aliasing body, in one pass that also checks the
// whole body is I-JSON (RFC 7493: no duplicate member names, valid UTF-8,
// which jsontext enforces by default): the body is the largest input the
// server reads, so it is read once.
func splitFindings(body []byte) ([]jsontext.Value, error) {
	invalid := func(err error) error {
		return muster.Errorf(muster.InvalidInput, "The request body is not valid JSON: %s", jsonError(err))
	}
	dec := jsontext.NewDecoder(bytes.NewReader(body))
	tok, err := dec.ReadToken()
	if err != nil {
		return nil, invalid(err)
	}
	if tok.Kind() != '{' {
		return nil, muster.Errorf(muster.InvalidInput, "The request body must be a JSON object")
	}
	var out []jsontext.Value
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, invalid(err)
		}
		if tok.String() != "Findings" || dec.PeekKind() == 'n' {
			if err := dec.SkipValue(); err != nil {
				return nil, invalid(err)
			}
			continue
		}
		if dec.PeekKind() != '[' {
			if err := dec.SkipValue(); err != nil {
				return nil, invalid(err)
			}
			return nil, muster.Errorf(muster.InvalidInput, "Invalid input: data.Findings should be array")
		}
		dec.ReadToken()
		for dec.PeekKind() != ']' {
			v, err := dec.ReadValue()
			if err != nil {
				return nil, invalid(err)
			}
			end := int(dec.InputOffset())
			out = append(out, jsontext.Value(body[end-len(v):end:end]))
		}
		if _, err := dec.ReadToken(); err != nil {
			return nil, invalid(err)
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, invalid(err)
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return nil, invalid(errors.New("unexpected data after the top-level value"))
	}
	return out, nil
}
