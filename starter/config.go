package starter

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rocketkit/rocketkit/broker"
	"github.com/rocketkit/rocketkit/listener"
	"github.com/rocketkit/rocketkit/protocol/message"
	"github.com/rocketkit/rocketkit/transport"
	"github.com/rocketkit/rocketkit/txcheck"
)

// Embedded is the rocketmq.name-server value that runs the broker inside
// the application.
const Embedded = "embedded"

// Clients (rocketmq.client).
const (
	ClientRocketKit = "rocketkit"
	ClientOfficial  = "official"
)

// Subscription check modes (rocketmq.listener.subscription-check).
const (
	CheckFail = "fail"
	CheckWarn = "warn"
	CheckOff  = "off"
)

// Config is the rocketmq.* configuration. Every field's koanf tag is its
// key below "rocketmq."; the package documentation lists them all. The
// module builds it from DefaultConfig, the YAML file and the environment.
// A zero value means the documented default except where a field says
// otherwise.
type Config struct {
	// NameServer is "embedded" (default: run the broker in-process) or the
	// name servers as "host:port;host:port". List every name server (S15).
	NameServer string `koanf:"name-server"`
	// Client is the RocketMQ client underneath: "rocketkit" (default, the
	// kit's own; package client) or "official" (the official Go client,
	// github.com/apache/rocketmq-client-go/v2), which the application
	// registers by importing github.com/rocketkit/rocketkit/transport/official
	// (so that applications not using it do not link it). Applications see
	// no difference but speed and what README's table lists.
	Client string `koanf:"client"`
	// AccessKey and SecretKey are ACL credentials for producer and
	// consumers unless the producer or consumer keys override them.
	AccessKey string `koanf:"access-key"`
	SecretKey string `koanf:"secret-key"`
	// SecurityToken, when set, is sent and signed with every request
	// (temporary ACL credentials).
	SecurityToken string `koanf:"security-token"`
	// Namespace prefixes topics and groups on the broker ("ns%topic").
	Namespace string `koanf:"namespace"`
	// TLS connects to name servers and brokers (and the admin requests of
	// the subscription check and the outbox's key lookup) over TLS,
	// verified against the system's roots (rocketmq.client rocketkit; the
	// official client never verifies certificates).
	TLS bool `koanf:"tls"`
	// TLSCA is a PEM file of CA certificates to verify the cluster's
	// certificates against instead of the system's roots. Needs tls: true;
	// the official client, which verifies nothing, refuses it.
	TLSCA string `koanf:"tls-ca"`
	// TLSInsecureSkipVerify accepts any certificate (a test cluster or an
	// embedded broker with a self-signed one). Needs tls: true. The
	// official client always behaves so.
	TLSInsecureSkipVerify bool `koanf:"tls-insecure-skip-verify"`
	// InstanceName tells this process's clients apart from others on the
	// same host (the client id is ip@instance-name). Default: the pid.
	InstanceName string `koanf:"instance-name"`
	// UnitName is appended to the client id when set.
	UnitName string `koanf:"unit-name"`
	// ServiceName names the application in derived group names. Default:
	// the executable's base name.
	ServiceName string `koanf:"service-name"`
	// StrictSend makes a send whose status is not SEND_OK fail with
	// ErrNotSendOK (S13). Default false: the status is only reported.
	StrictSend bool `koanf:"strict-send"`
	// ShutdownTimeout bounds how long stopping waits for running handlers
	// before cancelling their contexts. Default 10s.
	ShutdownTimeout time.Duration `koanf:"shutdown-timeout"`
	// ClientLogLevel is the least level of the client's own log
	// records that reach the application's logger: debug, info, warn
	// (default), error or off.
	ClientLogLevel string `koanf:"client-log-level"`

	Producer ProducerConfig `koanf:"producer"`
	Consumer ConsumerConfig `koanf:"consumer"`
	Listener ListenerConfig `koanf:"listener"`
	// TxCheck configures the transactional producer and sweeper of TxCheck
	// (rocketmq.txcheck.*, the keys of txcheck.Config; zero values mean
	// txcheck's defaults, the group "<service-name>-tx").
	TxCheck txcheck.Config `koanf:"txcheck"`
	// Embedded configures the in-process broker (rocketmq.embedded.*, the
	// keys of broker.Config). Defaults differ from the broker's in two
	// keys: listen is 127.0.0.1:0 (a free port) and data-dir is a
	// temporary directory removed on stop.
	Embedded broker.Config `koanf:"embedded"`
}

// ProducerConfig is rocketmq.producer.*: the template's producer.
type ProducerConfig struct {
	// Group is the producer group. Default "<service-name>-producer".
	Group string `koanf:"group"`
	// SendMessageTimeout bounds each send attempt. Default 3s; a bare
	// number is milliseconds, as in rocketmq-spring.
	SendMessageTimeout time.Duration `koanf:"send-message-timeout"`
	// RetryTimesWhenSendFailed is the number of extra attempts of a
	// failed synchronous send. Default 2 (DefaultConfig); 0 disables.
	RetryTimesWhenSendFailed int `koanf:"retry-times-when-send-failed"`
	// CompressMessageBodyThreshold is the body size above which bodies
	// are zlib-compressed. Default 4096.
	CompressMessageBodyThreshold int `koanf:"compress-message-body-threshold"`
	// MaxMessageSize is the largest body the template sends. Default 4 MiB.
	MaxMessageSize int    `koanf:"max-message-size"`
	AccessKey      string `koanf:"access-key"`
	SecretKey      string `koanf:"secret-key"`
}

