package broker

import "errors"

// The broker's own errors. Requests are answered with RocketMQ response
// codes (package remoting), never with these; they travel inside the broker
// and into log lines, and tests match them with errors.Is.
var (
	// errTopicNotExist is returned when a send or route lookup names a
	// topic that does not exist and auto-creation is disabled.
	errTopicNotExist = errors.New("broker: topic does not exist")

	// errGroupMismatch is returned when END_TRANSACTION comes from a
	// producer group other than the half message's.
	errGroupMismatch = errors.New("broker: producer group does not match the half message's")

	// errMessageIllegal is returned when a message the broker writes
	// itself (a retry, a committed half message, a delayed message coming
	// due) cannot be encoded, e.g. when the properties the broker adds take
	// it past the 32767-byte property limit.
	errMessageIllegal = errors.New("broker: message cannot be stored")

	// errClientGone is returned when a client's connection closes while
	// the broker waits for its answer to a request the broker sent it, or
	// when no connection of the client is open.
	errClientGone = errors.New("broker: client connection closed")

	// errConfBlackListed is returned by UPDATE_BROKER_CONFIG for
	// brokerConfigPath and the other keys Java's configBlackList guards
	// (answered NO_PERMISSION).
	errConfBlackListed = errors.New("broker: config key may not be updated (config black list)")

	// errConfRefused is returned by UPDATE_BROKER_CONFIG for a key that
	// takes effect only at start, an unknown key or a bad value (answered
	// INVALID_PARAMETER).
	errConfRefused = errors.New("broker: config update refused")
)
