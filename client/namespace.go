package client

import (
	"strings"

	"github.com/rocketkit/rocketkit/protocol/message"
)

// wireName is how a topic or group is named on the wire: with the
// namespace, "namespace%name". Retry and dead-letter topics keep their
// prefix in front: "%RETRY%namespace%group".
func (c *Client) wireName(name string) string {
	ns := c.cfg.Namespace
	if ns == "" || message.IsReplyTopic(name) { // a cluster's, as Java's system topics
		return name
	}
	for _, prefix := range []string{message.RetryTopicPrefix, message.DLQTopicPrefix} {
		if rest, ok := strings.CutPrefix(name, prefix); ok {
			return prefix + c.wireName(rest)
		}
	}
	if strings.HasPrefix(name, ns+"%") {
		return name
	}
	return ns + "%" + name
}

// bareName is the inverse of wireName.
func (c *Client) bareName(wire string) string {
	ns := c.cfg.Namespace
	if ns == "" {
		return wire
	}
	for _, prefix := range []string{message.RetryTopicPrefix, message.DLQTopicPrefix} {
		if rest, ok := strings.CutPrefix(wire, prefix); ok {
			return prefix + c.bareName(rest)
		}
	}
	return strings.TrimPrefix(wire, ns+"%")
}
