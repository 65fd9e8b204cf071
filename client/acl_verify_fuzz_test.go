package client

import (
	"testing"

	"github.com/rocketkit/rocketkit/broker/acl"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// FuzzVerifySignature signs requests with this package's signer (what
// client.Config.Credentials does to every request) and checks them with
// the broker's verifier, broker/acl.VerifySignature. Invariants: neither
// panics; a request the signer signed always verifies with the secret key
// it was signed with; changing any one byte of a signed field's value or
// of the body makes it fail, and so does another secret key. (Field keys
// are not covered byte for byte: the signature covers the values in key
// order, as RocketMQ's does, so renaming a key may keep their order.)
func FuzzVerifySignature(f *testing.F) {
	f.Add("rocketkit", "12345678", "", "topic", "orders", "queueId", "3", []byte("body"), uint(5), byte(1))
	f.Add("ak", "sk", "token", "b", "t", "_UNIQUE_KEY_QUERY", "true", []byte{}, uint(0), byte(0x80))
	f.Add("AccessKey", "", "", "Signature", "forged", "a", "", []byte(nil), uint(99), byte(0xff))
	f.Fuzz(func(t *testing.T, ak, sk, token, k1, v1, k2, v2 string, body []byte, pos uint, delta byte) {
		if ak == "" {
			ak = "a"
		}
		req := remoting.NewRequest(remoting.SendMessage, nil, body)
		req.ExtFields.Set(k1, v1)
		req.ExtFields.Set(k2, v2)
		signer(Credentials{AccessKey: ak, SecretKey: sk, SecurityToken: token})(req)
		if !acl.VerifySignature(req, sk) {
			t.Fatalf("a signed request does not verify: %v", req.ExtFields)
		}
		if acl.VerifySignature(req, sk+"x") {
			t.Fatalf("verifies with another secret key: %v", req.ExtFields)
		}
		if delta == 0 {
			delta = 1
		}
		// Pick the byte at pos across the signed values and the body.
		total := len(body)
		for _, fl := range req.ExtFields {
			if fl.Key != acl.FieldSignature {
				total += len(fl.Value)
			}
		}
		if total == 0 {
			return
		}
		at := int(pos % uint(total))
		changed := remoting.NewRequest(req.Code, req.ExtFields.Clone(), append([]byte(nil), body...))
		for i, fl := range changed.ExtFields {
			if fl.Key == acl.FieldSignature {
				continue
			}
			if at < len(fl.Value) {
				b := []byte(fl.Value)
				b[at] += delta
				changed.ExtFields[i].Value = string(b)
				at = -1
				break
			}
			at -= len(fl.Value)
		}
		if at >= 0 {
			changed.Body[at] += delta
		}
		if acl.VerifySignature(changed, sk) {
			t.Fatalf("verifies after a one-byte change: %v %q, signed %v %q", changed.ExtFields, changed.Body, req.ExtFields, req.Body)
		}
	})
}
