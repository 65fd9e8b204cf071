package broker

import "github.com/rocketkit/rocketkit/protocol/message"

// ValidateTopic reports whether name is a legal RocketMQ topic name.
func ValidateTopic(name string) error { return message.ValidateTopic(name) }

// ValidateGroup reports whether name is a legal RocketMQ group name.
func ValidateGroup(name string) error { return message.ValidateGroup(name) }
