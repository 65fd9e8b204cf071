package broker

// UPDATE_BROKER_CONFIG (25).
//
// Behavior: the body is a properties text (key=value lines). Every key
// must be one a running broker applies at once (runtimeKeys in
// brokerconf_runtime.go: autoCreateTopicEnable, defaultTopicQueueNums,
// autoCreateSubscriptionGroup), or nothing is
// applied: brokerConfigPath, rocketmqHome and configBlackList are refused
// NO_PERMISSION "Can not update config in black list." as Java does; a
// key that takes effect only at start, a key with no effect here, an
// unknown key or a bad value is refused INVALID_PARAMETER with a remark
// naming it. Applied keys are written back to the broker.conf the broker
// was started with (Config.BrokerConfigPath), replacing the key's line and
// keeping the rest of the file; a failed write is SYSTEM_ERROR (the change
// stays in effect). An empty body is SUCCESS and changes nothing.
//
// Deviations: Java applies any key it knows, most of which only take
// effect after a restart, silently skips unknown keys, and rewrites the
// whole file with every configuration value.

import (
	"errors"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

func init() { register(remoting.UpdateBrokerConfig, handleUpdateBrokerConfig) }

func handleUpdateBrokerConfig(b *Broker, c *conn, req *remoting.Command) *remoting.Command {
	b.log.Info("update broker config", "remote", c.remote.String())
	err := b.updateConfig(string(req.Body))
	switch {
	case err == nil:
		return remoting.NewResponse(req, remoting.Success, "")
	case errors.Is(err, errConfBlackListed):
		return errorResponse(req, remoting.NoPermission, "Can not update config in black list.")
	case errors.Is(err, errConfRefused):
		return errorResponse(req, remoting.InvalidParameter, err.Error())
	}
	return errorResponse(req, remoting.SystemError, err.Error())
}
