// Package config reads Muster's configuration file and answers who a
// request's access key belongs to. Without a file Muster runs in open mode,
// where any well-formed signature is accepted.
package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"sort"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/delivery"
	"github.com/muster-hub/muster/iam"
)

// Config is the contents of muster.yaml.
type Config struct {
	// Regions are the regions the server serves; empty means every
	// commercial region (DefaultRegions).
	Regions []string `yaml:"regions"`
	// Accounts maps 12-digit account ids to their principals.
	Accounts map[string]*Account `yaml:"accounts"`
	// Products are product integration manifests registered at start.
	Products []*Manifest `yaml:"products"`
	// Rules route events to targets (see EventRules).
	Rules []*RuleConfig `yaml:"rules"`
	// Delivery tunes the retries of event delivery.
	Delivery DeliveryConfig `yaml:"delivery"`
	// Retention is how long an active finding lives after its last
	// update (AWS: 90d); ArchivedRetention the same for an archived one
	// (AWS: 30d). Zero keeps AWS's value.
	Retention         Duration `yaml:"retention"`
	ArchivedRetention Duration `yaml:"archived_retention"`

	path    string
	keys    map[string]*Key
	roles   map[string]*Role
	catalog []*muster.Product
}

// Account is one account's principals.
type Account struct {
	Users map[string]*User `yaml:"users"`
	Roles map[string]*Role `yaml:"roles"`
}

// User is an IAM user with long-term access keys and identity policies.
type User struct {
	AccessKeys []*Key       `yaml:"access_keys"`
	Policies   []PolicyText `yaml:"policies"`
}

// Role is an IAM role: who may assume it (its trust policy) and what its
// sessions may do (its identity policies).
type Role struct {
	Trust    PolicyText   `yaml:"trust"`
	Policies []PolicyText `yaml:"policies"`
	// MaxSession caps DurationSeconds of AssumeRole (AWS: 1h unless the
	// role raises it, at most 12h).
	MaxSession Duration `yaml:"max_session"`

	// ARN, TrustIAM and IAM are filled in by Parse.
	ARN      string        `yaml:"-"`
	Account  string        `yaml:"-"`
	Name     string        `yaml:"-"`
	TrustIAM *iam.Policy   `yaml:"-"`
	IAM      []*iam.Policy `yaml:"-"`
}

// Key is an access key pair and, once loaded, whose it is.
type Key struct {
	ID     string `yaml:"id"`
	Secret string `yaml:"secret"`

	Account string `yaml:"-"`
	User    string `yaml:"-"`
	// Policies are the user's identity policies.
	Policies []*iam.Policy `yaml:"-"`
}

// ARN is the ARN of the key's principal.
func (k *Key) ARN() string { return "arn:aws:iam::" + k.Account + ":user/" + k.User }

var (
	accountID = regexp.MustCompile(`^\d{12}$`)
	keyID     = regexp.MustCompile(`^[A-Z0-9]{16,128}$`)
)

