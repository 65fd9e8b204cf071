package broker

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/rocketkit/rocketkit/broker/acl"
	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// defaultACLPoll is how often the ACL file is read for changes.
const defaultACLPoll = 2 * time.Second

// WithACLPollInterval sets how often a broker with Config.ACLEnable reads
// its ACL file for changes. Default 2s; tests shorten it.
func WithACLPollInterval(d time.Duration) Option {
	return optionFunc(func(o *options) { o.aclPoll = d })
}

// aclFilePath returns the plain_acl.yml of cfg: ACLFile, else
// $ROCKETMQ_HOME/conf/plain_acl.yml.
func aclFilePath(cfg Config) (string, error) {
	if cfg.ACLFile != "" {
		return cfg.ACLFile, nil
	}
	home := os.Getenv("ROCKETMQ_HOME")
	if home == "" {
		return "", errors.New("broker config acl-enable: no acl-file given and ROCKETMQ_HOME is not set " +
			"(the Java broker reads $ROCKETMQ_HOME/conf/plain_acl.yml)")
	}
	return filepath.Join(home, "conf", "plain_acl.yml"), nil
}

// loadACL loads the ACL file when cfg.ACLEnable, or returns nil when ACL
// is off. The file must parse: a broker never starts with a broken ACL.
func (b *Broker) loadACL() (*acl.Watcher, error) {
	if !b.cfg.ACLEnable {
		return nil, nil
	}
	path, err := aclFilePath(b.cfg)
	if err != nil {
		return nil, err
	}
	w, err := acl.NewWatcher(path, b.log.With("component", "acl"))
	if err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	b.cfg.ACLFile = path
	b.log.Info("acl enabled", "file", path, "accounts", w.ACL().Accounts())
	return w, nil
}

// admit checks req against the ACL in force, if any. A refused request
// is answered NO_PERMISSION with the reason as remark (one-way requests
// get no answer) and admit returns false.
func (c *conn) admit(req *remoting.Command) bool {
	if c.b.acl == nil {
		return true
	}
	err := c.b.acl.ACL().Check(c.remote.Addr(), req)
	if err == nil {
		return true
	}
	c.b.log.Info("request refused by acl", "code", remoting.RequestName(req.Code), "remote", c.remote.String(), "err", err)
	if !req.IsOneway() {
		c.reply(errorResponse(req, remoting.NoPermission, err.Error()))
	}
	return false
}