// ConsumerConfig is rocketmq.consumer.*: defaults for every listener.
type ConsumerConfig struct {
	// PullBatchSize is the most messages per pull. Default 32.
	PullBatchSize int `koanf:"pull-batch-size"`
	// ConsumeThreadMax is a listener's handler concurrency unless its tag
	// sets consumers. Default 20.
	ConsumeThreadMax int `koanf:"consume-thread-max"`
	// ConsumeTimeout is the deadline of each handler call's ctx unless a
	// listener's tag sets timeout (Java's consumeTimeout: a message stuck
	// in a handler longer fails, and is retried, once the handler returns
	// on the cancelled ctx). Default 15m.
	ConsumeTimeout time.Duration `koanf:"consume-timeout"`
	// MaxReconsumeTimes is the retry budget unless a tag sets
	// maxReconsume. Default -1 (DefaultConfig): 16 for concurrent
	// listeners, unlimited for orderly ones; 0 dead-letters at the first
	// failure.
	MaxReconsumeTimes int `koanf:"max-reconsume-times"`
	// SuspendCurrentQueueTime is how long an orderly queue pauses after a
	// failure unless a tag sets suspend. Default 1s (zero or negative
	// values mean the default).
	SuspendCurrentQueueTime time.Duration `koanf:"suspend-current-queue-time"`
	// ConsumeFromWhere is where a new group starts: last (default) or
	// first. Young queues are read from their start either way.
	ConsumeFromWhere string `koanf:"consume-from-where"`
	// OffsetDir is where broadcasting listeners keep their offsets (one
	// file per group). Default: with the embedded broker, beside its data;
	// with a cluster it must be set when a listener is broadcasting.
	OffsetDir string `koanf:"offset-dir"`
	AccessKey string `koanf:"access-key"`
	SecretKey string `koanf:"secret-key"`
}

// ListenerConfig is rocketmq.listener.*.
type ListenerConfig struct {
	// SubscriptionCheck decides what happens when another live member of
	// a listener's group subscribes differently (S6): fail (default)
	// refuses to start, warn logs, off skips the check.
	SubscriptionCheck string `koanf:"subscription-check"`
}

// DefaultConfig returns the defaults, including those a zero value cannot
// express (retry-times-when-send-failed 2, max-reconsume-times -1).
func DefaultConfig() Config {
	c := unsetConfig()
	c.setDefaults()
	return c
}

// unsetConfig is the configuration before any key is read: zero, except
// where zero is a meaningful setting.
func unsetConfig() Config {
	return Config{
		Producer: ProducerConfig{RetryTimesWhenSendFailed: 2},
		Consumer: ConsumerConfig{MaxReconsumeTimes: -1},
	}
}

func (c *Config) setDefaults() {
	setString(&c.NameServer, Embedded)
	setString(&c.ServiceName, defaultServiceName())
	setString(&c.ClientLogLevel, "warn")
	setString(&c.Client, ClientRocketKit)
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = 10 * time.Second
	}
	p := &c.Producer
	setString(&p.Group, sanitize(c.ServiceName)+"-producer")
	setString(&p.AccessKey, c.AccessKey)
	setString(&p.SecretKey, c.SecretKey)
	if p.SendMessageTimeout == 0 {
		p.SendMessageTimeout = 3 * time.Second
	}
	if p.CompressMessageBodyThreshold == 0 {
		p.CompressMessageBodyThreshold = 4096
	}
	if p.MaxMessageSize == 0 {
		p.MaxMessageSize = 4 << 20
	}
	cs := &c.Consumer
	setString(&cs.AccessKey, c.AccessKey)
	setString(&cs.SecretKey, c.SecretKey)
	setString(&cs.ConsumeFromWhere, "last")
	if cs.PullBatchSize == 0 {
		cs.PullBatchSize = 32
	}
	if cs.ConsumeThreadMax == 0 {
		cs.ConsumeThreadMax = 20
	}
	if cs.ConsumeTimeout == 0 {
		cs.ConsumeTimeout = 15 * time.Minute
	}
	if cs.SuspendCurrentQueueTime <= 0 {
		cs.SuspendCurrentQueueTime = time.Second
	}
	setString(&c.Listener.SubscriptionCheck, CheckFail)
	setString(&c.Embedded.Listen, "127.0.0.1:0")
}

func setString(s *string, def string) {
	if *s == "" {
		*s = def
	}
}

