package message

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"net/netip"
)

// Header is the part of a stored record a store index needs. PeekHeader
// reads it without copying the body.
type Header struct {
	// Size is the record's TOTALSIZE in bytes.
	Size            int
	BodyCRC         uint32
	QueueID         int32
	Flag            int32
	QueueOffset     int64
	CommitLogOffset int64
	SysFlag         int32
	BornTimestamp   int64
	StoreTimestamp  int64
	StoreHost       netip.AddrPort
	ReconsumeTimes  int32
	// BodySize is the length of the (possibly compressed) body.
	BodySize   int
	Topic      string
	Properties string
}

// layout is a structurally validated record: field values that live at
// variable positions, and where the variable-length parts are.
type layout struct {
	size              int
	bornHost          netip.AddrPort
	storeTimestamp    int64
	storeHost         netip.AddrPort
	reconsumeTimes    int32
	preparedTxOffset  int64
	bodyStart, bodyN  int
	topicStart, topN  int
	propsStart, propN int
}

// Decode decodes the record at the start of b and returns it and its total
// size in bytes. Body aliases b (with its capacity clipped); Topic and
// Properties are copies.
//
// Both layouts are read: v1 (MagicCode, one-byte topic length, read
// unsigned) and v2 (MagicCodeV2, two-byte topic length), which a Java 5
// broker sends for topics longer than 127 bytes.
//
// Malformed input returns an error wrapping ErrMalformed and never panics:
// a bad magic code, TOTALSIZE below MinRecordSize or past the end of b,
// negative or overlong lengths, a port outside 0..65535, an IPv4-mapped
// address in an IPv6 host slot (never written by AppendEncode or Java), or a
// TOTALSIZE that does not match the sum of the parts. BODYCRC is verified only if verifyCRC
// is true; a mismatch returns an error wrapping ErrBadCRC.
func Decode(b []byte, verifyCRC bool) (Ext, int, error) {
	l, err := parse(b)
	if err != nil {
		return Ext{}, 0, err
	}
	be := binary.BigEndian
	body := b[l.bodyStart : l.bodyStart+l.bodyN : l.bodyStart+l.bodyN]
	m := Ext{
		BodyCRC:                   be.Uint32(b[posBodyCRC:]),
		QueueID:                   int32(be.Uint32(b[posQueueID:])),
		Flag:                      int32(be.Uint32(b[posFlag:])),
		QueueOffset:               int64(be.Uint64(b[posQueueOffset:])),
		CommitLogOffset:           int64(be.Uint64(b[posCommitLogOffset:])),
		SysFlag:                   int32(be.Uint32(b[posSysFlag:])),
		BornTimestamp:             int64(be.Uint64(b[posBornTimestamp:])),
		BornHost:                  l.bornHost,
		StoreTimestamp:            l.storeTimestamp,
		StoreHost:                 l.storeHost,
		ReconsumeTimes:            l.reconsumeTimes,
		PreparedTransactionOffset: l.preparedTxOffset,
		Body:                      body,
		Topic:                     string(b[l.topicStart : l.topicStart+l.topN]),
		Properties:                string(b[l.propsStart : l.propsStart+l.propN]),
	}
	if verifyCRC {
		if got := crc32.ChecksumIEEE(body); got != m.BodyCRC {
			return Ext{}, 0, fmt.Errorf("decode record at commit-log offset %d: body crc %08x, stored %08x: %w",
				m.CommitLogOffset, got, m.BodyCRC, ErrBadCRC)
		}
	}
	return m, l.size, nil
}

// DecodeAll decodes back-to-back records until b is exhausted, as the
// client does with a PULL_MESSAGE body. On error it returns the records
// decoded so far and an error naming the byte position of the bad record.
func DecodeAll(b []byte, verifyCRC bool) ([]Ext, error) {
	var out []Ext
	for pos := 0; pos < len(b); {
		m, n, err := Decode(b[pos:], verifyCRC)
		if err != nil {
			return out, fmt.Errorf("decode record %d at byte %d: %w", len(out), pos, err)
		}
		out = append(out, m)
		pos += n
	}
	return out, nil
}

// PeekHeader validates the record at the start of b exactly like Decode
// (without the CRC check) and returns its header fields. It does not copy
// the body; only Topic and Properties are allocated.
func PeekHeader(b []byte) (Header, error) {
	l, err := parse(b)
	if err != nil {
		return Header{}, err
	}
	be := binary.BigEndian
	return Header{
		Size:            l.size,
		BodyCRC:         be.Uint32(b[posBodyCRC:]),
		QueueID:         int32(be.Uint32(b[posQueueID:])),
		Flag:            int32(be.Uint32(b[posFlag:])),
		QueueOffset:     int64(be.Uint64(b[posQueueOffset:])),
		CommitLogOffset: int64(be.Uint64(b[posCommitLogOffset:])),
		SysFlag:         int32(be.Uint32(b[posSysFlag:])),
		BornTimestamp:   int64(be.Uint64(b[posBornTimestamp:])),
		StoreTimestamp:  l.storeTimestamp,
		StoreHost:       l.storeHost,
		ReconsumeTimes:  l.reconsumeTimes,
		BodySize:        l.bodyN,
		Topic:           string(b[l.topicStart : l.topicStart+l.topN]),
		Properties:      string(b[l.propsStart : l.propsStart+l.propN]),
	}, nil
}