// Load reads and checks the file at path. Errors name the file, the line
// and what is wrong, so that a bad config is refused at start-up.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse reads a configuration from data; path is used in errors.
func Parse(path string, data []byte) (*Config, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c := &Config{path: path, keys: map[string]*Key{}, roles: map[string]*Role{}}
	if len(root.Content) == 0 {
		return nil, fmt.Errorf("%s: %w", path, errNoAccounts)
	}
	dec = yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	line := func(keys ...string) int { return lineOf(root.Content[0], keys...) }
	if len(c.Accounts) == 0 {
		return nil, fmt.Errorf("%s:%d: %w", path, line("accounts"), errNoAccounts)
	}
	accounts := make([]string, 0, len(c.Accounts))
	for id := range c.Accounts {
		accounts = append(accounts, id)
	}
	sort.Strings(accounts)
	for _, id := range accounts {
		acct := c.Accounts[id]
		if !accountID.MatchString(id) {
			return nil, fmt.Errorf("%s:%d: account %q: an account id is exactly 12 digits", path, line("accounts", id), id)
		}
		if acct == nil {
			continue
		}
		for name, u := range acct.Users {
			if u == nil {
				continue
			}
			pols, err := parsePolicies(u.Policies)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: user %s: %w", path, line("accounts", id, "users", name), name, err)
			}
			for _, k := range u.AccessKeys {
				at := line("accounts", id, "users", name)
				switch {
				case k == nil:
					return nil, fmt.Errorf("%s:%d: user %s: an access key entry is empty", path, at, name)
				case !keyID.MatchString(k.ID):
					return nil, fmt.Errorf("%s:%d: user %s: access key id %q must be 16 or more upper-case letters and digits", path, at, name, k.ID)
				case k.Secret == "":
					return nil, fmt.Errorf("%s:%d: user %s: access key %s has no secret", path, at, name, k.ID)
				case c.keys[k.ID] != nil:
					return nil, fmt.Errorf("%s:%d: access key %s is configured twice", path, at, k.ID)
				}
				k.Account, k.User, k.Policies = id, name, pols
				c.keys[k.ID] = k
			}
		}
		for name, r := range acct.Roles {
			at := line("accounts", id, "roles", name)
			if r == nil || r.Trust.JSON == nil {
				return nil, fmt.Errorf("%s:%d: role %s: a role needs a trust policy (trust:) saying who may assume it", path, at, name)
			}
			if !roleName.MatchString(name) {
				return nil, fmt.Errorf("%s:%d: role %s: a role name is 1 to 64 letters, digits and +=,.@_-", path, at, name)
			}
			trust, err := iam.Parse(r.Trust.JSON)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: role %s: trust policy: %w", path, r.Trust.Line, name, err)
			}
			pols, err := parsePolicies(r.Policies)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: role %s: %w", path, at, name, err)
			}
			if d := time.Duration(r.MaxSession); d != 0 && (d < time.Hour || d > 12*time.Hour) {
				return nil, fmt.Errorf("%s:%d: role %s: max_session must be between 1h and 12h", path, at, name)
			}
			r.ARN, r.Account, r.Name, r.TrustIAM, r.IAM = "arn:aws:iam::"+id+":role/"+name, id, name, trust, pols
			c.roles[r.ARN] = r
		}
	}
	for _, region := range c.Regions {
		if !regionName.MatchString(region) {
			return nil, fmt.Errorf("%s:%d: region %q is not a region name like us-east-1", path, line("regions"), region)
		}
	}
	if len(c.Regions) == 0 {
		c.Regions = DefaultRegions
	}
	// itemLine is the line of the ith element of the list under key.
	itemLine := func(key string, i int) int {
		if n := valueOf(root.Content[0], key); n != nil && i < len(n.Content) {
			return n.Content[i].Line
		}
		return line(key)
	}
	for i, m := range c.Products {
		at := itemLine("products", i)
		if m == nil {
			return nil, fmt.Errorf("%s:%d: products[%d] is empty", path, at, i)
		}
		p, err := m.Product()
		if err != nil {
			return nil, fmt.Errorf("%s:%d: products[%d]: %w", path, at, i, err)
		}
		c.catalog = append(c.catalog, p)
	}
	names := map[string]bool{}
	for i, rc := range c.Rules {
		at := itemLine("rules", i)
		if rc == nil {
			return nil, fmt.Errorf("%s:%d: rules[%d] is empty", path, at, i)
		}
		r := rc.rule()
		if _, err := delivery.CheckRule(r); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, at, plain(err))
		}
		if names[r.Name] {
			return nil, fmt.Errorf("%s:%d: rule %s is configured twice", path, at, r.Name)
		}
		names[r.Name] = true
	}
	if c.Delivery.Attempts < 0 {
		return nil, fmt.Errorf("%s:%d: delivery attempts cannot be negative", path, line("delivery"))
	}
	return c, nil
}

// RuleConfig is a rule in the config file.
type RuleConfig struct {
	Name string `yaml:"name"`
	// Pattern is the EventBridge event pattern, as a YAML mapping or a
	// JSON string.
	Pattern PolicyText      `yaml:"pattern"`
	Targets []*TargetConfig `yaml:"targets"`
	// Enabled defaults to true.
	Enabled *bool `yaml:"enabled"`
}

// TargetConfig is one target of a configured rule; the fields of its
// type apply (see muster.TargetSpec).
type TargetConfig struct {
	Name    string   `yaml:"name"`
	Type    string   `yaml:"type"`
	URL     string   `yaml:"url"`
	Secret  string   `yaml:"secret"`
	Timeout Duration `yaml:"timeout"`
	Subject string   `yaml:"subject"`
	Stream  string   `yaml:"stream"`
	Path    string   `yaml:"path"`
}

