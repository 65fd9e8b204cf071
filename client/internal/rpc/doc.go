// Package rpc is the connection layer of the kit's RocketMQ client: a Conn
// multiplexes any number of concurrent requests over one TCP (or TLS)
// connection to a name server or broker, and a Pool shares one Conn per
// address among every producer and consumer of a process. It speaks the
// remoting protocol through package remoting (frames, codes) and knows
// nothing about what the requests mean.
//
// # Calls
//
// Conn.Call sends a request and waits for the response whose opaque
// matches; Conn.CallAsync does the same with a callback; Conn.Oneway only
// queues the request. Opaques come from a per-connection counter, and
// responses may arrive in any order: the Conn keeps a table of pending
// calls by opaque, and the reader hands each response to its call. A
// response whose opaque is unknown (its call gave up, or the request was
// one-way) is dropped and logged at debug.
//
// Every blocking method takes a ctx first. A Call ends when its response
// arrives, when ctx ends (or, for a ctx without deadline,
// Options.RequestTimeout passes), or when the connection ends; on ctx's
// end the opaque is forgotten, so a late answer is dropped, and the error
// (a *CallError) names the request code and the address.
//
// A Call allocates nothing of its own on the hot path: call records (with
// their channel and timer) are recycled per Conn, the request is encoded
// straight into the writer's buffer from a copy of its header on the
// stack, and the only allocations left are the response's (the Command and
// one string for its header). Per-Conn recycling, rather than a global
// sync.Pool, keeps records inside the testing/synctest bubble that made
// them.
//
// # Writing
//
// Writes are coalesced the way nats.go's flusher does it. A caller
// encodes its frame into the pending buffer under a mutex and kicks the
// writer goroutine through a channel of capacity 1; the writer yields once
// (so that callers already runnable add their frames too), swaps the
// buffer for its spare and writes everything pending with one Write. While
// it writes, the next batch accumulates, so the more concurrent callers,
// the fewer syscalls per request: 64 callers against the broker take about
// 0.2 writes per call, where the official client makes four writes per
// request.
//
// A body over 16 KiB is not copied: the header goes into the buffer and
// the body slice becomes a segment of its own, and the batch goes out as
// one writev (net.Buffers). Hence the rule that a Call's req.Body must not
// change until Call returns; to keep it, a Call that gives up replaces a
// body still queued by a copy, or waits for the write carrying it to end
// (bounded by the write deadline). Oneway copies bodies, since it returns
// before the write.
//
// Pending bytes are bounded (Options.MaxPendingBytes, 4 MiB): Call and
// Oneway wait, within their ctx, while the writer is that far behind.
// CallAsync and the reader's own answers never wait. Each write has a
// deadline (Options.WriteTimeout, 10 s): a server that reads nothing for
// that long breaks the connection.
//
// # Reading
//
// One reader goroutine per connection reads frames through a 64 KiB
// bufio.Reader, so one read syscall takes many responses and a frame that
// fits is decoded in place (remoting.ReadCommand). It bounds frames at
// Options.MaxFrameSize (128 MiB: a pull answer holds up to 32 messages of
// up to 4 MiB). Responses go to their calls; requests go to the Handler.
//
// # Server requests
//
// Brokers send requests of their own on a client's connection:
// CHECK_TRANSACTION_STATE, NOTIFY_CONSUMER_IDS_CHANGED,
// GET_CONSUMER_RUNNING_INFO and so on (wire doc §3.3 and §6). Each runs
// Options.Handler on a goroutine of its own with a ctx that ends with the
// connection; the response it returns is written through the same
// coalescing writer with the request's opaque and the response flag. A
// request flagged one-way gets no response. Without a Handler, requests
// are answered REQUEST_CODE_NOT_SUPPORTED (one-way ones are dropped). A
// Handler that panics is answered SYSTEM_ERROR.
//
// # Failures
//
// A connection breaks on EOF, on any read or write error, or on a frame
// that is malformed or too large (the stream cannot be resynchronised).
// Breaking closes the transport, which stops the reader and the writer;
// once both are gone every pending call fails with a *CallError wrapping a
// *ConnError, which wraps ErrConnBroken and the cause (errors.Is works for
// io.EOF, remoting.ErrMalformed, ...), and Done is closed. Close is the
// orderly end: the frames queued before it are still written (within about
// a second), so one-way sends are not lost, then pending calls fail with
// ErrClosed. Either way no goroutine is left behind, except Handlers still
// running, which Done also waits for.
//
// # Pool
//
// Pool.Conn dials lazily; concurrent first callers share one dial, made on
// a goroutine of the pool's so that no caller's ctx cancels it for the
// others. A Conn that has ended is replaced on the next call. After a
// failed dial, calls for that address fail fast with its error for a
// backoff of 100 ms, doubling to 5 s, reset by a successful dial.
//
// # Tests
//
// Time-driven tests run in testing/synctest bubbles over internal/memnet
// (net.Pipe connections), so timeouts, backoffs and the coalescing of
// writes are checked exactly and without waiting. A few tests use loopback
// TCP and TLS, and the broker (brokertest). FuzzConnReader feeds arbitrary
// server bytes to a Conn with calls pending. BenchmarkConnCall compares 1,
// 20 and 64 callers on one Conn with a Conn per caller.
package rpc
