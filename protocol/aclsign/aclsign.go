package aclsign

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"slices"
	"strings"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// ACL 1.0 header fields.
const (
	FieldAccessKey     = "AccessKey"
	FieldSignature     = "Signature"
	FieldSecurityToken = "SecurityToken"
)

// Credentials are an ACL access key pair (RocketMQ's SessionCredentials),
// with the security token of temporary credentials.
type Credentials struct {
	AccessKey     string `koanf:"access-key"`
	SecretKey     string `koanf:"secret-key"`
	SecurityToken string `koanf:"security-token"`
}

// IsZero reports whether c has no access key (requests go unsigned).
func (c Credentials) IsZero() bool { return c.AccessKey == "" }

// String names the access key only: credentials may be logged.
func (c Credentials) String() string {
	if c.AccessKey == "" {
		return "(no credentials)"
	}
	return "access key " + c.AccessKey
}

// Sign signs req in place: the values of its ext fields plus AccessKey
// (and SecurityToken when set), ordered by field name, followed by the
// body, HMAC-SHA1 with the secret key, base64; then AccessKey,
// SecurityToken and Signature are added to the fields. (The official Go
// client leaves SecurityToken out of the signed content, which a Java
// broker with tokens refuses; this follows Java.) Sign the request last,
// after every other field is set.
func (c Credentials) Sign(req *remoting.Command) {
	req.ExtFields.Set(FieldAccessKey, c.AccessKey)
	if c.SecurityToken != "" {
		req.ExtFields.Set(FieldSecurityToken, c.SecurityToken)
	}
	req.ExtFields.Set(FieldSignature, Signature(req, c.SecretKey))
}

// Signature computes the signature of req's fields (all but Signature)
// and body with secretKey.
func Signature(req *remoting.Command, secretKey string) string {
	fields := slices.Clone(req.ExtFields)
	slices.SortFunc(fields, func(a, b remoting.Field) int { return strings.Compare(a.Key, b.Key) })
	mac := hmac.New(sha1.New, []byte(secretKey))
	for _, f := range fields {
		if f.Key != FieldSignature {
			mac.Write([]byte(f.Value))
		}
	}
	mac.Write(req.Body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