// DeliveryConfig tunes event delivery; zero values take the defaults.
type DeliveryConfig struct {
	// Attempts before an event is dead-lettered (default 8).
	Attempts int `yaml:"attempts"`
	// Backoff after the first failure, doubling up to MaxBackoff
	// (defaults 200ms and 1m).
	Backoff    Duration `yaml:"backoff"`
	MaxBackoff Duration `yaml:"max_backoff"`
}

func (rc *RuleConfig) rule() *muster.Rule {
	r := &muster.Rule{Name: rc.Name, Pattern: rc.Pattern.JSON, Config: true, Disabled: rc.Enabled != nil && !*rc.Enabled}
	for _, t := range rc.Targets {
		if t == nil {
			r.Targets = append(r.Targets, nil)
			continue
		}
		r.Targets = append(r.Targets, &muster.TargetSpec{
			Name: t.Name, Type: t.Type, URL: t.URL, Secret: t.Secret, Timeout: time.Duration(t.Timeout),
			Subject: t.Subject, Stream: t.Stream, Path: t.Path,
		})
	}
	return r
}

// EventRules returns the configured rules.
func (c *Config) EventRules() []*muster.Rule {
	out := make([]*muster.Rule, 0, len(c.Rules))
	for _, rc := range c.Rules {
		r := rc.rule()
		delivery.CheckRule(r) // fills in default target names
		out = append(out, r)
	}
	return out
}

// Catalog returns the products of the configured manifests.
func (c *Config) Catalog() []*muster.Product { return c.catalog }

// Role returns the role with the given ARN, or nil.
func (c *Config) Role(arn string) *Role { return c.roles[arn] }

// DefaultRegions are the commercial regions AWS offers Security Hub in;
// a config without regions serves all of them.
var DefaultRegions = []string{
	"af-south-1", "ap-east-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-south-2",
	"ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-7",
	"ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2",
	"eu-west-1", "eu-west-2", "eu-west-3", "il-central-1", "me-central-1", "me-south-1", "mx-central-1",
	"sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2",
}

// Serves reports whether region is one of the configured regions.
func (c *Config) Serves(region string) bool { return slices.Contains(c.Regions, region) }

var (
	roleName   = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	regionName = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d$`)
)

// PolicyText is a policy document in the config: a YAML mapping, or a
// string holding JSON. Either way it becomes JSON, which iam.Parse reads.
type PolicyText struct {
	JSON []byte
	Line int
}

// UnmarshalYAML keeps the document as JSON and remembers its line.
func (p *PolicyText) UnmarshalYAML(n *yaml.Node) error {
	p.Line = n.Line
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
		p.JSON = []byte(n.Value)
		return nil
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("line %d: policy is not a JSON-compatible document: %w", n.Line, err)
	}
	p.JSON = b
	return nil
}

func parsePolicies(texts []PolicyText) ([]*iam.Policy, error) {
	out := make([]*iam.Policy, 0, len(texts))
	for i, t := range texts {
		p, err := iam.Parse(t.JSON)
		if err != nil {
			return nil, fmt.Errorf("policy %d (line %d): %w", i+1, t.Line, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// valueOf returns the value node of key in mapping n, or nil.
func valueOf(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// errNoAccounts refuses a configuration that would let nobody in.
var errNoAccounts = errors.New("no accounts are configured: config mode needs at least one (run without --config for open mode)")

// ErrUnknownKey is returned by Key for an access key that is not configured.
var ErrUnknownKey = errors.New("unknown access key")

// Key returns the configured access key with id.
func (c *Config) Key(id string) (*Key, error) {
	k, ok := c.keys[id]
	if !ok {
		return nil, ErrUnknownKey
	}
	return k, nil
}

// lineOf returns the line of the mapping value found by following keys from
// n, or of the deepest key found.
func lineOf(n *yaml.Node, keys ...string) int {
	at := n.Line
	for _, k := range keys {
		if n.Kind != yaml.MappingNode {
			return at
		}
		found := false
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				at, n, found = n.Content[i].Line, n.Content[i+1], true
				break
			}
		}
		if !found {
			return at
		}
	}
	return at
}
