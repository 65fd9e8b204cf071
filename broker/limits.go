package broker

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/rocketkit/rocketkit/protocol/remoting"
)

// Connection limits (Config.MaxConnections, MaxFrameSize,
// MaxInflightRequests, IdleTimeout, FrameTimeout) are enforced here and in
// conn.go:
//
//   - the accept loop closes a connection at once when MaxConnections are
//     open (refuseConn), and backs off when accepting fails;
//   - frameReader waits for a frame's first bytes without a buffer, so an
//     idle connection holds none; from then on it reads through a 64 KiB
//     buffer from a pool (one read brings the frames a busy client
//     pipelined) and returns it once the buffered bytes are consumed; a
//     frame's body buffer
//     grows with the bytes that actually arrived, so a declared length
//     costs nothing until its bytes come, and a length above MaxFrameSize
//     closes the connection before anything is allocated;
//   - a connection waits for its next frame at most IdleTimeout, and a
//     frame (or a TLS handshake, or a write) that has begun must complete
//     within FrameTimeout;
//   - a connection holds at most MaxInflightRequests requests that are
//     read but not yet answered (held pulls, SYNC_FLUSH sends): at the
//     limit its reader stops reading until an answer goes out, so TCP
//     flow control pushes back on the client.

// frameChunk is the first allocation for a frame body; it doubles as bytes
// arrive, up to the declared length.
const frameChunk = 64 << 10

// errIdle and errFrameTimeout tell why frameReader gave up waiting.
var (
	errIdle         = errors.New("no frame within the idle timeout")
	errFrameTimeout = errors.New("frame not completed within the frame timeout")
)

// readBufferSize is the size of the read buffers frameReader takes from
// readBuffers while frames arrive.
const readBufferSize = 64 << 10

// readBuffers holds the read buffers of connections between bursts.
var readBuffers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, readBufferSize) }}

// frameReader reads remoting frames from one connection. It is used by
// the connection's reader goroutine only; release returns its buffer.
type frameReader struct {
	nc    net.Conn
	idle  time.Duration // wait for a frame's first byte; ≤0: forever
	frame time.Duration // complete a begun frame; ≤0: no limit
	max   int           // largest accepted frame length
	hdr   [4]byte       // the length word of the frame being read
	br    *bufio.Reader // from readBuffers while it holds unread bytes; else nil
}

// release returns r's read buffer to the pool, if it holds one.
func (r *frameReader) release() {
	if r.br != nil {
		r.br.Reset(nil)
		readBuffers.Put(r.br)
		r.br = nil
	}
}

// next reads one frame. Errors: io.EOF at a frame boundary, errIdle,
// errFrameTimeout, remoting.ErrFrameTooLarge and remoting.ErrMalformed
// (wrapped), or the connection's read error.
func (r *frameReader) next() (*remoting.Command, error) {
	if r.br != nil && r.br.Buffered() > 0 {
		// The client pipelined: the next frame began in the last read.
		// Its deadline matters only if its rest must still be read: a
		// frame already whole in the buffer is taken without a clock read
		// or a timer update.
		if !r.more() {
			setReadDeadline(r.nc, r.frame)
		}
		if _, err := io.ReadFull(r.br, r.hdr[:]); err != nil {
			return nil, frameError(err)
		}
	} else {
		// Wait for the first bytes without a buffer, then take one.
		r.release()
		setReadDeadline(r.nc, r.idle)
		n, err := io.ReadAtLeast(r.nc, r.hdr[:], 1)
		if err != nil {
			if isTimeout(err) {
				return nil, errIdle
			}
			return nil, err
		}
		setReadDeadline(r.nc, r.frame)
		r.br = readBuffers.Get().(*bufio.Reader)
		r.br.Reset(r.nc)
		if _, err := io.ReadFull(r.br, r.hdr[n:]); err != nil {
			return nil, frameError(err)
		}
	}
	size := binary.BigEndian.Uint32(r.hdr[:])
	switch {
	case size < 4:
		return nil, fmt.Errorf("%w: length %d is shorter than the header-length word", remoting.ErrMalformed, size)
	case uint64(size) > uint64(r.max):
		return nil, fmt.Errorf("%w: declared length %d exceeds limit %d", remoting.ErrFrameTooLarge, size, r.max)
	}
	buf := make([]byte, 0, min(int(size), frameChunk))
	for len(buf) < int(size) {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(len(buf), int(size)-len(buf)))
		}
		m, err := r.br.Read(buf[len(buf):min(cap(buf), int(size))])
		buf = buf[:len(buf)+m]
		if err != nil && len(buf) < int(size) {
			return nil, frameError(err)
		}
	}
	return remoting.DecodeFrame(buf)
}

