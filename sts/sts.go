// Package sts is the part of AWS Security Token Service that integrations
// use with Security Hub: AssumeRole, with the role's trust policy and the
// external ID it demands, and GetCallerIdentity. Temporary credentials are
// sealed into their session token, so the server keeps no session table and
// a restart does not log anyone out; the key that seals them stays in the
// data directory.
package sts

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"
	"time"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/iam"
)

// Session is an assumed-role session: who it is and until when.
type Session struct {
	Account     string    `json:"a"`
	RoleName    string    `json:"r"`
	SessionName string    `json:"n"`
	AccessKeyID string    `json:"k"`
	Secret      string    `json:"s"`
	Expires     time.Time `json:"e"`
	// Policy is the session policy passed to AssumeRole, if any: it
	// narrows what the role's policies allow.
	Policy string `json:"p,omitempty"`
	// Open marks a session minted in open mode, which no policy limits.
	Open bool `json:"o,omitempty"`
}

// RoleARN is the ARN of the session's role.
func (s *Session) RoleARN() string { return "arn:aws:iam::" + s.Account + ":role/" + s.RoleName }

// ARN is the session's own ARN, as requests made with it are attributed.
func (s *Session) ARN() string {
	return "arn:aws:sts::" + s.Account + ":assumed-role/" + s.RoleName + "/" + s.SessionName
}

// UserID is the session's AssumedRoleId: the role's unique id and the
// session name.
func (s *Session) UserID() string { return UniqueID("AROA", s.RoleARN()) + ":" + s.SessionName }

// Principal is the session as IAM policies see it.
func (s *Session) Principal() iam.Principal {
	return iam.Principal{Account: s.Account, ARN: s.ARN(), RoleARN: s.RoleARN()}
}

// UniqueID derives a stable IAM unique id (AIDA… for users, AROA… for
// roles) from an ARN, so the same principal always has the same id.
func UniqueID(prefix, arn string) string {
	sum := sha256.Sum256([]byte(arn))
	return prefix + base32.StdEncoding.EncodeToString(sum[:])[:17]
}

// Sealer issues temporary credentials and opens them again.
type Sealer struct{ aead cipher.AEAD }

// NewSealer returns a Sealer keyed by key (any length; it is hashed), so
// that the data directory's one secret can key it.
func NewSealer(key []byte) *Sealer {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("muster sts session v1"))
	block, _ := aes.NewCipher(mac.Sum(nil))
	aead, _ := cipher.NewGCM(block)
	return &Sealer{aead: aead}
}

// Issue fills in the session's access key id and secret and returns its
// credentials.
func (s *Sealer) Issue(sess *Session) Credentials {
	sess.AccessKeyID = "ASIA" + randomString(16, upperAlnum)
	sess.Secret = randomString(40, secretChars)
	payload, _ := json.Marshal(sess)
	nonce := make([]byte, s.aead.NonceSize())
	rand.Read(nonce)
	sealed := s.aead.Seal(nonce, nonce, payload, []byte(sess.AccessKeyID))
	return Credentials{
		AccessKeyID:     sess.AccessKeyID,
		SecretAccessKey: sess.Secret,
		SessionToken:    base64.StdEncoding.EncodeToString(sealed),
		Expiration:      sess.Expires,
	}
}

// Open returns the session of a temporary access key id and its session
// token, failing as AWS does for a token that is not valid or has expired.
func (s *Sealer) Open(accessKeyID, token string, now time.Time) (*Session, error) {
	invalid := muster.Errorf(muster.UnrecognizedClient, "The security token included in the request is invalid.")
	if token == "" {
		return nil, invalid
	}
	b, err := base64.StdEncoding.DecodeString(token)
	n := s.aead.NonceSize()
	if err != nil || len(b) < n {
		return nil, invalid
	}
	payload, err := s.aead.Open(nil, b[:n], b[n:], []byte(accessKeyID))
	if err != nil {
		return nil, invalid
	}
	var sess Session
	if err := json.Unmarshal(payload, &sess); err != nil {
		return nil, invalid
	}
	if err := sess.Valid(accessKeyID, now); err != nil {
		return nil, err
	}
	return &sess, nil
}

// Valid checks that the session belongs to accessKeyID and has not
// expired at now, failing as AWS does; a session opened earlier is checked
// again on each use.
func (s *Session) Valid(accessKeyID string, now time.Time) error {
	if s.AccessKeyID != accessKeyID {
		return muster.Errorf(muster.UnrecognizedClient, "The security token included in the request is invalid.")
	}
	if !now.Before(s.Expires) {
		return muster.Errorf(muster.ExpiredToken, "The security token included in the request is expired")
	}
	return nil
}

// Credentials are temporary credentials as AssumeRole returns them.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
}

const (
	upperAlnum  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	secretChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
)

func randomString(n int, alphabet string) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// Role is what AssumeRole needs of a configured role.
type Role struct {
	Account string
	Name    string
	Trust   *iam.Policy
	// MaxSession is the longest session the role allows; zero is AWS's
	// default of one hour.
	MaxSession time.Duration
}

