package server

import (
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/config"
	"github.com/muster-hub/muster/hub"
	"github.com/muster-hub/muster/iam"
	"github.com/muster-hub/muster/sigv4"
	"github.com/muster-hub/muster/sts"
)

// DefaultAccount is the account of open-mode callers whose access key id is
// not itself an account id.
const DefaultAccount = "123456789012"

var digits12 = regexp.MustCompile(`^\d{12}$`)

// identities answers who signed a request: a configured user by access
// key, an assumed-role session by its sealed session token, or, in open
// mode (no config), whoever the key id says.
type identities struct {
	config *config.Config
	sealer *sts.Sealer
	now    func() time.Time

	// opened keeps sessions already opened, by session token: a request
	// made with temporary credentials needs its session twice (for the
	// secret, then for the caller), and the next requests of the same
	// session need it again, so each token is decrypted and its session
	// policy parsed once.
	opened     sync.Map // session token → *openSession
	openedSize atomic.Int64
}

// openSession is a session opened from its token, with its session policy
// parsed.
type openSession struct {
	sess   *sts.Session
	policy *iam.Policy // nil without a session policy
}

// maxOpened bounds the sessions kept opened; past it the cache starts
// again, which costs only a decryption per session.
const maxOpened = 4096

// secret returns the secret of a long-term key or of a session.
func (ids *identities) secret(akid, token string) (string, error) {
	if strings.HasPrefix(akid, "ASIA") {
		open, err := ids.session(akid, token)
		if err != nil {
			return "", err
		}
		return open.sess.Secret, nil
	}
	k, err := ids.config.Key(akid)
	if err != nil {
		return "", sigv4.UnknownKey()
	}
	return k.Secret, nil
}

// session opens a session token; in config mode its role must still exist.
func (ids *identities) session(akid, token string) (*openSession, error) {
	o, ok := ids.opened.Load(token)
	if !ok {
		sess, err := ids.sealer.Open(akid, token, ids.now())
		if err != nil {
			return nil, err
		}
		open := &openSession{sess: sess}
		if sess.Policy != "" {
			if open.policy, err = iam.Parse([]byte(sess.Policy)); err != nil {
				return nil, sigv4.UnknownKey()
			}
		}
		if ids.openedSize.Add(1) > maxOpened {
			ids.opened.Clear()
			ids.openedSize.Store(1)
		}
		ids.opened.Store(token, open)
		o = open
	}
	open := o.(*openSession)
	sess := open.sess
	if err := sess.Valid(akid, ids.now()); err != nil {
		return nil, err
	}
	if ids.config != nil && !sess.Open && ids.config.Role(sess.RoleARN()) == nil {
		return nil, sigv4.UnknownKey()
	}
	return open, nil
}

// role is sts.Service's view of the configured roles.
func (ids *identities) role(arn string) *sts.Role {
	if ids.config == nil {
		return nil
	}
	r := ids.config.Role(arn)
	if r == nil {
		return nil
	}
	return &sts.Role{Account: r.Account, Name: r.Name, Trust: r.TrustIAM, MaxSession: time.Duration(r.MaxSession)}
}

// hubCaller identifies a Security Hub request's caller.
func (ids *identities) hubCaller(id *sigv4.Identity, r *http.Request) (hub.Caller, error) {
	c, err := ids.caller(id, r)
	if err != nil {
		return c, err
	}
	if ids.config != nil && !ids.config.Serves(id.Region) {
		return c, muster.Errorf(muster.InvalidInput, "Region %s is not served here: this Muster serves %s", id.Region, strings.Join(ids.config.Regions, ", "))
	}
	return c, nil
}

// stsCaller identifies an STS request's caller.
func (ids *identities) stsCaller(id *sigv4.Identity, r *http.Request) (sts.Caller, error) {
	c, err := ids.caller(id, r)
	if err != nil {
		return sts.Caller{}, err
	}
	keys := iam.NewContext(c.Principal, time.Now())
	keys["aws:SecureTransport"] = []string{strconv.FormatBool(c.Secure)}
	if c.SourceIP != "" {
		keys["aws:SourceIp"] = []string{c.SourceIP}
	}
	return sts.Caller{Principal: c.Principal, Policies: c.Policies, Context: keys, Open: c.Unrestricted}, nil
}

func (ids *identities) caller(id *sigv4.Identity, r *http.Request) (hub.Caller, error) {
	c := hub.Caller{Region: id.Region, Secure: r.TLS != nil}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		c.SourceIP = host
	}
	if strings.HasPrefix(id.AccessKeyID, "ASIA") && (ids.config != nil || id.SessionToken != "") {
		open, err := ids.session(id.AccessKeyID, id.SessionToken)
		switch {
		case err == nil:
			sess := open.sess
			c.Account, c.ARN, c.Principal = sess.Account, sess.ARN(), sess.Principal()
			c.Unrestricted = sess.Open || ids.config == nil
			if ids.config != nil {
				if role := ids.config.Role(sess.RoleARN()); role != nil {
					c.Policies = role.IAM
				}
			}
			if open.policy != nil {
				c.SessionPolicies = []*iam.Policy{open.policy}
			}
			return c, nil
		case ids.config != nil || muster.ErrorCode(err) == muster.ExpiredToken:
			return c, err
		}
		// Open mode with a token it did not issue: any key goes.
	}
	if ids.config == nil {
		c.Account = DefaultAccount
		if digits12.MatchString(id.AccessKeyID) {
			c.Account = id.AccessKeyID
		}
		c.ARN = "arn:aws:iam::" + c.Account + ":root"
		c.Principal = iam.Principal{Account: c.Account, ARN: c.ARN}
		c.Unrestricted = true
		return c, nil
	}
	k, err := ids.config.Key(id.AccessKeyID)
	if err != nil {
		return c, sigv4.UnknownKey()
	}
	c.Account, c.ARN, c.Policies = k.Account, k.ARN(), k.Policies
	c.Principal = iam.Principal{Account: k.Account, ARN: k.ARN()}
	return c, nil
}