// RecordSize returns the TOTALSIZE of the record at the start of b after
// checking only that it is at least MinRecordSize and fits in b. Use it to
// step over records whose content has already been validated.
func RecordSize(b []byte) (int, error) {
	if len(b) < 4 {
		return 0, fmt.Errorf("decode record: %d bytes, need 4 for TOTALSIZE: %w", len(b), ErrMalformed)
	}
	total := int32(binary.BigEndian.Uint32(b))
	if total < MinRecordSize {
		return 0, fmt.Errorf("decode record: TOTALSIZE %d below minimum %d: %w", total, MinRecordSize, ErrMalformed)
	}
	if int64(total) > int64(len(b)) {
		return 0, fmt.Errorf("decode record: TOTALSIZE %d past end of %d-byte buffer: %w", total, len(b), ErrMalformed)
	}
	return int(total), nil
}

// parse validates the structure of the record at the start of b.
func parse(b []byte) (layout, error) {
	var l layout
	size, err := RecordSize(b)
	if err != nil {
		return l, err
	}
	rec := b[:size]
	be := binary.BigEndian
	magic := int32(be.Uint32(rec[posMagic:]))
	if magic != MagicCode && magic != MagicCodeV2 {
		return l, fmt.Errorf("decode record: magic code %08x, want %08x (v1) or %08x (v2): %w",
			uint32(magic), magicV1, magicV2, ErrMalformed)
	}
	sysFlag := int32(be.Uint32(rec[posSysFlag:]))
	r := reader{b: rec, pos: posBornHost}
	l.size = size
	l.bornHost = r.host(sysFlag&FlagBornHostV6 != 0, "BORNHOST")
	l.storeTimestamp = r.int64("STORETIMESTAMP")
	l.storeHost = r.host(sysFlag&FlagStoreHostV6 != 0, "STOREHOST")
	l.reconsumeTimes = r.int32("RECONSUMETIMES")
	l.preparedTxOffset = r.int64("PREPAREDTRANSACTIONOFFSET")
	l.bodyN = int(r.int32("BODYLENGTH"))
	l.bodyStart = r.skip(l.bodyN, "BODY")
	if magic == MagicCodeV2 {
		l.topN = int(r.int16("TOPICLENGTH")) // negative: rejected by skip
	} else {
		l.topN = int(r.uint8("TOPICLENGTH"))
	}
	l.topicStart = r.skip(l.topN, "TOPIC")
	l.propN = int(r.int16("PROPERTIESLENGTH"))
	l.propsStart = r.skip(l.propN, "PROPERTIES")
	if r.err != nil {
		return layout{}, r.err
	}
	if r.pos != size {
		return layout{}, fmt.Errorf("decode record: TOTALSIZE %d does not match the sum of the parts %d: %w", size, r.pos, ErrMalformed)
	}
	return l, nil
}

// reader reads big-endian fields from a record, recording the first
// out-of-bounds or negative length as err. After an error every read
// returns zero.
type reader struct {
	b   []byte
	pos int
	err error
}

func (r *reader) need(n int, field string) bool {
	if r.err != nil {
		return false
	}
	if n < 0 {
		r.err = fmt.Errorf("decode record: negative %s length %d: %w", field, n, ErrMalformed)
		return false
	}
	if n > len(r.b)-r.pos {
		r.err = fmt.Errorf("decode record: %s (%d bytes at %d) past TOTALSIZE %d: %w", field, n, r.pos, len(r.b), ErrMalformed)
		return false
	}
	return true
}

// skip returns the current position and advances past n bytes.
func (r *reader) skip(n int, field string) int {
	if !r.need(n, field) {
		return 0
	}
	p := r.pos
	r.pos += n
	return p
}

func (r *reader) uint8(field string) uint8 {
	if !r.need(1, field) {
		return 0
	}
	v := r.b[r.pos]
	r.pos++
	return v
}

func (r *reader) int16(field string) int16 {
	if !r.need(2, field) {
		return 0
	}
	v := int16(binary.BigEndian.Uint16(r.b[r.pos:]))
	r.pos += 2
	return v
}

func (r *reader) int32(field string) int32 {
	if !r.need(4, field) {
		return 0
	}
	v := int32(binary.BigEndian.Uint32(r.b[r.pos:]))
	r.pos += 4
	return v
}

func (r *reader) int64(field string) int64 {
	if !r.need(8, field) {
		return 0
	}
	v := int64(binary.BigEndian.Uint64(r.b[r.pos:]))
	r.pos += 8
	return v
}

func (r *reader) host(v6 bool, field string) netip.AddrPort {
	var a netip.Addr
	if v6 {
		if !r.need(hostSizeV6, field) {
			return netip.AddrPort{}
		}
		a = netip.AddrFrom16([16]byte(r.b[r.pos : r.pos+16]))
		r.pos += 16
		if a.Is4In6() {
			// AppendEncode writes these as IPv4 and so does Java; accepting
			// them would make the client's OffsetMsgId (56 chars) disagree
			// with OffsetMsgID (32 chars).
			r.err = fmt.Errorf("decode record: %s %s is IPv4-mapped but marked IPv6: %w", field, a, ErrMalformed)
			return netip.AddrPort{}
		}
	} else {
		if !r.need(hostSizeV4, field) {
			return netip.AddrPort{}
		}
		a = netip.AddrFrom4([4]byte(r.b[r.pos : r.pos+4]))
		r.pos += 4
	}
	port := r.int32(field)
	if r.err == nil && (port < 0 || port > 0xFFFF) {
		r.err = fmt.Errorf("decode record: %s port %d outside 0..65535: %w", field, port, ErrMalformed)
	}
	return netip.AddrPortFrom(a, uint16(port))
}
