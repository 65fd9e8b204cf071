// Package acl is the broker's RocketMQ 4.x plain ACL (ACL 1.0): the
// plain_acl.yml parser ([Parse]), its white-list address patterns
// ([ParseAddrPattern]), the resources each request code uses
// ([Resources], after Java's PlainAccessValidator.parse), the request
// signature ([Sign], [VerifySignature]) and the decision ([ACL.Check],
// after Java's PlainPermissionManager.validate). [Watcher] keeps the ACL
// of a file in force and reloads it when the file changes. Everything but
// the Watcher is pure: no I/O, no clock, no goroutines.
//
// Package broker calls ACL.Check before every request's handler when
// broker.Config.ACLEnable is set, and answers a *[Denied] with
// NO_PERMISSION and Denied's message as remark.
//
// # Deviations from Java
//
//   - A %DLQ%G topic is checked as group G, as %RETRY%G is (Java checks it
//     as a topic of that name).
//   - CONSUMER_SEND_MSG_BACK needs SUB on the group only, not PUB on the
//     original topic (so a consumer with SUB may retry); QUERY_CONSUMER_OFFSET
//     and SEND_BATCH_MESSAGE are checked like UPDATE_CONSUMER_OFFSET and
//     SEND_MESSAGE_V2, as newer 4.9 releases do.
//   - An unknown permission word, a repeated access key or resource, an
//     unknown YAML key and a malformed address are errors, where Java
//     reads DENY, keeps the last entry or ignores them.
//   - A signature that also covers _UNIQUE_KEY_QUERY is accepted (the
//     official Go client signs it; Java's verifier leaves it out).
//   - Refusals are NO_PERMISSION answers; Java 4.x's remoting layer turns
//     the AclException into a SYSTEM_ERROR answer carrying its message.
package acl
