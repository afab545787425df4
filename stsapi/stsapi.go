// Package stsapi serves STS's AWS Query protocol — form-encoded requests,
// XML answers — on Muster's listener, so that the CLI's role profiles and
// the SDKs' credential providers work with Muster as their STS endpoint.
package stsapi

import (
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/sigv4"
	"github.com/muster-hub/muster/sts"
)

// Identifier maps a verified signature to the calling principal.
type Identifier func(id *sigv4.Identity, r *http.Request) (sts.Caller, error)

// Server handles STS requests.
type Server struct {
	svc      *sts.Service
	verifier *sigv4.Verifier
	identify Identifier
	logger   *slog.Logger
}

// New returns an STS Server; verifier must check scope service "sts".
func New(svc *sts.Service, verifier *sigv4.Verifier, identify Identifier, logger *slog.Logger) *Server {
	return &Server{svc: svc, verifier: verifier, identify: identify, logger: logger}
}

// maxBody bounds a Query request: AssumeRole with a session policy is the
// largest, and a session policy is at most 2,048 characters packed.
const maxBody = 64 << 10

const xmlns = "https://sts.amazonaws.com/doc/2011-06-15/"

// ServeHTTP answers one STS request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := muster.NewUUID()
	w.Header().Set("x-amzn-RequestId", reqID)
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		s.fail(w, reqID, muster.Errorf(muster.InvalidInput, "The request body is too large or unreadable"))
		return
	}
	form := r.URL.Query()
	if r.Method == http.MethodPost {
		f, err := url.ParseQuery(string(body))
		if err != nil {
			s.fail(w, reqID, muster.Errorf(muster.InvalidInput, "The request body is not form-encoded: %v", err))
			return
		}
		for k, v := range f {
			form[k] = v
		}
	}
	id, err := s.verifier.Verify(r, body)
	if err != nil {
		s.fail(w, reqID, err)
		return
	}
	caller, err := s.identify(id, r)
	if err != nil {
		s.fail(w, reqID, err)
		return
	}
	switch action := form.Get("Action"); action {
	case "AssumeRole":
		in := sts.AssumeRoleInput{
			RoleArn: form.Get("RoleArn"), RoleSessionName: form.Get("RoleSessionName"),
			ExternalId: form.Get("ExternalId"), Policy: form.Get("Policy"),
		}
		if d := form.Get("DurationSeconds"); d != "" {
			n, err := strconv.Atoi(d)
			if err != nil {
				s.fail(w, reqID, muster.Errorf(muster.InvalidInput, "DurationSeconds %q is not a number", d))
				return
			}
			in.DurationSeconds = n
		}
		if in.RoleArn == "" || in.RoleSessionName == "" {
			s.fail(w, reqID, muster.Errorf(muster.InvalidInput, "AssumeRole needs RoleArn and RoleSessionName"))
			return
		}
		out, err := s.svc.AssumeRole(caller, in)
		if err != nil {
			s.fail(w, reqID, err)
			return
		}
		s.write(w, assumeRoleResponse{
			XMLNS: xmlns,
			Result: assumeRoleResult{
				Credentials: credentials{
					AccessKeyID: out.Credentials.AccessKeyID, SecretAccessKey: out.Credentials.SecretAccessKey,
					SessionToken: out.Credentials.SessionToken, Expiration: out.Credentials.Expiration.UTC().Format(time.RFC3339),
				},
				User: assumedRoleUser{ID: out.Session.UserID(), ARN: out.Session.ARN()},
			},
			Meta: meta{reqID},
		})
	case "GetCallerIdentity":
		ci := sts.IdentityOf(caller.Principal)
		s.write(w, callerIdentityResponse{XMLNS: xmlns, Result: callerIdentityResult{ARN: ci.ARN, UserID: ci.UserID, Account: ci.Account}, Meta: meta{reqID}})
	case "":
		s.fail(w, reqID, &queryError{"MissingAction", "Missing Action", http.StatusBadRequest})
	default:
		s.fail(w, reqID, &queryError{"InvalidAction", "Could not find operation " + action + " for version " + form.Get("Version") + " (Muster's STS has AssumeRole and GetCallerIdentity)", http.StatusBadRequest})
	}
}

type meta struct {
	RequestID string `xml:"RequestId"`
}

type credentials struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

type assumedRoleUser struct {
	ID  string `xml:"AssumedRoleId"`
	ARN string `xml:"Arn"`
}

type assumeRoleResult struct {
	Credentials credentials     `xml:"Credentials"`
	User        assumedRoleUser `xml:"AssumedRoleUser"`
}

type assumeRoleResponse struct {
	XMLName xml.Name         `xml:"AssumeRoleResponse"`
	XMLNS   string           `xml:"xmlns,attr"`
	Result  assumeRoleResult `xml:"AssumeRoleResult"`
	Meta    meta             `xml:"ResponseMetadata"`
}

type callerIdentityResult struct {
	ARN     string `xml:"Arn"`
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
}

type callerIdentityResponse struct {
	XMLName xml.Name             `xml:"GetCallerIdentityResponse"`
	XMLNS   string               `xml:"xmlns,attr"`
	Result  callerIdentityResult `xml:"GetCallerIdentityResult"`
	Meta    meta                 `xml:"ResponseMetadata"`
}

type errorResponse struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	XMLNS   string   `xml:"xmlns,attr"`
	Error   struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	} `xml:"Error"`
	RequestID string `xml:"RequestId"`
}

// queryError is an error only the Query protocol has.
type queryError struct {
	code, message string
	status        int
}

func (e *queryError) Error() string { return e.code + ": " + e.message }

// stsCodes translates Muster's codes into the ones STS sends for the same
// failures, with their statuses.
var stsCodes = map[string]struct {
	code   string
	status int
}{
	muster.AccessDenied:          {"AccessDenied", http.StatusForbidden},
	muster.InvalidInput:          {"ValidationError", http.StatusBadRequest},
	muster.UnrecognizedClient:    {"InvalidClientTokenId", http.StatusForbidden},
	muster.InvalidSignature:      {"SignatureDoesNotMatch", http.StatusForbidden},
	muster.IncompleteSignature:   {"IncompleteSignature", http.StatusBadRequest},
	muster.MissingAuthentication: {"MissingAuthenticationToken", http.StatusForbidden},
	muster.ExpiredToken:          {"ExpiredToken", http.StatusBadRequest},
}

func (s *Server) fail(w http.ResponseWriter, reqID string, err error) {
	var resp errorResponse
	resp.XMLNS, resp.RequestID = xmlns, reqID
	resp.Error.Type = "Sender"
	status := http.StatusInternalServerError
	if q, ok := err.(*queryError); ok {
		resp.Error.Code, resp.Error.Message, status = q.code, q.message, q.status
	} else if e, ok := muster.AsError(err); ok {
		c, known := stsCodes[e.Code]
		if !known {
			c.code, c.status = e.Code, http.StatusBadRequest
		}
		resp.Error.Code, resp.Error.Message, status = c.code, e.Message, c.status
	} else {
		s.logger.Error("sts request failed", "request_id", reqID, "err", err)
		resp.Error.Type, resp.Error.Code, resp.Error.Message = "Receiver", "InternalFailure", "The request processing has failed because of an unknown error."
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	b, _ := xml.Marshal(resp)
	w.Write(b)
}

func (s *Server) write(w http.ResponseWriter, v any) {
	b, err := xml.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Write(b)
}
