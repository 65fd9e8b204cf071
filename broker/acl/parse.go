package acl

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// ACL is a parsed plain_acl.yml: who may connect without a signature, and
// what each account may do. It is immutable and safe for concurrent use.
type ACL struct {
	globalWhite []AddrPattern
	accounts    map[string]*Account
}

// Account is one entry of plain_acl.yml's accounts list.
type Account struct {
	// AccessKey names the account; requests carry it in AccessKey.
	AccessKey string
	// SecretKey signs the account's requests.
	SecretKey string
	// WhiteRemoteAddress lets requests from matching addresses through
	// with no signature and no permission check, as Java does.
	WhiteRemoteAddress AddrPattern
	// Admin allows the admin-only requests (topic and group
	// administration); an admin with no topicPerms and no groupPerms may
	// use every topic and group.
	Admin bool
	// DefaultTopicPerm and DefaultGroupPerm apply to topics and groups not
	// listed; DENY when not given.
	DefaultTopicPerm, DefaultGroupPerm Perm
	// TopicPerms and GroupPerms are the listed topics' and groups'
	// permissions.
	TopicPerms, GroupPerms map[string]Perm
}

// maxFileSize bounds what Parse accepts; real files are a few KiB.
const maxFileSize = 4 << 20

// file mirrors plain_acl.yml (RocketMQ 4.x's PlainAccessConfig list).
type file struct {
	GlobalWhiteRemoteAddresses []string      `yaml:"globalWhiteRemoteAddresses"`
	Accounts                   []fileAccount `yaml:"accounts"`
	// DataVersion is written by a Java broker that changed the file
	// through its ACL admin requests; it means nothing here.
	DataVersion yaml.Node `yaml:"dataVersion"`
}

type fileAccount struct {
	AccessKey          string   `yaml:"accessKey"`
	SecretKey          string   `yaml:"secretKey"`
	WhiteRemoteAddress string   `yaml:"whiteRemoteAddress"`
	Admin              bool     `yaml:"admin"`
	DefaultTopicPerm   string   `yaml:"defaultTopicPerm"`
	DefaultGroupPerm   string   `yaml:"defaultGroupPerm"`
	TopicPerms         []string `yaml:"topicPerms"`
	GroupPerms         []string `yaml:"groupPerms"`
}

// Parse reads a RocketMQ 4.x plain_acl.yml:
//
//	globalWhiteRemoteAddresses:
//	  - 10.10.103.*
//	accounts:
//	  - accessKey: RocketMQ
//	    secretKey: "12345678"
//	    whiteRemoteAddress: 192.168.0.*
//	    admin: false
//	    defaultTopicPerm: DENY
//	    defaultGroupPerm: SUB
//	    topicPerms:
//	      - topicA=DENY
//	      - topicB=PUB|SUB
//	    groupPerms:
//	      - groupA=SUB
//
// Addresses are parsed by [ParseAddrPattern], permissions by [ParsePerm].
// dataVersion, which a Java broker adds when its ACL admin requests change
// the file, is skipped. Other keys it does not know are errors (a typo
// would otherwise drop a rule),
// as are an access or secret key shorter than 7 characters (Java's rule),
// a repeated access key, and a resource listed twice in one account.
// Errors name the account by its position and access key, never the
// secret.
func Parse(data []byte) (*ACL, error) {
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("acl: file of %d bytes exceeds %d", len(data), maxFileSize)
	}
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("acl: %w", err)
	}
	a := &ACL{accounts: make(map[string]*Account, len(f.Accounts))}
	var errs []error
	for _, s := range f.GlobalWhiteRemoteAddresses {
		p, err := ParseAddrPattern(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("acl: globalWhiteRemoteAddresses: %w", err))
			continue
		}
		if !p.IsZero() {
			a.globalWhite = append(a.globalWhite, p)
		}
	}
	for i, fa := range f.Accounts {
		acc, err := fa.compile()
		if err != nil {
			errs = append(errs, fmt.Errorf("acl: accounts[%d] (accessKey %q): %w", i, fa.AccessKey, err))
			continue
		}
		if a.accounts[acc.AccessKey] != nil {
			errs = append(errs, fmt.Errorf("acl: accounts[%d]: accessKey %q is listed twice", i, acc.AccessKey))
			continue
		}
		a.accounts[acc.AccessKey] = acc
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return a, nil
}

func (fa fileAccount) compile() (*Account, error) {
	acc := &Account{
		AccessKey:        strings.TrimSpace(fa.AccessKey),
		SecretKey:        strings.TrimSpace(fa.SecretKey),
		Admin:            fa.Admin,
		DefaultTopicPerm: Deny,
		DefaultGroupPerm: Deny,
	}
	if len(acc.AccessKey) < 7 || len(acc.SecretKey) < 7 {
		return nil, errors.New("accessKey and secretKey must be at least 7 characters long")
	}
	var err error
	if acc.WhiteRemoteAddress, err = ParseAddrPattern(fa.WhiteRemoteAddress); err != nil {
		return nil, fmt.Errorf("whiteRemoteAddress: %w", err)
	}
	if fa.DefaultTopicPerm != "" {
		if acc.DefaultTopicPerm, err = ParsePerm(fa.DefaultTopicPerm); err != nil {
			return nil, fmt.Errorf("defaultTopicPerm: %w", err)
		}
	}
	if fa.DefaultGroupPerm != "" {
		if acc.DefaultGroupPerm, err = ParsePerm(fa.DefaultGroupPerm); err != nil {
			return nil, fmt.Errorf("defaultGroupPerm: %w", err)
		}
	}
	if acc.TopicPerms, err = parseResourcePerms("topicPerms", fa.TopicPerms); err != nil {
		return nil, err
	}
	if acc.GroupPerms, err = parseResourcePerms("groupPerms", fa.GroupPerms); err != nil {
		return nil, err
	}
	return acc, nil
}

// parseResourcePerms parses entries such as "topicA=PUB|SUB".
func parseResourcePerms(key string, entries []string) (map[string]Perm, error) {
	if entries == nil {
		return nil, nil
	}
	m := make(map[string]Perm, len(entries))
	for _, e := range entries {
		name, perm, ok := strings.Cut(e, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return nil, fmt.Errorf("%s: %q is not name=PERM", key, e)
		}
		p, err := ParsePerm(perm)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", key, name, err)
		}
		if _, dup := m[name]; dup {
			return nil, fmt.Errorf("%s: %s is listed twice", key, name)
		}
		m[name] = p
	}
	return m, nil
}

// Account returns the account of accessKey, or nil. The account must not
// be modified.
func (a *ACL) Account(accessKey string) *Account { return a.accounts[accessKey] }

// AccessKeys returns the access keys of a's accounts, sorted.
func (a *ACL) AccessKeys() []string {
	return slices.Sorted(maps.Keys(a.accounts))
}

// Accounts returns how many accounts a holds.
func (a *ACL) Accounts() int { return len(a.accounts) }
