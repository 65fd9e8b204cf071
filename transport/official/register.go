package official

import (
	"github.com/rocketkit/rocketkit/client"
	"github.com/rocketkit/rocketkit/transport"
)

// Importing the package registers the backend as "official" for
// transport.Open and the starter's rocketmq.client.
func init() {
	transport.Register(Name, func(cfg client.Config, o transport.OpenOptions) (transport.Backend, error) {
		var opts []Option
		if o.Logger != nil {
			opts = append(opts, WithLogger(o.Logger))
		}
		if o.QuietWait != nil {
			opts = append(opts, WithQuietWait(o.QuietWait))
		}
		return New(cfg, opts...)
	})
}