// Caller is the principal calling STS.
type Caller struct {
	Principal iam.Principal
	// Policies are the caller's identity policies.
	Policies []*iam.Policy
	// Context holds the request's global condition keys (aws:SourceIp,
	// aws:SecureTransport, aws:CurrentTime, ...).
	Context map[string][]string
	// Open is true in open mode: roles need not be configured and no
	// policy is checked.
	Open bool
}

// AssumeRoleInput is what AssumeRole takes.
type AssumeRoleInput struct {
	RoleArn         string
	RoleSessionName string
	ExternalId      string
	DurationSeconds int
	Policy          string
}

// AssumedRole is what AssumeRole returns.
type AssumedRole struct {
	Credentials Credentials
	Session     *Session
}

// Service implements AssumeRole over the configured roles.
type Service struct {
	// Roles returns the role with an ARN, or nil.
	Roles  func(arn string) *Role
	Sealer *Sealer
	// Now is the clock sessions expire by.
	Now func() time.Time
}

var (
	roleARN     = regexp.MustCompile(`^arn:aws:iam::(\d{12}):role/(?:[\x21-\x7e]*/)?([\w+=,.@-]{1,64})$`)
	sessionName = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	externalID  = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
)

// AssumeRole checks the request against the role's trust policy — the
// caller must be a principal it trusts, and any sts:ExternalId condition
// must hold — and against the caller's own policies when it comes from
// another account, then issues temporary credentials.
func (s *Service) AssumeRole(c Caller, in AssumeRoleInput) (*AssumedRole, error) {
	m := roleARN.FindStringSubmatch(in.RoleArn)
	if m == nil {
		return nil, muster.Errorf(muster.InvalidInput, "Invalid RoleArn %q: a role ARN has the form arn:aws:iam::ACCOUNT:role/NAME", in.RoleArn)
	}
	if !sessionName.MatchString(in.RoleSessionName) {
		return nil, muster.Errorf(muster.InvalidInput, "1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]* and have length between 2 and 64", in.RoleSessionName)
	}
	if in.ExternalId != "" && (len(in.ExternalId) < 2 || len(in.ExternalId) > 1224 || !externalID.MatchString(in.ExternalId)) {
		return nil, muster.Errorf(muster.InvalidInput, "1 validation error detected: Value '%s' at 'externalId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]* and have length between 2 and 1224", in.ExternalId)
	}
	duration := time.Hour
	if in.DurationSeconds != 0 {
		if in.DurationSeconds < 900 || in.DurationSeconds > 43200 {
			return nil, muster.Errorf(muster.InvalidInput, "1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200", in.DurationSeconds)
		}
		duration = time.Duration(in.DurationSeconds) * time.Second
	}
	if in.Policy != "" {
		if _, err := iam.Parse([]byte(in.Policy)); err != nil {
			return nil, muster.Errorf(muster.InvalidInput, "The session policy is not valid: %v", err)
		}
	}
	sess := &Session{Account: m[1], RoleName: m[2], SessionName: in.RoleSessionName, Policy: in.Policy, Open: c.Open}
	if !c.Open {
		deny := muster.Errorf(muster.AccessDenied, "User: %s is not authorized to perform: sts:AssumeRole on resource: %s", c.Principal.ARN, in.RoleArn)
		role := s.Roles(in.RoleArn)
		if role == nil {
			return nil, deny
		}
		maxSession := role.MaxSession
		if maxSession == 0 {
			maxSession = time.Hour
		}
		if duration > maxSession {
			return nil, muster.Errorf(muster.InvalidInput, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
		}
		req := &iam.Request{Principal: c.Principal, Action: "sts:AssumeRole", Resource: in.RoleArn, Context: map[string][]string{}}
		for k, v := range c.Context {
			req.Context[k] = v
		}
		if in.ExternalId != "" {
			req.Context["sts:ExternalId"] = []string{in.ExternalId}
		}
		req.Context["sts:RoleSessionName"] = []string{in.RoleSessionName}
		if role.Trust.Evaluate(req) != iam.Allow {
			return nil, deny
		}
		// A principal of another account also needs its own account's
		// permission to assume the role; within one account the trust
		// policy is asked the same of the caller's policies, which
		// Muster requires too (see docs/partners.md).
		if iam.Evaluate(req, c.Policies...) != iam.Allow {
			return nil, deny
		}
	}
	sess.Expires = s.Now().Add(duration).UTC().Truncate(time.Second)
	creds := s.Sealer.Issue(sess)
	return &AssumedRole{Credentials: creds, Session: sess}, nil
}

// CallerIdentity is what GetCallerIdentity returns.
type CallerIdentity struct {
	Account, ARN, UserID string
}

// IdentityOf returns the GetCallerIdentity answer for a principal: users
// get an AIDA… id, assumed roles their AssumedRoleId, an account's root its
// account id.
func IdentityOf(p iam.Principal) CallerIdentity {
	switch {
	case p.RoleARN != "":
		session := p.ARN[strings.LastIndex(p.ARN, "/")+1:]
		return CallerIdentity{Account: p.Account, ARN: p.ARN, UserID: UniqueID("AROA", p.RoleARN) + ":" + session}
	case strings.HasSuffix(p.ARN, ":root"):
		return CallerIdentity{Account: p.Account, ARN: p.ARN, UserID: p.Account}
	default:
		return CallerIdentity{Account: p.Account, ARN: p.ARN, UserID: UniqueID("AIDA", p.ARN)}
	}
}
