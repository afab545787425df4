// Package config reads Muster's configuration file and answers who a
// request's access key belongs to. Without a file Muster runs in open mode,
// where any well-formed signature is accepted.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"

	"go.yaml.in/yaml/v3"
)

// Config is the contents of muster.yaml.
type Config struct {
	// Accounts maps 12-digit account ids to their principals.
	Accounts map[string]*Account `yaml:"accounts"`
	// Retention is how long an active finding lives after its last
	// update (AWS: 90d); ArchivedRetention the same for an archived one
	// (AWS: 30d). Zero keeps AWS's value.
	Retention         Duration `yaml:"retention"`
	ArchivedRetention Duration `yaml:"archived_retention"`

	path string
	keys map[string]*Key
}

// Account is one account's principals.
type Account struct {
	Users map[string]*User `yaml:"users"`
}

// User is an IAM user with long-term access keys.
type User struct {
	AccessKeys []*Key `yaml:"access_keys"`
}

// Key is an access key pair and, once loaded, whose it is.
type Key struct {
	ID     string `yaml:"id"`
	Secret string `yaml:"secret"`

	Account string `yaml:"-"`
	User    string `yaml:"-"`
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
	c := &Config{path: path, keys: map[string]*Key{}}
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
				k.Account, k.User = id, name
				c.keys[k.ID] = k
			}
		}
	}
	return c, nil
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
