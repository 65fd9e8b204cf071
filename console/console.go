package console

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/rocketkit/rocketkit/admin"
	"github.com/rocketkit/rocketkit/client"
)

// Config tunes a Console. The zero value is usable.
type Config struct {
	// SampleInterval is how often Run samples the cluster for the "over
	// time" charts. Default 5s.
	SampleInterval time.Duration
	// History is the number of samples each series keeps (a ring buffer).
	// Default 360 (30 minutes at 5s).
	History int
	// MaxSampled bounds the topics and the groups sampled per tick, each.
	// Default 100.
	MaxSampled int
	// AllowedHosts are host names (without port) accepted in a request's
	// Host header besides IP literals and "localhost"; anything else is
	// refused, which defeats DNS rebinding. Add the name the console is
	// reached by when it listens beyond loopback.
	AllowedHosts []string
}

func (c *Config) setDefaults() {
	if c.SampleInterval == 0 {
		c.SampleInterval = 5 * time.Second
	}
	if c.History == 0 {
		c.History = 360
	}
	if c.MaxSampled == 0 {
		c.MaxSampled = 100
	}
}

// Validate reports a configuration New refuses.
func (c Config) Validate() error {
	var errs []error
	if c.SampleInterval < 0 {
		errs = append(errs, fmt.Errorf("%w: SampleInterval %v is negative", ErrConfig, c.SampleInterval))
	}
	if c.History < 0 || c.History > 100000 {
		errs = append(errs, fmt.Errorf("%w: History %d is outside [0, 100000]", ErrConfig, c.History))
	}
	if c.MaxSampled < 0 {
		errs = append(errs, fmt.Errorf("%w: MaxSampled %d is negative", ErrConfig, c.MaxSampled))
	}
	return errors.Join(errs...)
}

// Sender sends the console's test messages and DLQ resends;
// *client.Producer is one.
type Sender interface {
	Send(ctx context.Context, msg *client.Message, opts ...client.SendOption) (*client.SendResult, error)
}

// Option changes a Console.
type Option interface{ apply(*Console) }

type optionFunc func(*Console)

func (f optionFunc) apply(c *Console) { f(c) }

// WithLogger logs failed requests and sampling errors to l (default:
// discard). Nothing logged carries credentials.
func WithLogger(l *slog.Logger) Option { return optionFunc(func(c *Console) { c.log = l }) }

// WithSender enables sending: the send-a-test-message page and resending
// from dead-letter queues. Without one both answer 501.
func WithSender(s Sender) Option { return optionFunc(func(c *Console) { c.sender = s }) }

// Console is the web console: an http.Handler serving the pages (embedded
// assets) and their JSON API under /api/, all through one admin.Client,
// so it signs every request as that client's account. It is safe for
// concurrent use.
type Console struct {
	adm    *admin.Client
	cfg    Config
	log    *slog.Logger
	sender Sender
	token  string
	series *seriesStore
	mux    *http.ServeMux
}

// New returns a console over adm. Call Run to sample the cluster for the
// charts; without it the pages work and the charts stay empty.
func New(adm *admin.Client, cfg Config, opts ...Option) (*Console, error) {
	if adm == nil {
		return nil, fmt.Errorf("%w: nil admin client", ErrConfig)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	var tok [32]byte
	if _, err := rand.Read(tok[:]); err != nil {
		return nil, fmt.Errorf("console: csrf token: %w", err)
	}
	c := &Console{adm: adm, cfg: cfg, token: hex.EncodeToString(tok[:]),
		series: newSeriesStore(cfg.History, 4*cfg.MaxSampled+16)}
	for _, o := range opts {
		o.apply(c)
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.routes()
	return c, nil
}

// routes registers the pages and the API.
func (c *Console) routes() {
	static, _ := fs.Sub(assets, "assets")
	m := http.NewServeMux()
	m.Handle("GET /", http.FileServerFS(static))
	m.HandleFunc("GET /api/session", c.handleSession)
	m.HandleFunc("GET /api/cluster", c.handleCluster)
	m.HandleFunc("GET /api/topics", c.handleTopics)
	m.HandleFunc("GET /api/topic", c.handleTopic)
	m.HandleFunc("GET /api/groups", c.handleGroups)
	m.HandleFunc("GET /api/group", c.handleGroup)
	m.HandleFunc("GET /api/messages", c.handleMessages)
	m.HandleFunc("GET /api/message", c.handleMessage)
	m.HandleFunc("GET /api/dlq", c.handleDLQ)
	m.HandleFunc("POST /api/dlq/resend", c.handleResend)
	m.HandleFunc("POST /api/reset", c.handleReset)
	m.HandleFunc("POST /api/send", c.handleSend)
	c.mux = m
}

// ServeHTTP serves the console. Requests with a Host header that is not
// an IP literal, "localhost" or one of Config.AllowedHosts get 403; so do
// state-changing requests without the session's CSRF token or from
// another origin.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !c.hostAllowed(r.Host) {
		http.Error(w, "console: host not allowed", http.StatusForbidden)
		return
	}
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		if err := c.checkCSRF(r); err != nil {
			writeError(w, err)
			return
		}
	}
	c.mux.ServeHTTP(w, r)
}

// handleSession returns the CSRF token state-changing calls send in the
// X-Console-Token header. Another origin cannot read it (no CORS).
func (c *Console) handleSession(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, map[string]any{"csrfToken": c.token, "canSend": c.sender != nil,
		"sampleIntervalMs": c.cfg.SampleInterval.Milliseconds()})
}
