package rpc

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"time"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// Defaults for the zero values of Options.
const (
	// DefaultDialTimeout bounds a dial and its TLS handshake.
	DefaultDialTimeout = 3 * time.Second
	// DefaultRequestTimeout bounds a Call whose context has no deadline:
	// the official client's default for most requests (wire doc §1.6).
	DefaultRequestTimeout = 3 * time.Second
	// DefaultWriteTimeout bounds each write: a server that reads nothing
	// for this long breaks the connection.
	DefaultWriteTimeout = 10 * time.Second
	// DefaultMaxFrameSize is the largest frame read: a pull answer carries
	// up to 32 messages of up to 4 MiB each.
	DefaultMaxFrameSize = 128 << 20
	// DefaultMaxPendingBytes bounds the bytes queued for the writer; Call
	// and Oneway wait (within their context) while it is exceeded.
	DefaultMaxPendingBytes = 4 << 20
)

// Tuning constants that are not options.
const (
	// largeBody is the body size above which Call hands the body to the
	// writer by reference (one writev segment) instead of copying it into
	// the pending buffer.
	largeBody = 16 << 10
	// readBufferSize is the reader's bufio.Reader size: several responses
	// per read syscall, and any frame that fits is decoded in place.
	readBufferSize = 64 << 10
	// closeFlushTimeout bounds how long Close spends writing the frames
	// queued before it.
	closeFlushTimeout = time.Second
	// maxFreeCalls is how many finished call records a Conn keeps for reuse.
	maxFreeCalls = 1024
	// maxSpareBuffer is the largest pending buffer the writer keeps between
	// batches; a larger one (after a burst of big frames) is dropped.
	maxSpareBuffer = 1 << 20
)

// Handler serves a request the server sends on a connection
// (CHECK_TRANSACTION_STATE, NOTIFY_CONSUMER_IDS_CHANGED,
// GET_CONSUMER_RUNNING_INFO, ...). Each request runs on a goroutine of its
// own, so a handler may block and may use c (Call, Oneway, even Close). ctx
// is cancelled when the connection starts closing or breaks; Conn.Done
// waits for running handlers, so a handler must return once ctx is done.
//
// The handler returns the response to write back, or nil for none (one-way
// requests, or requests answered later by a separate request, as a
// transaction check is by END_TRANSACTION). The Conn sets the response's
// Opaque and the FlagResponse bit and owns the response from then on; a
// response to a request flagged remoting.FlagOneway is not sent, nor one
// returned after the connection ended. A panicking handler is logged and
// answered SYSTEM_ERROR (unless the request is one-way); the connection
// stays up.
type Handler func(ctx context.Context, c *Conn, req *remoting.Command) *remoting.Command

// Options configures Dial and NewPool. The zero value is ready to use: plain
// TCP, the defaults above, server requests answered
// REQUEST_CODE_NOT_SUPPORTED.
type Options struct {
	// Dial opens the transport; nil means a net.Dialer. Tests pass
	// internal/memnet's Network.Dial.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)

	// DialTimeout bounds a dial and its TLS handshake; 0 means
	// DefaultDialTimeout.
	DialTimeout time.Duration

	// TLS, when set, wraps the transport in a TLS client. ServerName
	// defaults to the address's host.
	TLS *tls.Config

	// Handler serves requests the server sends. nil answers them
	// REQUEST_CODE_NOT_SUPPORTED, except one-way requests, which are
	// dropped.
	Handler Handler

	// BeforeRequest, when set, is called with every outgoing request (Call,
	// CallAsync, Oneway) on the caller's goroutine just before it is
	// encoded, e.g. to add ACL signature fields. It must be safe for
	// concurrent use and must not retain req.
	BeforeRequest func(req *remoting.Command)

	// SerializeType is the header format of the requests sent:
	// remoting.SerializeJSON (the zero value), as the official Go client
	// writes, or remoting.SerializeRocketMQ, the binary header Java clients
	// write with rocketmq.serialize.type=ROCKETMQ, cheaper to encode and
	// decode on both sides. Every RocketMQ broker and name server reads
	// both and answers in the request's format. Answers to server requests
	// always go in the request's format.
	SerializeType byte

	// RequestTimeout bounds a Call whose context has no deadline; 0 means
	// DefaultRequestTimeout.
	RequestTimeout time.Duration

	// WriteTimeout bounds each write to the transport; a write that takes
	// longer breaks the connection. 0 means DefaultWriteTimeout.
	WriteTimeout time.Duration

	// MaxFrameSize is the largest frame read (the length field's value); a
	// larger one breaks the connection. 0 means DefaultMaxFrameSize.
	MaxFrameSize int

	// MaxPendingBytes bounds the bytes queued for writing; 0 means
	// DefaultMaxPendingBytes. A single larger frame is still queued when
	// nothing else is.
	MaxPendingBytes int

	// Logger receives connection events: failures at warn, dropped
	// responses at debug. nil discards them.
	Logger *slog.Logger
}

// withDefaults returns o with every zero value replaced by its default.
func (o Options) withDefaults() Options {
	if o.DialTimeout <= 0 {
		o.DialTimeout = DefaultDialTimeout
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	if o.MaxFrameSize <= 0 {
		o.MaxFrameSize = DefaultMaxFrameSize
	}
	if o.MaxPendingBytes <= 0 {
		o.MaxPendingBytes = DefaultMaxPendingBytes
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Dial == nil {
		d := &net.Dialer{}
		o.Dial = d.DialContext
	}
	return o
}
