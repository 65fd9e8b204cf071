// Package payload holds the JSON bodies of RocketMQ remoting commands that
// clients send and read: a topic's route (GET_ROUTEINFO_BY_TOPIC), the
// heartbeat (HEART_BEAT), orderly lock requests and answers
// (LOCK_BATCH_MQ, UNLOCK_BATCH_MQ), a group's member list
// (GET_CONSUMER_LIST_BY_GROUP) and a broker's registration with a name
// server (REGISTER_BROKER: RegisterBrokerBody, BodyCRC32). Field names and casing are the Java
// broker's (shared/rocketmq-wire.md, Appendix B).
//
// # fastjson
//
// The Java broker and name server serialise with fastjson, which writes
// map keys that are not JSON strings: bare integers ({0:"127.0.0.1:10911"}
// in a route's brokerAddrs, sent to clients that report an old version)
// and whole objects ({{"topic":"T","queueId":0}:5} in offset tables).
// NormalizeFastJSON rewrites such keys into strings so encoding/json reads
// them; every decoder here applies it first, so a body from a Java broker
// and one from the rocketkit broker decode the same.
package payload
