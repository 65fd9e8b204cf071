// Package admin is a small administration client for RocketMQ clusters:
// the RocketKit broker or a real Apache RocketMQ cluster (remoting
// protocol). It does what the official Go client does not: look messages
// up by key or id, list topics and the cluster, read queue offsets and a
// group's consumption progress, browse a topic's messages by store time,
// reset a group's offsets to a moment (a live group's through the broker),
// create or delete topics, read a broker's runtime counters and
// configuration and change it, manage subscription groups, and ask a live
// consumer for its state. The CLI (rocketkit admin) and the outbox's
// key-based compensation are built on it.
//
// # Connections
//
// Each call dials the name server or broker it needs, sends one request
// and closes the connection: admin traffic is rare, and a call never
// shares state with another. Name servers are tried in order until one
// answers.
//
// # ACL and TLS
//
// Config.Credentials signs every request for a cluster with ACL 1.0
// (plain_acl.yml), the same way and with the same type as
// client.Config.Credentials; without them such a cluster refuses every
// request but route and cluster queries with NO_PERMISSION. Reading
// messages by key needs SUB on the topic, creating and deleting topics an
// admin account. Config.TLS dials over TLS, verified against the system's
// roots or WithTLSConfig's configuration.
//
// # Java's JSON
//
// Java name servers and brokers answer some requests in fastjson's
// dialect (integer or object map keys); the client normalises it before
// decoding, so the same calls work against either broker.
package admin