// Validate reports every invalid field by its full key. It expects
// defaults to have been applied.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, configErr("rocketmq."+key, format, args...))
	}
	if !c.IsEmbedded() {
		if _, err := ParseNameServers(c.NameServer); err != nil {
			bad("name-server", "%v", err)
		}
	}
	oneOf := func(key, v string, allowed ...string) {
		for _, a := range allowed {
			if v == a {
				return
			}
		}
		bad(key, "%q is not one of %s", v, strings.Join(allowed, ", "))
	}
	oneOf("client", c.Client, transport.Names()...)
	oneOf("client-log-level", c.ClientLogLevel, "debug", "info", "warn", "error", "off")
	oneOf("listener.subscription-check", c.Listener.SubscriptionCheck, CheckFail, CheckWarn, CheckOff)
	oneOf("consumer.consume-from-where", c.Consumer.ConsumeFromWhere, "last", "first")
	if c.ShutdownTimeout < 0 {
		bad("shutdown-timeout", "%v must not be negative", c.ShutdownTimeout)
	}
	if c.Namespace != "" {
		if err := message.ValidateGroup(c.Namespace); err != nil || strings.Contains(c.Namespace, "%") {
			bad("namespace", "%q must be [|a-zA-Z0-9_-]+", c.Namespace)
		}
	}
	if err := message.ValidateGroup(c.Producer.Group); err != nil {
		bad("producer.group", "%q is not a valid group: [%%|a-zA-Z0-9_-], 1..255 bytes", c.Producer.Group)
	}
	ranges := []struct {
		key      string
		v        int
		min, max int
	}{
		{"producer.retry-times-when-send-failed", c.Producer.RetryTimesWhenSendFailed, 0, 16},
		{"producer.compress-message-body-threshold", c.Producer.CompressMessageBodyThreshold, 1, 1 << 30},
		{"producer.max-message-size", c.Producer.MaxMessageSize, 1, 1 << 30},
		{"consumer.pull-batch-size", c.Consumer.PullBatchSize, 1, 1024},
		{"consumer.consume-thread-max", c.Consumer.ConsumeThreadMax, 1, 1000},
		{"consumer.max-reconsume-times", c.Consumer.MaxReconsumeTimes, -1, listener.OrderlyUnlimited},
	}
	for _, r := range ranges {
		if r.v < r.min || r.v > r.max {
			bad(r.key, "%d is outside %d..%d", r.v, r.min, r.max)
		}
	}
	if c.Producer.SendMessageTimeout <= 0 {
		bad("producer.send-message-timeout", "%v must be positive", c.Producer.SendMessageTimeout)
	}
	if c.Consumer.ConsumeTimeout <= 0 {
		bad("consumer.consume-timeout", "%v must be positive (a listener's timeout tag overrides it)", c.Consumer.ConsumeTimeout)
	}
	for _, kp := range [][3]string{
		{"", c.AccessKey, c.SecretKey},
		{"producer.", c.Producer.AccessKey, c.Producer.SecretKey},
		{"consumer.", c.Consumer.AccessKey, c.Consumer.SecretKey},
	} {
		if (kp[1] == "") != (kp[2] == "") {
			bad(kp[0]+"secret-key", "access-key and secret-key go together")
		}
	}
	if !c.TLS && (c.TLSCA != "" || c.TLSInsecureSkipVerify) {
		bad("tls", "tls-ca and tls-insecure-skip-verify need tls: true")
	}
	if c.TLSCA != "" && c.Client == ClientOfficial {
		bad("tls-ca", "the official client does not verify certificates, so it cannot trust a CA: use rocketmq.client rocketkit, or tls-insecure-skip-verify to say certificates go unchecked")
	}
	c.validateTxCheck(bad)
	if c.IsEmbedded() {
		emb := c.Embedded
		if emb.DataDir == "" {
			emb.DataDir = os.TempDir() // replaced by a fresh directory at start
		}
		emb = emb.WithDefaults()
		if err := emb.Validate(); err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				key, msg, ok := strings.Cut(strings.TrimPrefix(line, "broker config "), ": ")
				if !ok {
					key, msg = "", line
				}
				bad("embedded."+key, "%s", msg)
			}
		}
	}
	return errors.Join(errs...)
}

// IsEmbedded reports whether the application runs its own broker.
func (c *Config) IsEmbedded() bool {
	return strings.EqualFold(strings.TrimSpace(c.NameServer), Embedded)
}

// ParseNameServers splits "host:port;host:port" and checks every entry.
func ParseNameServers(s string) ([]string, error) {
	var out []string
	for _, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		addr := strings.TrimPrefix(part, "http://")
		host, port, err := net.SplitHostPort(addr)
		if err != nil || host == "" {
			return nil, errors.New(strconv.Quote(part) + " is not host:port")
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return nil, errors.New(strconv.Quote(part) + ": port must be 1..65535")
		}
		out = append(out, addr)
	}
	if len(out) == 0 {
		return nil, errors.New(`no address; use "embedded" or "host:port;host:port"`)
	}
	return out, nil
}

func defaultServiceName() string {
	name := filepath.Base(os.Args[0])
	name = strings.TrimSuffix(name, filepath.Ext(name))
	if name == "" || name == "." || name == "/" {
		return "rocketkit"
	}
	return sanitize(name)
}

// sanitize maps s onto the group alphabet [a-zA-Z0-9_-].
func sanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	return string(b)
}
