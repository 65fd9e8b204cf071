package client

import (
	"github.com/rocketkit/rocketkit/protocol/aclsign"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// Credentials are an ACL access key pair (RocketMQ's SessionCredentials);
// package admin signs with the same type.
type Credentials = aclsign.Credentials

// signer returns the hook that signs every request with cred, the way
// RocketMQ's AclClientRPCHook does (aclsign.Credentials.Sign).
func signer(cred Credentials) func(*remoting.Command) { return cred.Sign }
