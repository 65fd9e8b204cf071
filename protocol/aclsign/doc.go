// Package aclsign signs remoting requests for RocketMQ 4.x plain ACL
// (ACL 1.0) the way Java's AclClientRPCHook does. The kit's client
// (client.Config.Credentials) and its admin client (admin.Config.Credentials)
// sign with it; the broker checks with broker/acl.VerifySignature.
//
// It is pure: no I/O, no clock, no goroutines.
package aclsign
