package aclsign_test

import (
	"strings"
	"testing"

	"github.com/rocketkit/rocketkit/broker/acl"
	"github.com/rocketkit/rocketkit/protocol/aclsign"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// Sign adds AccessKey, SecurityToken and a Signature the broker's
// verifier accepts; the token is signed as Java signs it; String never
// shows the secret key. (client's FuzzVerifySignature fuzzes the same.)
func TestSign(t *testing.T) {
	cred := aclsign.Credentials{AccessKey: "rocketkit", SecretKey: "12345678", SecurityToken: "token"}
	req := remoting.NewRequest(remoting.SendMessageV2, remoting.Fields{{Key: "b", Value: "orders"}}, []byte("body"))
	cred.Sign(req)
	if req.ExtFields.Get(aclsign.FieldAccessKey) != "rocketkit" || req.ExtFields.Get(aclsign.FieldSecurityToken) != "token" {
		t.Fatalf("fields %v", req.ExtFields)
	}
	if !acl.VerifySignature(req, "12345678") {
		t.Fatal("the broker does not verify the signature")
	}
	req.ExtFields.Set(aclsign.FieldSecurityToken, "other")
	if acl.VerifySignature(req, "12345678") {
		t.Fatal("the security token is not signed")
	}
	if s := cred.String(); strings.Contains(s, "12345678") || !strings.Contains(s, "rocketkit") {
		t.Errorf("String = %q", s)
	}
	if !(aclsign.Credentials{}).IsZero() || cred.IsZero() {
		t.Error("IsZero")
	}
}
