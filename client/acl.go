package client

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
	fieldAccessKey     = "AccessKey"
	fieldSignature     = "Signature"
	fieldSecurityToken = "SecurityToken"
)

// signer returns the hook that signs every request the way RocketMQ's
// AclClientRPCHook does: the values of the request's ext fields plus
// AccessKey (and SecurityToken when set), ordered by field name, followed
// by the body, HMAC-SHA1 with the secret key, base64; then AccessKey,
// SecurityToken and Signature are added to the fields. (The official Go
// client leaves SecurityToken out of the signed content, which a Java
// broker with tokens refuses; this follows Java.)
func signer(cred Credentials) func(*remoting.Command) {
	return func(req *remoting.Command) {
		req.ExtFields.Set(fieldAccessKey, cred.AccessKey)
		if cred.SecurityToken != "" {
			req.ExtFields.Set(fieldSecurityToken, cred.SecurityToken)
		}
		req.ExtFields.Set(fieldSignature, sign(req, cred.SecretKey))
	}
}

// sign computes the signature of req's fields (all but Signature) and body.
func sign(req *remoting.Command, secretKey string) string {
	fields := slices.Clone(req.ExtFields)
	slices.SortFunc(fields, func(a, b remoting.Field) int { return strings.Compare(a.Key, b.Key) })
	mac := hmac.New(sha1.New, []byte(secretKey))
	for _, f := range fields {
		if f.Key != fieldSignature {
			mac.Write([]byte(f.Value))
		}
	}
	mac.Write(req.Body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
