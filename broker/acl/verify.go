package acl

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// ACL 1.0 request fields (Java's SessionCredentials).
const (
	FieldAccessKey     = "AccessKey"
	FieldSignature     = "Signature"
	FieldSecurityToken = "SecurityToken"
	// fieldUniqueKeyQuery is set on a request after it is signed (Java's
	// MixAll.UNIQUE_MSG_QUERY_FLAG), so the broker leaves it out.
	fieldUniqueKeyQuery = "_UNIQUE_KEY_QUERY"
)

// Denied is the error [ACL.Check] returns for a refused request. Its
// message is the remark of the NO_PERMISSION answer, e.g. "No permission:
// account ak1 has no PUB on topic T".
type Denied struct {
	// AccessKey is the request's access key; empty when it had none.
	AccessKey string
	// Reason says what was missing, without the "No permission: " prefix.
	Reason string
}

// Error returns "No permission: " and the reason.
func (d *Denied) Error() string { return "No permission: " + d.Reason }

// Check decides whether the client at remote may send req, as Java's
// PlainPermissionManager.validate does:
//
//  1. name-server requests (routes, cluster info, topic list) pass, as
//     RocketMQ 4.x's name server has no ACL;
//  2. a remote address in globalWhiteRemoteAddresses passes;
//  3. the request's AccessKey must name an account;
//  4. a remote address in that account's whiteRemoteAddress passes;
//  5. the Signature must be the one [Sign] computes with the account's
//     secret key;
//  6. admin-only codes need an admin account, and every resource of
//     [Resources] the permission it needs: the account's entry for it,
//     else its default. An admin with no topicPerms and no groupPerms has
//     every permission.
//
// It returns nil or a *Denied. Check is safe for concurrent use.
func (a *ACL) Check(remote netip.Addr, req *remoting.Command) error {
	if nameServerCodes[req.Code] {
		return nil
	}
	remote = remote.Unmap()
	for _, p := range a.globalWhite {
		if p.Match(remote) {
			return nil
		}
	}
	ak, _ := req.ExtFields.Lookup(FieldAccessKey)
	if ak == "" {
		return &Denied{Reason: fmt.Sprintf("%s is not signed (no AccessKey) and %s is not in a white list",
			remoting.RequestName(req.Code), addrString(remote))}
	}
	acc := a.accounts[ak]
	if acc == nil {
		return &Denied{AccessKey: ak, Reason: fmt.Sprintf("access key %s unknown", ak)}
	}
	if acc.WhiteRemoteAddress.Match(remote) {
		return nil
	}
	if !VerifySignature(req, acc.SecretKey) {
		return &Denied{AccessKey: ak, Reason: fmt.Sprintf("signature mismatch for access key %s", ak)}
	}
	if NeedsAdmin(req.Code) && !acc.Admin {
		return &Denied{AccessKey: ak, Reason: fmt.Sprintf("%s needs an admin account; account %s is not admin",
			remoting.RequestName(req.Code), ak)}
	}
	if acc.Admin && len(acc.TopicPerms) == 0 && len(acc.GroupPerms) == 0 {
		return nil
	}
	rs, err := Resources(req)
	if err != nil {
		return &Denied{AccessKey: ak, Reason: fmt.Sprintf("cannot tell what %s uses: %v", remoting.RequestName(req.Code), err)}
	}
	for _, r := range rs {
		if !acc.allows(r) {
			return &Denied{AccessKey: ak, Reason: fmt.Sprintf("account %s has no %s", ak, r)}
		}
	}
	return nil
}

// allows reports whether acc holds the permission r needs.
func (acc *Account) allows(r Resource) bool {
	perms, def := acc.TopicPerms, acc.DefaultTopicPerm
	if r.Group {
		perms, def = acc.GroupPerms, acc.DefaultGroupPerm
	}
	if p, ok := perms[r.Name]; ok {
		return p.Allows(r.Need)
	}
	return def.Allows(r.Need)
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return "an unknown address"
	}
	return a.String()
}

// Sign returns the signature Java's PlainAccessValidator expects of a
// request with fields and body: the values of the fields (the last one of
// a repeated key) other than Signature and _UNIQUE_KEY_QUERY, ordered by
// key, then the body, HMAC-SHA1 with secretKey, base64. The fields must
// already hold the AccessKey (and SecurityToken, if any).
func Sign(fields remoting.Fields, body []byte, secretKey string) string {
	return sign(fields, body, secretKey, false)
}

func sign(fields remoting.Fields, body []byte, secretKey string, withUniqueKey bool) string {
	keys := make([]string, 0, len(fields))
	for _, f := range fields {
		if f.Key == FieldSignature || (f.Key == fieldUniqueKeyQuery && !withUniqueKey) {
			continue
		}
		keys = append(keys, f.Key)
	}
	slices.SortFunc(keys, strings.Compare)
	keys = slices.Compact(keys)
	mac := hmac.New(sha1.New, []byte(secretKey))
	for _, k := range keys {
		v, _ := fields.Lookup(k)
		mac.Write([]byte(v))
	}
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// VerifySignature reports whether req's Signature field is [Sign] of its
// fields and body with secretKey. A signature that also covers
// _UNIQUE_KEY_QUERY is accepted too (the official Go client signs every
// field it sends). The comparison takes constant time.
func VerifySignature(req *remoting.Command, secretKey string) bool {
	got, ok := req.ExtFields.Lookup(FieldSignature)
	if !ok {
		return false
	}
	if hmac.Equal([]byte(got), []byte(sign(req.ExtFields, req.Body, secretKey, false))) {
		return true
	}
	if _, ok := req.ExtFields.Lookup(fieldUniqueKeyQuery); ok {
		return hmac.Equal([]byte(got), []byte(sign(req.ExtFields, req.Body, secretKey, true)))
	}
	return false
}
