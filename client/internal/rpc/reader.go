package rpc

import (
	"bufio"
	"context"
	"fmt"
	"runtime/debug"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// readLoop is the reader goroutine: it reads frames until the connection
// ends, hands responses to their calls and server requests to the Handler.
// Any read error (EOF included) or undecodable frame breaks the connection;
// remoting.ReadCommand never panics, whatever the server sends.
func (c *Conn) readLoop() {
	defer c.finish()
	r := bufio.NewReaderSize(c.nc, readBufferSize)
	for {
		cmd, err := remoting.ReadCommand(r, c.opts.MaxFrameSize)
		if err != nil {
			c.shutdown(fmt.Errorf("read: %w", err)) // no-op when closing: then the error is the writer closing the transport
			return
		}
		if cmd.IsResponse() {
			c.complete(cmd)
		} else {
			c.serve(cmd)
		}
	}
}

// serve dispatches a server request. Without a Handler it answers
// REQUEST_CODE_NOT_SUPPORTED from the reader goroutine (never blocking it:
// the answer is queued regardless of MaxPendingBytes); with one, the
// Handler runs on a goroutine of its own.
func (c *Conn) serve(req *remoting.Command) {
	h := c.opts.Handler
	if h == nil {
		if req.IsOneway() {
			c.log.Debug("rpc: dropping a one-way server request: no handler", "code", remoting.RequestName(req.Code))
			return
		}
		resp := &remoting.Command{Code: remoting.RequestCodeNotSupported,
			Remark: "request code " + remoting.RequestName(req.Code) + " is not supported by this client"}
		c.respond(context.Background(), false, req, resp)
		return
	}
	c.handlers.Add(1)
	go c.runHandler(h, req)
}

// runHandler runs h for req and writes its response.
func (c *Conn) runHandler(h Handler, req *remoting.Command) {
	defer c.handlers.Done()
	resp := c.callHandler(h, req)
	if resp == nil {
		return
	}
	if req.IsOneway() {
		c.log.Debug("rpc: not answering a one-way server request", "code", remoting.RequestName(req.Code))
		return
	}
	c.respond(c.hctx, true, req, resp)
}

// callHandler calls h, turning a panic into a SYSTEM_ERROR response.
func (c *Conn) callHandler(h Handler, req *remoting.Command) (resp *remoting.Command) {
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("rpc: server request handler panicked", "code", remoting.RequestName(req.Code),
				"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			resp = &remoting.Command{Code: remoting.SystemError,
				Remark: fmt.Sprintf("client panicked handling %s: %v", remoting.RequestName(req.Code), r)}
		}
	}()
	return h(c.hctx, c, req)
}

// respond queues resp as the answer to req: opaque echoed, response flag
// set, in req's serialize type (as Java answers). Without wait it does not wait for queue space (the reader's own
// answers); a handler's answer waits, until ctx or the connection ends. The body
// is queued by reference: the Conn owns resp from here on.
func (c *Conn) respond(ctx context.Context, wait bool, req, resp *remoting.Command) {
	h := header(resp, req.Opaque, (resp.Flag|remoting.FlagResponse)&^remoting.FlagOneway, req.SerializeType)
	if err := c.queue(ctx, &h, resp.Body, wait, nil); err != nil {
		c.log.Debug("rpc: response to a server request not sent", "code", remoting.RequestName(req.Code), "err", err)
	}
}
