package admin

import "errors"

var (
	// ErrNoNameServer is returned when Config.NameServers is empty.
	ErrNoNameServer = errors.New("admin: no name server address")
	// ErrTopicNotFound is returned when no name server has a route for the topic.
	ErrTopicNotFound = errors.New("admin: topic not found")
	// ErrNotFound is returned when a looked-up message does not exist.
	ErrNotFound = errors.New("admin: not found")
)
