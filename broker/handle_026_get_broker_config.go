package broker

// GET_BROKER_CONFIG (26).
//
// Behavior: SUCCESS with the configuration as a properties text, one
// key=value line per key sorted by key, by RocketMQ's key names
// (brokerconf_runtime.go), with the values changed at runtime; the header
// field "version" holds the data version JSON
// ({"stateVersion":0,"timestamp":…,"counter":n}), bumped by every
// UPDATE_BROKER_CONFIG.
//
// Deviations: Java lists every field of BrokerConfig, NettyServerConfig,
// NettyClientConfig and MessageStoreConfig (hundreds of keys); this lists
// the keys this broker reads (ParseBrokerConf's list) and a few fixed
// ones (brokerId=0, brokerRole=ASYNC_MASTER, brokerPermission=6).

import (
	"encoding/json"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

func init() { register(remoting.GetBrokerConfig, handleGetBrokerConfig) }

func handleGetBrokerConfig(b *Broker, _ *conn, req *remoting.Command) *remoting.Command {
	text, version := b.configText()
	v, err := json.Marshal(version)
	if err != nil {
		return errorResponse(req, remoting.SystemError, err.Error())
	}
	resp := remoting.NewResponse(req, remoting.Success, "")
	resp.ExtFields = remoting.Fields{{Key: "version", Value: string(v)}}
	resp.Body = []byte(text)
	return resp
}