// more reports whether a whole next frame is already read (buffered).
func (r *frameReader) more() bool {
	if r.br == nil || r.br.Buffered() < 4 {
		return false
	}
	hdr, err := r.br.Peek(4)
	if err != nil {
		return false
	}
	return r.br.Buffered() >= 4+int(binary.BigEndian.Uint32(hdr))
}

// frameError names an error that cut a begun frame short.
func frameError(err error) error {
	switch {
	case isTimeout(err):
		return errFrameTimeout
	case errors.Is(err, io.EOF):
		return io.ErrUnexpectedEOF
	}
	return err
}

// looksLikeTLS reports whether the frame being read began with a TLS
// handshake record (a TLS client talking to a plain listener).
func (r *frameReader) looksLikeTLS() bool { return r.hdr[0] == tlsHandshakeByte }

// deadline is d from now; d ≤ 0 is no deadline (the zero time).
func deadline(d time.Duration) time.Time {
	if d <= 0 {
		return time.Time{}
	}
	return time.Now().Add(d)
}

// setReadDeadline arms nc's read deadline d from now; d ≤ 0 clears it.
func setReadDeadline(nc net.Conn, d time.Duration) { _ = nc.SetReadDeadline(deadline(d)) }

// setWriteDeadline arms nc's write deadline d from now; d ≤ 0 clears it.
func setWriteDeadline(nc net.Conn, d time.Duration) { _ = nc.SetWriteDeadline(deadline(d)) }

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// acquire takes an in-flight slot for the next request, waiting while the
// connection has MaxInflightRequests unanswered. It returns false when
// the connection closed while waiting.
func (c *conn) acquire() bool {
	if c.slots == nil {
		return true
	}
	select {
	case c.slots <- struct{}{}:
		return true
	default:
	}
	c.b.readPauses.Add(1)
	c.uncork() // the answers held back free slots
	select {
	case c.slots <- struct{}{}:
		return true
	case <-c.closed:
		return false
	}
}

// release gives back the slot of a request that was answered (or needs no
// answer).
func (c *conn) release() {
	if c.slots != nil {
		<-c.slots
	}
}

// answerLater marks the request being dispatched as answered later: its
// slot is released by answer, not when its handler returns. Only the
// connection's reader goroutine (a handler) calls it.
func (c *conn) answerLater() { c.later = true }

// answer writes the late answer to a request its handler marked with
// answerLater, and releases its slot.
func (c *conn) answer(resp *remoting.Command) {
	c.reply(resp)
	c.release()
}

// finishDispatch releases the slot of the request just dispatched unless
// its handler answers later.
func (c *conn) finishDispatch() {
	if c.later {
		c.later = false
		return
	}
	c.release()
}

// refuseConn closes nc, accepted while MaxConnections were open, and logs
// it at most once every refuseLogEvery.
func (b *Broker) refuseConn(nc net.Conn, open int, lastLog *time.Time) {
	_ = nc.Close()
	n := b.refusedConns.Add(1)
	if now := time.Now(); now.Sub(*lastLog) >= refuseLogEvery {
		*lastLog = now
		b.log.Warn("connection refused: max-connections reached", "remote", nc.RemoteAddr().String(),
			"open", open, "max", b.cfg.MaxConnections, "refused_total", n)
	}
}

// refuseLogEvery spaces the log lines of refused connections.
const refuseLogEvery = 10 * time.Second

// acceptBackoff is how long the accept loop waits after the failure-th
// consecutive Accept error (e.g. out of file descriptors): 5ms doubling to
// one second. It returns false when the broker closes meanwhile.
func (b *Broker) acceptBackoff(failures int) bool {
	d := min(5*time.Millisecond<<min(failures-1, 8), time.Second)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-b.done:
		return false
	}
}
